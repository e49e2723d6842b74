// The ReplicationController controller on DynamoDB Local: it makes the pods an RC asks for from
// its template, stops spare ones (unplaced and unready first), replaces pods that ended,
// counts ready and available pods (minReadySeconds, with a requeue for when one will count),
// and stops the pods of an RC that is gone.
import { beforeEach, describe, expect, it } from 'vitest';
import { replicationReconciler } from '../../shared/deploy/replication.ts';
import type { Pod, ReplicationController } from '../../shared/model/objects.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
let clock = Date.parse('2026-01-01T00:00:00Z');
const now = () => clock;
const P = 'demo';
const RC = { kind: 'ReplicationController', project: P, name: 'web-1' };

beforeEach(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
});

async function rc(replicas: number, minReadySeconds = 0): Promise<ReplicationController> {
  return t.store.create<ReplicationController>({
    kind: 'ReplicationController',
    metadata: { name: 'web-1', project: P, labels: { deploymentconfig: 'web' } },
    spec: { replicas, minReadySeconds, selector: { deployment: 'web-1' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'img:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: {}, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } } },
    status: { phase: 'Running', replicas: 0, readyReplicas: 0, availableReplicas: 0 },
  });
}

const pods = async () => (await t.store.list<Pod>('Pod', P)).items;
const live = async () => (await pods()).filter((p) => !p.metadata.deletionTimestamp);
const status = async () => (await t.store.get<ReplicationController>(RC))!.status;

async function setReplicas(n: number) {
  const cur = (await t.store.get<ReplicationController>(RC))!;
  await t.store.update({ ...cur, spec: { ...cur.spec, replicas: n } });
}

/** What a host would write: the pod placed, running and (not) ready since `since`. */
async function runPod(p: Pod, ready: boolean, since = new Date(clock).toISOString()) {
  const placed = await t.store.update<Pod>({ ...p, spec: { ...p.spec, host: 'h1' } });
  await t.store.updateStatus({ ...placed, status: { ...placed.status, phase: 'Running', readySince: ready ? since : undefined, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
}

describe('the ReplicationController controller', () => {
  it('makes the pods from the template, labelled with their RC and DC', async () => {
    await rc(3);
    const r = replicationReconciler({ store: t.store, now });
    expect(await r.reconcile(RC)).toEqual({});
    const made = await pods();
    expect(made).toHaveLength(3);
    for (const p of made) {
      expect(p.metadata.name).toMatch(/^web-1-[a-z0-9]{5}$/);
      expect(p.metadata.labels).toEqual({ app: 'web', deployment: 'web-1', deploymentconfig: 'web' });
      expect(p.spec.containers[0]).toMatchObject({ image: 'img:1', env: [{ name: 'A', value: '1' }] });
      expect(p.status).toMatchObject({ phase: 'Pending' });
    }
    expect(await status()).toMatchObject({ replicas: 3, readyReplicas: 0, availableReplicas: 0, phase: 'Running' });
    await r.reconcile(RC); // nothing more
    expect(await pods()).toHaveLength(3);
  });

  it('scales down unplaced and unready pods first, marking bound pods rather than deleting them', async () => {
    await rc(4);
    const r = replicationReconciler({ store: t.store, now });
    await r.reconcile(RC);
    const [a, b, c] = await pods();
    await runPod(a!, true);
    await runPod(b!, true);
    await runPod(c!, false);
    await setReplicas(2);
    await r.reconcile(RC);
    const all = await pods();
    // The unplaced pod is deleted outright, the unready bound one is marked for its host to stop.
    expect(all.map((p) => p.metadata.name).sort()).toEqual([a, b, c].map((p) => p!.metadata.name).sort());
    expect(all.find((p) => p.metadata.name === c!.metadata.name)!.metadata.deletionTimestamp).toBeTruthy();
    expect((await live()).map((p) => p.metadata.name).sort()).toEqual([a, b].map((p) => p!.metadata.name).sort());
    expect(await status()).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
  });

  it('a pod counts as available only after minReadySeconds, and the controller comes back then', async () => {
    await rc(1, 30);
    const r = replicationReconciler({ store: t.store, now });
    await r.reconcile(RC);
    await runPod((await pods())[0]!, true);
    clock += 10_000;
    expect(await r.reconcile(RC)).toEqual({ requeueAfter: 20_010 });
    expect(await status()).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    clock += 20_000;
    expect(await r.reconcile(RC)).toEqual({});
    expect(await status()).toMatchObject({ availableReplicas: 1 });
  });

  it('replaces a pod that failed, and a Pod event (even of a deleted pod) wakes its RC', async () => {
    await rc(2);
    const r = replicationReconciler({ store: t.store, now });
    await r.reconcile(RC);
    const [a, b] = await pods();
    await t.store.updateStatus({ ...a!, status: { ...a!.status, phase: 'Failed' } });
    await r.reconcile({ kind: 'Pod', project: P, name: a!.metadata.name });
    expect((await live()).map((p) => p.metadata.name)).not.toContain(a!.metadata.name);
    expect(await live()).toHaveLength(2);
    await t.store.delete({ kind: 'Pod', project: P, name: b!.metadata.name });
    await r.reconcile({ kind: 'Pod', project: P, name: b!.metadata.name });
    expect(await live()).toHaveLength(2);
  });

  it('stops every pod of an RC that is gone', async () => {
    await rc(2);
    const r = replicationReconciler({ store: t.store, now });
    await r.reconcile(RC);
    await runPod((await pods())[0]!, true);
    await t.store.delete(RC);
    await r.reconcile(RC);
    const left = await pods();
    expect(left).toHaveLength(1);
    expect(left[0]!.metadata.deletionTimestamp).toBeTruthy();
  });

  it('makes at most 50 pods a pass and asks to be called again for the rest', async () => {
    await rc(60);
    const r = replicationReconciler({ store: t.store, now });
    expect(await r.reconcile(RC)).toEqual({ requeueAfter: 0 });
    expect(await pods()).toHaveLength(50);
    expect(await r.reconcile(RC)).toEqual({});
    expect(await pods()).toHaveLength(60);
  }, 60_000);
});
