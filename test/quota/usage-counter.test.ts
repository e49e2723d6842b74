// The project usage counter on DynamoDB Local: every counted write moves it in the same
// transaction, concurrent creations never pass a hard limit, and a deleted pod gives its usage
// back exactly once, whichever path deletes it.
import { beforeEach, describe, expect, it } from 'vitest';
import type { BerthObject, NewObject } from '../../shared/model/types.ts';
import { QuotaExceededError } from '../../shared/quota/errors.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;

const pod = (name: string, cpu = '250m'): NewObject => ({
  kind: 'Pod',
  metadata: { name, project: 'shop' },
  spec: { containers: [{ name: 'web', image: 'r/web@sha256:1', env: [], ports: [], resources: { requests: { cpu, memory: '128Mi' }, limits: { cpu, memory: '128Mi' } } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 },
  status: { phase: 'Pending', conditions: [], restartCount: 0 },
});
const quota = (hard: Record<string, string | number>): NewObject => ({ kind: 'ResourceQuota', metadata: { name: 'compute', project: 'shop' }, spec: { hard } });

beforeEach(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {}, status: { phase: 'Active' } });
});

describe('exact admission', () => {
  it('50 concurrent pod creations against a quota of 10 admit exactly 10', async () => {
    await t.store.create(quota({ pods: 10 }));
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => t.store.create(pod(`web-${i}`))));
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(admitted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect(r.reason).toBeInstanceOf(QuotaExceededError);
    expect(refused[0]!.reason.message).toBe('exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10');
    expect((await t.store.list('Pod', 'shop')).items).toHaveLength(10);
    expect((await t.store.usage('shop')).used).toMatchObject({ pods: 10, 'requests.cpu': 2500, 'limits.memory': 10 * 128 * 2 ** 20 });
  });

  it('cpu is admitted by amount: what would pass requests.cpu is refused with the quantities', async () => {
    await t.store.create(quota({ 'requests.cpu': '1' }));
    await t.store.create(pod('a', '600m'));
    const err = await t.store.create(pod('b', '500m')).catch((e) => e);
    expect(err).toBeInstanceOf(QuotaExceededError);
    expect(err.message).toBe('exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
    await t.store.create(pod('c', '400m'));
    expect((await t.store.usage('shop')).used['requests.cpu']).toBe(1000);
  });

  it('counts without a quota, so a quota made later starts from the truth', async () => {
    await t.store.create(pod('a'));
    await t.store.create({ kind: 'ConfigMap', metadata: { name: 'cfg', project: 'shop' }, spec: { data: {} } });
    await t.store.create(quota({ pods: 1, configmaps: 5 }));
    expect((await t.store.usage('shop')).used).toMatchObject({ pods: 1, configmaps: 1 });
    await expect(t.store.create(pod('b'))).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('a quota raised lets more in; one lowered refuses the next', async () => {
    const q = await t.store.create(quota({ pods: 1 }));
    await t.store.create(pod('a'));
    await expect(t.store.create(pod('b'))).rejects.toBeInstanceOf(QuotaExceededError);
    const raised = await t.store.update({ ...q, spec: { hard: { pods: 2 } } });
    await t.store.create(pod('b'));
    await t.store.delete({ kind: 'ResourceQuota', project: 'shop', name: 'compute' }, { resourceVersion: raised.metadata.resourceVersion });
    await t.store.create(pod('c'));
    expect((await t.store.usage('shop')).hard).toEqual({});
  });
});

describe('usage given back', () => {
  it('a pod deleted by many callers at once gives its usage back exactly once', async () => {
    await t.store.create(pod('a'));
    await t.store.create(pod('b'));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => t.store.delete({ kind: 'Pod', project: 'shop', name: 'a' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await t.store.usage('shop')).used).toMatchObject({ pods: 1, 'requests.cpu': 250 });
  });

  it('a bound pod released from its host gives its usage back with the host room', async () => {
    await t.store.create({ kind: 'Host', metadata: { name: 'h1', project: '' }, spec: {}, status: { requested: { cpuMilli: 250, memoryBytes: 128 * 2 ** 20 } } });
    const p = await t.store.create(pod('a'));
    const host = (await t.store.get<BerthObject>({ kind: 'Host', project: '', name: 'h1' }))!;
    await new DynamoBindingStore({ client: t.client, tableName: t.tableName }).release(p as never, host as never, { cpuMilli: 0, memoryBytes: 0 });
    expect((await t.store.usage('shop')).used).toMatchObject({ pods: 0, 'requests.cpu': 0 });
  });

  it('a pod that ended holds nothing: its room goes back when its status says so', async () => {
    await t.store.create(quota({ pods: 1 }));
    const p = await t.store.create(pod('hook'));
    await t.store.updateStatus({ ...p, status: { ...(p.status as object), phase: 'Succeeded' } });
    expect((await t.store.usage('shop')).used.pods).toBe(0);
    await t.store.create(pod('next'));
    // Deleting the ended pod gives nothing back twice.
    await t.store.delete({ kind: 'Pod', project: 'shop', name: 'hook' });
    expect((await t.store.usage('shop')).used.pods).toBe(1);
  });

  it('deleting the project removes its counter', async () => {
    await t.store.create(quota({ pods: 3 }));
    await t.store.delete({ kind: 'ResourceQuota', project: 'shop', name: 'compute' });
    await t.store.delete({ kind: 'Project', project: '', name: 'shop' });
    expect(await t.store.usage('shop')).toEqual({ version: 0, used: {}, hard: {} });
  });
});
