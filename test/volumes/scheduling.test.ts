// Placement of pods with claims, by the scheduler reconciler on DynamoDB Local: the pods of a
// ReadWriteOnce claim go to the host it is attached to (where its other pods are) and never to a
// second host, even to spread a deployment; the new pod of a Recreate rollout waits while the
// old one, stopping on a full host, still holds the claim, and goes anywhere once it has gone;
// a ReadWriteMany claim spreads as usual; a pod whose claim is missing or unbound stays pending
// and says so. The pure `place()` and the indexed Scheduler agree on the same rule.
import { describe, expect, it } from 'vitest';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { place } from '../../shared/scheduler/place.ts';
import { schedulerReconciler } from '../../shared/scheduler/reconciler.ts';
import { Scheduler } from '../../shared/scheduler/scheduler.ts';
import type { HostInfo } from '../../shared/scheduler/types.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const MiB = 2 ** 20;
let n = 0;

async function setup() {
  const t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
  for (const h of ['h1', 'h2', 'h3']) {
    await t.store.create<Host>({
      kind: 'Host',
      metadata: { name: h, project: '' },
      spec: { provider: 'simulated', address: '127.0.0.1', capacity: { cpu: '1', memory: '1Gi' }, unschedulable: false },
      status: { allocatable: { cpuMilli: 1000, memoryBytes: 1024 * MiB }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
    });
  }
  return { t, reconciler: schedulerReconciler({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }) }) };
}

async function claim(t: TestTable, name: string, accessModes: string[], bound = true) {
  await t.store.create({
    kind: 'PersistentVolumeClaim',
    metadata: { name, project: 'demo' },
    spec: { accessModes, resources: { requests: { storage: '1Gi' } } },
    status: bound ? { phase: 'Bound', accessModes, capacity: { storage: '1Gi' }, volumeName: `pvc-${name}` } : { phase: 'Pending' },
  });
}

async function pod(t: TestTable, dc: string, claimName: string, cpu = '100m'): Promise<Pod> {
  return t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `${dc}-1-p${++n}`, project: 'demo', labels: { deploymentconfig: dc, deployment: `${dc}-1` } },
    spec: {
      containers: [{ name: 'c', image: 'x', env: [], ports: [], volumeMounts: [{ name: 'v', mountPath: '/data' }], resources: { requests: { cpu, memory: '64Mi' }, limits: {} } }],
      volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 10,
    },
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
}

const ref = (p: Pod) => ({ kind: 'Pod', project: 'demo', name: p.metadata.name });
const hostOf = async (t: TestTable, p: Pod) => (await t.store.get<Pod>(ref(p)))!.spec.host;

describe('scheduling pods with claims', () => {
  it('keeps every pod of a ReadWriteOnce claim on one host, where spreading would have chosen others', async () => {
    const { t, reconciler } = await setup();
    await claim(t, 'db', ['ReadWriteOnce']);
    const pods = [await pod(t, 'db', 'db'), await pod(t, 'db', 'db'), await pod(t, 'db', 'db')];
    for (const p of pods) await reconciler.reconcile(ref(p));
    const hosts = await Promise.all(pods.map((p) => hostOf(t, p)));
    expect(hosts[0]).toBeDefined();
    expect(new Set(hosts)).toEqual(new Set([hosts[0]]));
  });

  it('spreads the pods of a ReadWriteMany claim as usual', async () => {
    const { t, reconciler } = await setup();
    await claim(t, 'shared', ['ReadWriteMany']);
    const pods = [await pod(t, 'web', 'shared'), await pod(t, 'web', 'shared'), await pod(t, 'web', 'shared')];
    for (const p of pods) await reconciler.reconcile(ref(p));
    expect(new Set(await Promise.all(pods.map((p) => hostOf(t, p))))).toEqual(new Set(['h1', 'h2', 'h3']));
  });

  it('a Recreate rollout\'s new pod waits while the stopping old pod holds the claim on a full host, then goes where it fits', async () => {
    const { t, reconciler } = await setup();
    await claim(t, 'db', ['ReadWriteOnce']);
    const old = await pod(t, 'db', 'db', '900m');
    await reconciler.reconcile(ref(old));
    const oldHost = await hostOf(t, old);
    // The old pod is stopping (marked, its host has not let it go yet) and its host has no room for another 900m.
    const cur = (await t.store.get<Pod>(ref(old)))!;
    await t.store.update({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: new Date().toISOString() } });
    const next = await pod(t, 'db', 'db', '900m');
    expect((await reconciler.reconcile(ref(next))).requeueAfter).toBeGreaterThan(0);
    expect(await hostOf(t, next)).toBeUndefined();
    const waiting = (await t.store.get<Pod>(ref(next)))!;
    expect(waiting.status.conditions.find((c) => c.type === 'PodScheduled')?.message).toBe('0/3 hosts are available: 1 insufficient cpu, 2 volume node affinity conflict.');
    // The old pod has released the claim: the new one is placed.
    await t.store.delete(ref(old));
    expect(await reconciler.reconcile(ref(next))).toEqual({});
    expect(await hostOf(t, next)).toBeDefined();
    expect(oldHost).toBeDefined();
  });

  it('a pod whose claim is missing or not bound stays pending and says which', async () => {
    const { t, reconciler } = await setup();
    await claim(t, 'slow', ['ReadWriteOnce'], false);
    const a = await pod(t, 'a', 'absent');
    const b = await pod(t, 'b', 'slow');
    await reconciler.reconcile(ref(a));
    await reconciler.reconcile(ref(b));
    const msg = async (p: Pod) => (await t.store.get<Pod>(ref(p)))!.status.conditions.find((c) => c.type === 'PodScheduled')?.message;
    expect(await msg(a)).toBe('persistentvolumeclaim "absent" not found');
    expect(await msg(b)).toBe('pod has unbound immediate PersistentVolumeClaims ("slow")');
    expect(await hostOf(t, a)).toBeUndefined();
  });

  it('place() and the indexed Scheduler agree: only the claim\'s host, or why not', () => {
    const hosts: HostInfo[] = ['h1', 'h2', 'h3'].map((name, i) => ({ name, allocatable: { cpuMilli: 1000, memoryBytes: 1024 * MiB }, requested: { cpuMilli: i === 1 ? 950 : 0, memoryBytes: 0 }, ready: true }));
    const base = { name: 'p', project: 'demo', group: 'demo/db', cpuMilli: 100, memoryBytes: MiB };
    for (const onlyHosts of [['h3'], ['h2'], []]) {
      const expected = place({ ...base, onlyHosts }, hosts);
      expect(new Scheduler(hosts).place({ ...base, onlyHosts })).toEqual(expected);
    }
    expect(place({ ...base, onlyHosts: ['h3'] }, hosts)).toEqual({ host: 'h3' });
    expect(place({ ...base, onlyHosts: ['h2'] }, hosts)).toEqual({ unschedulable: '0/3 hosts are available: 1 insufficient cpu, 2 volume node affinity conflict.' });
  });
});
