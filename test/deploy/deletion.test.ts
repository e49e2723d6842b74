// Deleting objects with finalizers: the API marks a bound pod (its host stops it and gives its
// room back) and deletes an unbound one; a project waits for its marked pods before it goes.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { releasePod } from '../../shared/deploy/pods.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { testApi, type TestApi } from '../support/api.ts';

let t: TestApi;
let bindings: DynamoBindingStore;
let n = 0;

beforeAll(async () => {
  t = await testApi();
  bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
  expect((await t.call('POST', '/api/v1/projects', t.adminToken, { metadata: { name: 'shop' } })).status).toBe(201);
  await t.store.create<Host>({
    kind: 'Host',
    metadata: { name: 'h1', project: '' },
    spec: { provider: 'docker', address: '127.0.0.1', capacity: { cpu: '2', memory: '2Gi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 2000, memoryBytes: 2 ** 31 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
  });
});

async function pod(bound: boolean): Promise<Pod> {
  const p = await t.store.create<Pod>({ kind: 'Pod', metadata: { name: `web-1-p${++n}`, project: 'shop' }, spec: { containers: [{ name: 'web', image: 'x', env: [], ports: [], resources: { requests: {}, limits: {} } }] } as never, status: { phase: 'Pending', conditions: [], restartCount: 0 } });
  if (!bound) return p;
  const current = (await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
  return (await bindPod(bindings, { pod: p, host: current, request: { cpuMilli: 100, memoryBytes: 2 ** 28 } })).pod as Pod;
}

const get = (p: Pod) => t.store.get<Pod>({ kind: 'Pod', project: 'shop', name: p.metadata.name });

describe('deleting pods', () => {
  it('an editor deletes pods through the API: a bound one is marked, an unbound one goes', async () => {
    const editor = await t.user('ed');
    await t.call('POST', '/api/v1/projects/shop/rolebindings', t.adminToken, { metadata: { name: 'ed' }, spec: { role: 'edit', subjects: [{ kind: 'User', name: 'ed' }] } });
    const [bound, unbound] = [await pod(true), await pod(false)];
    expect((await t.call('DELETE', `/api/v1/projects/shop/pods/${bound.metadata.name}`, editor)).status).toBe(204);
    expect((await get(bound))!.metadata.deletionTimestamp).toBeTruthy();
    expect((await t.call('DELETE', `/api/v1/projects/shop/pods/${unbound.metadata.name}`, editor)).status).toBe(204);
    expect(await get(unbound)).toBeUndefined();
    // Pods are still not writable by users.
    expect((await t.call('POST', '/api/v1/projects/shop/pods', editor, { metadata: { name: 'mine' }, spec: { containers: [{ name: 'c', image: 'x' }] } })).status).toBe(404);
    const viewer = await t.user('vi');
    await t.call('POST', '/api/v1/projects/shop/rolebindings', t.adminToken, { metadata: { name: 'vi' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'vi' }] } });
    const other = await pod(false);
    expect((await t.call('DELETE', `/api/v1/projects/shop/pods/${other.metadata.name}`, viewer)).status).toBe(403);
    expect(await get(other)).toBeDefined();
  });

  it('a stale resourceVersion is 409 and changes nothing', async () => {
    const p = await pod(true);
    const res = await t.call('DELETE', `/api/v1/projects/shop/pods/${p.metadata.name}?resourceVersion=stale`, t.adminToken);
    expect(res.status).toBe(409);
    expect((await get(p))!.metadata.deletionTimestamp).toBeUndefined();
  });

  it('a deleted project waits for its pods to be released before it goes', async () => {
    expect((await t.call('DELETE', '/api/v1/projects/shop', t.adminToken)).status).toBe(202);
    const finalizer = projectFinalizer(t.store);
    const ref = { kind: 'Project', project: '', name: 'shop' };
    expect(await finalizer.reconcile(ref)).toEqual({ requeueAfter: 2000 });
    expect(await t.store.get(ref)).toBeDefined();
    const left = (await t.store.list<Pod>('Pod', 'shop')).items;
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((p) => p.metadata.deletionTimestamp)).toBe(true);
    for (const p of left) await releasePod(t.store, bindings, p); // what their host does
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!.status.requested).toEqual({ cpuMilli: 0, memoryBytes: 0 });
    await finalizer.reconcile(ref);
    expect(await t.store.get(ref)).toBeUndefined();
  });
});
