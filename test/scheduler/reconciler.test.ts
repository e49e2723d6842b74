// The scheduler reconciler on DynamoDB Local: pending pods are bound to hosts with room, the
// replicas of one deployment spread over hosts, a pod that fits nowhere says why (condition and
// one Event, not one per pass), and two schedulers racing never over-commit a host.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { schedulerReconciler, UNSCHEDULABLE_RETRY_MS } from '../../shared/scheduler/reconciler.ts';
import { collect } from '../../shared/store/each.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const MiB = 2 ** 20;
let t: TestTable;
let n = 0;

async function table(): Promise<{ t: TestTable; reconciler: ReturnType<typeof schedulerReconciler> }> {
  const tt = await freshTable();
  await tt.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
  return { t: tt, reconciler: schedulerReconciler({ store: tt.store, bindings: new DynamoBindingStore({ client: tt.client, tableName: tt.tableName }) }) };
}

async function host(store: TestTable['store'], name: string, cpu = 2000, memMiB = 2048, ready = true): Promise<Host> {
  return store.create<Host>({
    kind: 'Host',
    metadata: { name, project: '' },
    spec: { provider: 'simulated', address: '127.0.0.1', capacity: { cpu: `${cpu}m`, memory: `${memMiB}Mi` }, unschedulable: false },
    status: { allocatable: { cpuMilli: cpu, memoryBytes: memMiB * MiB }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready },
  });
}

async function pod(store: TestTable['store'], dc: string, cpu = '100m', mem = '128Mi'): Promise<Pod> {
  return store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `${dc}-1-p${++n}`, project: 'demo', labels: { deploymentconfig: dc, deployment: `${dc}-1` } },
    spec: { containers: [{ name: 'c', image: 'x', env: [], ports: [], resources: { requests: { cpu, memory: mem }, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 },
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
}

const ref = (p: Pod) => ({ kind: 'Pod', project: 'demo', name: p.metadata.name });

describe('the scheduler reconciler', () => {
  beforeAll(async () => {
    ({ t } = await table());
  });

  it('spreads the replicas of one deployment over the hosts, and books their requests', async () => {
    const { t, reconciler } = await table();
    for (const h of ['h1', 'h2', 'h3']) await host(t.store, h);
    const pods = [await pod(t.store, 'web'), await pod(t.store, 'web'), await pod(t.store, 'web')];
    for (const p of pods) expect(await reconciler.reconcile(ref(p))).toEqual({});
    const bound = await Promise.all(pods.map((p) => t.store.get<Pod>(ref(p))));
    expect(new Set(bound.map((p) => p!.spec.host))).toEqual(new Set(['h1', 'h2', 'h3']));
    const hosts = (await t.store.list<Host>('Host', '')).items;
    expect(hosts.map((h) => h.status.requested)).toEqual(Array(3).fill({ cpuMilli: 100, memoryBytes: 128 * MiB }));
    const events = (await t.store.list('Event', 'demo')).items.map((e: any) => e.spec.reason);
    expect(events.filter((r) => r === 'Scheduled')).toHaveLength(3);
  });

  it('places pod after pod on the hosts it read once, kept up to date by its own bindings, and reads them again for a pod that fits nowhere', async () => {
    const { t } = await table();
    let hostReads = 0;
    const counting = new Proxy(t.store, {
      get(target, prop) {
        if (prop === 'list') return (kind: string, ...rest: unknown[]) => ((kind === 'Host' && hostReads++), target.list(kind, ...(rest as [string])));
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const reconciler = schedulerReconciler({ store: counting, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), now: () => 0 });
    for (const h of ['h1', 'h2']) await host(t.store, h, 300, 4096);
    const pods = await Promise.all(Array.from({ length: 6 }, (_, i) => pod(t.store, `solo${i}`)));
    for (const p of pods) expect(await reconciler.reconcile(ref(p))).toEqual({});
    expect(hostReads).toBe(1);
    const hosts = (await t.store.list<Host>('Host', '')).items;
    expect(hosts.map((h) => h.status.requested.cpuMilli)).toEqual([300, 300]);
    // Full: the seventh is placed again on a fresh read before it is called unschedulable.
    const late = await pod(t.store, 'late');
    expect(await reconciler.reconcile(ref(late))).toEqual({ requeueAfter: UNSCHEDULABLE_RETRY_MS });
    expect(hostReads).toBe(2);
    expect((await t.store.get<Pod>(ref(late)))!.spec.host).toBeUndefined();
  });

  it('calls for one pod that meet (its RC handing it on, its record, a process told at once) take turns: one binding, one Event, no lost race', async () => {
    const { t, reconciler } = await table();
    await host(t.store, 'h1');
    const p = await pod(t.store, 'api');
    const reads: string[] = [];
    const get = t.store.get.bind(t.store);
    t.store.get = (async (r: { kind: string; name: string }) => {
      reads.push(`${r.kind}/${r.name}`);
      return get(r as never);
    }) as typeof t.store.get;
    const results = await Promise.all([1, 2, 3].map(() => reconciler.reconcile(ref(p))));
    t.store.get = get;
    expect(results).toEqual([{}, {}, {}]);
    expect((await t.store.get<Pod>(ref(p)))!.spec.host).toBe('h1');
    const events = (await t.store.list('Event', 'demo')).items.filter((e: any) => e.spec.reason === 'Scheduled' && e.spec.involvedObject.name === p.metadata.name);
    expect(events).toHaveLength(1);
    // The first call places it; the two that met it share one more pass, which reads the pod once,
    // finds it bound and stops (no bind lost and tried again).
    expect(reads.filter((r) => r === `Pod/${p.metadata.name}`)).toHaveLength(2);
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!.status.requested).toEqual({ cpuMilli: 100, memoryBytes: 128 * MiB });
  });

  it('leaves bound, terminating or finished pods alone', async () => {
    const { t, reconciler } = await table();
    await host(t.store, 'h1');
    const p = await pod(t.store, 'web');
    await t.store.updateStatus({ ...p, status: { ...p.status, phase: 'Succeeded' } });
    await reconciler.reconcile(ref(p));
    expect((await t.store.get<Pod>(ref(p)))!.spec.host).toBeUndefined();
    expect(await collect(reconciler.resync!())).toEqual([]);
  });

  it('a pod that fits nowhere stays Pending with the reason, and one Event however often it is tried', async () => {
    const { t, reconciler } = await table();
    await host(t.store, 'h1', 1000, 256);
    await host(t.store, 'h2', 1000, 256);
    await host(t.store, 'h3', 4000, 4096, false);
    const big = await pod(t.store, 'db', '500m', '1Gi');
    expect(await reconciler.reconcile(ref(big))).toEqual({ requeueAfter: 5000 });
    expect(await reconciler.reconcile(ref(big))).toEqual({ requeueAfter: 5000 });
    const after = (await t.store.get<Pod>(ref(big)))!;
    expect(after.spec.host).toBeUndefined();
    expect(after.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 hosts are available: 1 not ready, 2 insufficient memory.' })]);
    const events = (await t.store.list('Event', 'demo')).items as any[];
    expect(events.map((e) => [e.spec.type, e.spec.reason, e.spec.message])).toEqual([['Warning', 'FailedScheduling', '0/3 hosts are available: 1 not ready, 2 insufficient memory.']]);
    expect((await collect(reconciler.resync!())).map((r) => r.name)).toEqual([big.metadata.name]);
  });

  it('two schedulers racing over 20 pods and room for 10: exactly 10 bound, no host over-committed', async () => {
    const { t } = await table();
    const bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
    const a = schedulerReconciler({ store: t.store, bindings });
    const b = schedulerReconciler({ store: t.store, bindings });
    for (const h of ['h1', 'h2']) await host(t.store, h, 500, 4096); // 5 pods of 100m each
    const pods = await Promise.all(Array.from({ length: 20 }, (_, i) => pod(t.store, `app${i % 4}`)));
    // As the runner does, a reconcile that lost every race (requeueAfter 0) is run again at once.
    const until = async (r: typeof a, p: Pod): Promise<void> => {
      for (let i = 0; i < 20 && (await r.reconcile(ref(p))).requeueAfter === 0; i++);
    };
    await Promise.all(pods.flatMap((p) => [until(a, p), until(b, p)]));
    const after = await Promise.all(pods.map((p) => t.store.get<Pod>(ref(p))));
    const bound = after.filter((p) => p!.spec.host);
    expect(bound).toHaveLength(10);
    for (const h of (await t.store.list<Host>('Host', '')).items) {
      const on = bound.filter((p) => p!.spec.host === h.metadata.name);
      const sum = on.reduce((s, p) => s + podRequest(p!).cpuMilli, 0);
      expect(h.status.requested.cpuMilli).toBe(sum);
      expect(sum).toBeLessThanOrEqual(500);
    }
  }, 120_000);
});
