// A pod template's claims and scratch directories are no configuration: the Secrets and
// ConfigMaps a template uses (whose change rolls it out) leave them out, beside the files it
// mounts from a Secret and a ConfigMap.
import { describe, expect, it } from 'vitest';
import { configRefsOf } from '../../shared/deploy/config-hash.ts';
import type { PodTemplate } from '../../shared/model/deploy-kinds.ts';

describe('configRefsOf with volumes of every source', () => {
  it('names the Secret and ConfigMap volumes only', () => {
    const template = {
      metadata: { labels: {} },
      spec: {
        containers: [{ name: 'db', image: 'x', env: [], ports: [], resources: { requests: {}, limits: {} } }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'tmp', emptyDir: {} }, { name: 'tls', secret: { secretName: 'tls' } }, { name: 'conf', configMap: { name: 'conf' } }],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 10,
      },
    } as unknown as PodTemplate;
    expect(configRefsOf(template)).toEqual(['ConfigMap/conf', 'Secret/tls']);
  });
});
