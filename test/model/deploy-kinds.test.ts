// The deployment kinds' schemas: quantities, defaults that match OpenShift's, and the refusals a
// user gets for a DeploymentConfig, Pod or Service that cannot work.
import { describe, expect, it } from 'vitest';
import { deploymentConfigSpec, hostSpec, podSpec, probe, serviceSpec } from '../../shared/model/deploy-kinds.ts';
import { cpuMillis, memoryBytes } from '../../shared/model/quantity.ts';

const template = (labels: Record<string, string> = { app: 'web' }) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'web', image: 'registry/demo/web:latest', ports: [{ containerPort: 8080 }] }] },
});

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('resource quantities', () => {
  it.each([
    ['250m', 250],
    ['1', 1000],
    ['0.5', 500],
    ['1.25', 1250],
    ['2000m', 2000],
  ])('cpu %s is %d millicores', (q, m) => expect(cpuMillis(q)).toBe(m));

  it.each(['', 'm', '1.5m', '-1', '1 ', 'one', '1k'])('cpu %j is not a quantity', (q) => expect(cpuMillis(q)).toBeUndefined());

  it.each([
    ['256Mi', 256 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['500M', 500e6],
    ['1048576', 1048576],
    ['64Ki', 65536],
  ])('memory %s is %d bytes', (q, b) => expect(memoryBytes(q)).toBe(b));

  it.each(['', 'Mi', '1.5Gi', '1MB', '-1Gi', '1 Gi'])('memory %j is not a quantity', (q) => expect(memoryBytes(q)).toBeUndefined());
});

describe('DeploymentConfig spec', () => {
  it('fills in OpenShift\'s defaults', () => {
    const spec = deploymentConfigSpec.parse({ selector: { app: 'web' }, template: template() });
    expect(spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'Rolling' },
      triggers: [{ type: 'ConfigChange' }],
      revisionHistoryLimit: 10,
      paused: false,
      minReadySeconds: 0,
    });
    expect(spec.template.spec).toMatchObject({ restartPolicy: 'Always', terminationGracePeriodSeconds: 10 });
  });

  it('refuses a selector the template\'s labels do not carry', () => {
    const r = deploymentConfigSpec.safeParse({ selector: { app: 'api' }, template: template({ app: 'web' }) });
    expect(issues(r)).toEqual([": the template's labels must carry every label of the selector"]);
  });

  it('refuses bad quantities, naming the field', () => {
    const t = template();
    (t.spec.containers[0] as Record<string, unknown>).resources = { requests: { cpu: 'lots' }, limits: { memory: '1.5Gi' } };
    const r = deploymentConfigSpec.safeParse({ selector: { app: 'web' }, template: t });
    expect(issues(r).join('\n')).toMatch(/template\.spec\.containers\.0\.resources\.requests\.cpu: cpu is cores/);
    expect(issues(r).join('\n')).toMatch(/template\.spec\.containers\.0\.resources\.limits\.memory: memory is bytes/);
  });

  it('refuses an ImageChange trigger that does not follow an ImageStreamTag', () => {
    const r = deploymentConfigSpec.safeParse({
      selector: { app: 'web' },
      template: template(),
      triggers: [{ type: 'ImageChange', imageChangeParams: { containerNames: ['web'], from: { kind: 'DockerImage', name: 'x' } } }],
    });
    expect(issues(r).join('\n')).toContain('ImageChange follows an ImageStreamTag');
  });

  it('takes maxSurge and maxUnavailable as counts or percentages, and refuses other strings', () => {
    const ok = deploymentConfigSpec.parse({ selector: { app: 'web' }, template: template(), strategy: { type: 'Rolling', rollingParams: { maxSurge: 1, maxUnavailable: '0%' } } });
    expect(ok.strategy.rollingParams).toMatchObject({ maxSurge: 1, maxUnavailable: '0%', timeoutSeconds: 600 });
    const bad = deploymentConfigSpec.safeParse({ selector: { app: 'web' }, template: template(), strategy: { type: 'Rolling', rollingParams: { maxSurge: 'half' } } });
    expect(issues(bad).join('\n')).toContain('strategy.rollingParams.maxSurge');
  });

  it('refuses recreate params on a Rolling strategy', () => {
    const r = deploymentConfigSpec.safeParse({ selector: { app: 'web' }, template: template(), strategy: { type: 'Rolling', recreateParams: {} } });
    expect(issues(r).join('\n')).toContain('give only the params of the strategy named by type');
  });
});

describe('Pod, probe, Service and Host specs', () => {
  it('a pod has exactly one container', () => {
    const c = { name: 'a', image: 'x' };
    expect(podSpec.safeParse({ containers: [c, { ...c, name: 'b' }] }).success).toBe(false);
    expect(podSpec.safeParse({ containers: [] }).success).toBe(false);
    expect(podSpec.parse({ containers: [c] }).containers[0]).toMatchObject({ env: [], ports: [] });
  });

  it('a probe has exactly one handler and Kubernetes\' timings', () => {
    expect(probe.parse({ httpGet: { port: 8080 } })).toMatchObject({ httpGet: { path: '/', port: 8080 }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 1 });
    expect(probe.safeParse({}).success).toBe(false);
    expect(probe.safeParse({ httpGet: { port: 1 }, tcpSocket: { port: 1 } }).success).toBe(false);
  });

  it('a service selects by at least one label and has a port', () => {
    expect(serviceSpec.safeParse({ selector: {}, ports: [{ port: 80 }] }).success).toBe(false);
    expect(serviceSpec.safeParse({ selector: { app: 'web' }, ports: [] }).success).toBe(false);
    expect(serviceSpec.parse({ selector: { app: 'web' }, ports: [{ port: 8080 }] }).ports[0]).toMatchObject({ port: 8080, protocol: 'TCP' });
  });

  it('a host states its capacity in quantities', () => {
    expect(hostSpec.parse({ provider: 'docker', capacity: { cpu: '2', memory: '4Gi' } })).toMatchObject({ address: '127.0.0.1', unschedulable: false });
    expect(hostSpec.safeParse({ provider: 'docker', capacity: { cpu: '0', memory: '4Gi' } }).success).toBe(false);
  });
});
