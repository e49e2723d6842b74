// Service endpoints and host lifecycle on DynamoDB Local.
// Endpoints: only ready pods matching the selector, with the host port of the target port; a pod
// that becomes unready or is going away drops out. Hosts: a silent host becomes NotReady and its
// pods Unknown, then its pods are released (room given back) for their RCs to replace; a renewed
// lease makes it ready again.
import { beforeEach, describe, expect, it } from 'vitest';
import { endpointsOf, endpointsReconciler } from '../../shared/deploy/endpoints.ts';
import { hostLifecycleReconciler, renewLease } from '../../shared/deploy/host-lifecycle.ts';
import type { Host, Pod, Service } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const P = 'demo';
let t: TestTable;
let n = 0;

beforeEach(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
});

const spec = { containers: [{ name: 'web', image: 'x', env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '200m', memory: '64Mi' }, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 };

async function pod(labels: Record<string, string>, state: { ready?: boolean; hostPort?: number; host?: string } = {}): Promise<Pod> {
  const p = await t.store.create<Pod>({ kind: 'Pod', metadata: { name: `web-1-p${++n}`, project: P, labels }, spec: { ...spec, ...(state.host ? { host: state.host } : {}) } as never, status: { phase: 'Pending', conditions: [], restartCount: 0 } });
  if (state.ready === undefined) return p;
  return t.store.updateStatus<Pod>({
    ...p,
    status: { phase: 'Running', hostIP: '127.0.0.1', restartCount: 0, ports: state.hostPort ? [{ containerPort: 8080, hostIP: '127.0.0.1', hostPort: state.hostPort }] : [], conditions: [{ type: 'Ready', status: state.ready ? 'True' : 'False' }] },
  });
}

describe('Service endpoints', () => {
  it('lists the ready pods matching the selector with their published host ports', async () => {
    const svc = await t.store.create<Service>({ kind: 'Service', metadata: { name: 'web', project: P }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } });
    const a = await pod({ app: 'web' }, { ready: true, hostPort: 32001, host: 'h1' });
    await pod({ app: 'web' }, { ready: false, hostPort: 32002, host: 'h1' });
    await pod({ app: 'api' }, { ready: true, hostPort: 32003, host: 'h1' });
    await pod({ app: 'web' }, { ready: true, host: 'h1' }); // publishes no port
    const r = endpointsReconciler({ store: t.store });
    await r.reconcile({ kind: 'Pod', project: P, name: a.metadata.name });
    const eps = (await t.store.get<Service>({ kind: 'Service', project: P, name: 'web' }))!.status.endpoints;
    expect(eps).toEqual([{ pod: a.metadata.name, host: 'h1', ip: '127.0.0.1', ports: [{ port: 80, hostPort: 32001, targetPort: 8080 }] }]);

    // Going away drops it.
    await t.store.update({ ...(await t.store.get<Pod>({ kind: 'Pod', project: P, name: a.metadata.name }))!, metadata: { ...a.metadata, resourceVersion: (await t.store.get<Pod>({ kind: 'Pod', project: P, name: a.metadata.name }))!.metadata.resourceVersion, deletionTimestamp: new Date().toISOString() } });
    await r.reconcile({ kind: 'Service', project: P, name: 'web' });
    expect((await t.store.get<Service>({ kind: 'Service', project: P, name: 'web' }))!.status.endpoints).toEqual([]);
    expect(endpointsOf(svc, [])).toEqual([]);
  });

  it('resolves a named target port in each pod: two revisions may serve it on different numbers; a pod without the name is no endpoint', () => {
    const named = (name: string, ports: { containerPort: number; name?: string; protocol?: 'TCP' | 'UDP' }[]): Pod =>
      ({
        kind: 'Pod',
        metadata: { name, project: P, labels: { app: 'web' } },
        spec: { ...spec, host: 'h1', containers: [{ ...spec.containers[0], ports: ports.map((x) => ({ protocol: 'TCP', ...x })) }] },
        status: { phase: 'Running', hostIP: '127.0.0.1', restartCount: 0, ports: ports.map((x, i) => ({ containerPort: x.containerPort, hostIP: '127.0.0.1', hostPort: 33000 + i })), conditions: [{ type: 'Ready', status: 'True' }] },
      }) as unknown as Pod;
    const svc = { spec: { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' as const }] } } as Pick<Service, 'spec'>;
    const pods = [
      named('web-1-a', [{ containerPort: 8080, name: 'http' }]),
      named('web-2-a', [{ containerPort: 9000, name: 'metrics' }, { containerPort: 9090, name: 'http' }]),
      named('web-3-a', [{ containerPort: 8080 }]),
      named('web-4-a', [{ containerPort: 8080, name: 'http', protocol: 'UDP' }]),
    ];
    expect(endpointsOf(svc, pods)).toEqual([
      { pod: 'web-1-a', host: 'h1', ip: '127.0.0.1', ports: [{ port: 80, hostPort: 33000, targetPort: 8080 }] },
      { pod: 'web-2-a', host: 'h1', ip: '127.0.0.1', ports: [{ port: 80, hostPort: 33001, targetPort: 9090 }] },
    ]);
  });
});

describe('host lifecycle', () => {
  let clock: number;
  const now = () => clock;

  async function host(name: string): Promise<Host> {
    return t.store.create<Host>({
      kind: 'Host',
      metadata: { name, project: '' },
      spec: { provider: 'docker', address: '127.0.0.1', capacity: { cpu: '2', memory: '2Gi' }, unschedulable: false },
      status: { allocatable: { cpuMilli: 2000, memoryBytes: 2 ** 31 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
    });
  }

  it('silent past the grace period: NotReady and pods Unknown; past eviction: pods released; renewed: Ready', async () => {
    clock = Date.now();
    const bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
    const h = await host('h1');
    await renewLease(t.store, 'h1', 5, new Date(clock));
    const p = await pod({ deploymentconfig: 'web', deployment: 'web-1' }, { ready: true, hostPort: 32001 });
    await bindPod(bindings, { pod: (await t.store.get<Pod>({ kind: 'Pod', project: P, name: p.metadata.name }))!, host: h, request: podRequest(p) });
    const r = hostLifecycleReconciler({ store: t.store, bindings, graceMs: 10_000, evictionMs: 5_000, now });
    const readHost = async () => (await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
    const readPod = () => t.store.get<Pod>({ kind: 'Pod', project: P, name: p.metadata.name });

    expect((await r.reconcile({ kind: 'HostLease', project: '', name: 'h1' })).requeueAfter).toBe(10_010);
    expect((await readHost()).status).toMatchObject({ ready: true, requested: { cpuMilli: 200 } });

    clock += 11_000;
    await r.reconcile({ kind: 'Host', project: '', name: 'h1' });
    expect((await readHost()).status.ready).toBe(false);
    expect((await readHost()).status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'False', reason: 'HostStatusUnknown' })]);
    expect((await readPod())!.status).toMatchObject({ phase: 'Unknown', reason: 'NodeLost' });

    clock += 5_000;
    await r.reconcile({ kind: 'Host', project: '', name: 'h1' });
    expect(await readPod()).toBeUndefined();
    expect((await readHost()).status.requested).toEqual({ cpuMilli: 0, memoryBytes: 0 });

    await renewLease(t.store, 'h1', 5, new Date(clock));
    await r.reconcile({ kind: 'HostLease', project: '', name: 'h1' });
    expect((await readHost()).status).toMatchObject({ ready: true, conditions: [expect.objectContaining({ reason: 'HostReady' })] });
  });

  it('a lease that promises a longer silence than the grace period is honoured', async () => {
    clock = Date.now();
    const bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
    await host('ecs-1');
    await renewLease(t.store, 'ecs-1', 150, new Date(clock));
    const r = hostLifecycleReconciler({ store: t.store, bindings, graceMs: 10_000, evictionMs: 5_000, now });
    clock += 100_000;
    expect((await r.reconcile({ kind: 'Host', project: '', name: 'ecs-1' })).requeueAfter).toBe(50_010);
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: 'ecs-1' }))!.status.ready).toBe(true);
    clock += 51_000;
    await r.reconcile({ kind: 'Host', project: '', name: 'ecs-1' });
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: 'ecs-1' }))!.status.ready).toBe(false);
  });
});
