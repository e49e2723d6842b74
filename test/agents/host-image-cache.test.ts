// The host agent keeps its engine's image cache: a pass removes the platform's tenant images that
// no container uses, except those of pods bound to this host (desired, not started yet).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostAgent, type HostAgent } from '../../agents/host/agent.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { fakeBuilder } from '../builds/fake-builders.ts';
import { docker } from '../builds/support.ts';
import { testApi, type TestApi } from '../support/api.ts';

const suffix = randomBytes(3).toString('hex');
const P = `cache-${suffix}`;
const HOST = `cachehost-${suffix}`;
const REGISTRY = `127.0.0.9:${41000 + (parseInt(suffix, 16) % 20000)}`;
const WANTED = `${REGISTRY}/${P}/web:1`;
const UNUSED = `${REGISTRY}/${P}/old:1`;
let t: TestApi;
let agent: HostAgent;

const exists = (ref: string) => docker.getImage(ref).inspect().then(() => true, () => false);

beforeAll(async () => {
  for (const tag of [WANTED, UNUSED]) await fakeBuilder(tag, { scripts: { run: `#!/bin/sh\necho ${tag}\n` } });
  t = await testApi();
  const bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  // Pod syncs far apart: the bound pod has no container yet when the cache is trimmed.
  agent = await startHostAgent({
    store: t.store, bindings, docker, hostName: HOST, socketPath: '/var/run/docker.sock', syncMs: 600_000, leaseMs: 60_000,
    capacity: { cpu: '2', memory: '2Gi' }, images: { host: REGISTRY, prefix: '', shared: ['berth'] },
    imageCache: { budgetBytes: 0, keepRecentMs: 0, intervalMs: 600_000 },
  });
  const pod = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: 'web-1-abcde', project: P, labels: { deploymentconfig: 'web', deployment: 'web-1' } },
    spec: { containers: [{ name: 'web', image: WANTED, resources: { requests: { cpu: '100m', memory: '64Mi' } } }], restartPolicy: 'Always' } as never,
    status: { phase: 'Pending', conditions: [] },
  });
  const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: HOST }))!;
  await bindPod(bindings, { pod, host, request: podRequest(pod) });
}, 300_000);

afterAll(async () => {
  await agent?.stop();
  for (const tag of [WANTED, UNUSED]) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
});

describe('host agent image cache', () => {
  it('keeps the image of a pod bound here and removes the unused one', async () => {
    await agent.collectImages();
    expect(await exists(WANTED)).toBe(true);
    expect(await exists(UNUSED)).toBe(false);
  });
});
