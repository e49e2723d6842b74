// The service-discovery reconciler (shared/services/discovery.ts) over DynamoDB Local and Cloud
// Map as its API Reference describes it (test/aws/cloud-map-fake.ts): a Service's name follows
// its endpoints, waits (requeue) while its namespace is being made, goes when the Service goes;
// the resync finds names and namespaces the store no longer has; failures reach onError and
// are thrown again for the runner's retry.
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudMapDiscovery } from '../../shared/aws/cloud-map.ts';
import type { Service } from '../../shared/model/objects.ts';
import type { ObjectRef } from '../../shared/model/types.ts';
import { PENDING_RETRY_MS, instancesOf, planInstances, serviceDiscoveryReconciler } from '../../shared/services/discovery.ts';
import { CLOUD_MAP_REGION, FakeCloudMap } from '../aws/cloud-map-fake.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
let fake: FakeCloudMap;
let errors: [string, ObjectRef][];
const P = 'demo';
const endpoint = (pod: string, ip: string) => ({ pod, host: 'h1', ip, ports: [{ port: 80, hostPort: 8080 }] });

function reconciler() {
  const names = new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: CLOUD_MAP_REGION }), vpcId: 'vpc-0b1e2a3c4d5e6f708', polls: 1, sleep: async () => {} });
  return serviceDiscoveryReconciler(t.store, names, { onError: (err, ref) => errors.push([(err as Error).message, ref]) });
}
async function service(name: string, endpoints: ReturnType<typeof endpoint>[]): Promise<Service> {
  const s = await t.store.create<Service>({ kind: 'Service', metadata: { name, project: P }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } } as never);
  return t.store.updateStatus<Service>({ ...s, status: { endpoints } });
}
const collectAll = async (it: AsyncIterable<ObjectRef>) => {
  const out: ObjectRef[] = [];
  for await (const r of it) out.push(r);
  return out;
};

beforeEach(async () => {
  t = await freshTable();
  fake = new FakeCloudMap();
  errors = [];
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
});

describe('the service-discovery reconciler', () => {
  it('plans registrations and deregistrations from the endpoints (pure)', () => {
    const want = instancesOf({ status: { endpoints: [endpoint('a', '10.0.3.1'), endpoint('b', '10.0.3.2'), { pod: 'c', host: 'h1', ip: '', ports: [] }] } });
    expect(want).toEqual([{ id: 'a', ip: '10.0.3.1', port: 8080 }, { id: 'b', ip: '10.0.3.2', port: 8080 }]);
    expect(planInstances(want, [{ id: 'a', ip: '10.0.3.1', port: 8080 }, { id: 'b', ip: '10.0.3.9', port: 8080 }, { id: 'z', ip: '10.0.3.26', port: 8080 }]))
      .toEqual({ register: [{ id: 'b', ip: '10.0.3.2', port: 8080 }], deregister: ['z'] });
  });

  it('asks to be called again while the namespace is being made, then registers the endpoints', async () => {
    fake.pendingPolls = 2;
    const r = reconciler();
    await service('web', [endpoint('web-1-a', '10.0.3.41')]);
    const ref = { kind: 'Service', project: P, name: 'web' };
    expect(await r.reconcile(ref)).toEqual({ requeueAfter: PENDING_RETRY_MS });
    expect(await r.reconcile(ref)).toEqual({ requeueAfter: PENDING_RETRY_MS });
    expect(await r.reconcile(ref)).toEqual({});
    expect(fake.answers('web.demo.svc')).toEqual(['web-1-a 10.0.3.41:8080']);
  });

  it('removes a deleted Service\'s name, and the resync finds names and namespaces the store no longer has', async () => {
    fake.pendingPolls = 0;
    const r = reconciler();
    await service('web', [endpoint('web-1-a', '10.0.3.41')]);
    await service('api', []);
    await r.reconcile({ kind: 'Service', project: P, name: 'web' });
    await r.reconcile({ kind: 'Service', project: P, name: 'api' });
    const web = (await t.store.get<Service>({ kind: 'Service', project: P, name: 'web' }))!;
    await t.store.delete({ kind: 'Service', project: P, name: 'web' }, { resourceVersion: web.metadata.resourceVersion });
    // A namespace whose project is gone (made by an earlier pass, its project deleted meanwhile).
    await t.store.create({ kind: 'Project', metadata: { name: 'gone', project: '' }, spec: {} });
    await t.store.create<Service>({ kind: 'Service', metadata: { name: 'db', project: 'gone' }, spec: { selector: { app: 'db' }, ports: [{ port: 5432, protocol: 'TCP' }] } } as never);
    await r.reconcile({ kind: 'Service', project: 'gone', name: 'db' });
    const gone = (await t.store.get({ kind: 'Project', project: '', name: 'gone' }))!;
    await t.store.delete({ kind: 'Service', project: 'gone', name: 'db' }, { resourceVersion: (await t.store.get({ kind: 'Service', project: 'gone', name: 'db' }))!.metadata.resourceVersion });
    await t.store.delete({ kind: 'Project', project: '', name: 'gone' }, { resourceVersion: gone.metadata.resourceVersion });
    const refs = await collectAll(r.resync!());
    expect(refs).toEqual(expect.arrayContaining([{ kind: 'Service', project: P, name: 'web' }, { kind: 'Project', project: '', name: 'gone' }]));
    for (const ref of refs) for (let i = 0; i < 3 && (await r.reconcile(ref)).requeueAfter; i++);
    expect(fake.answers('web.demo.svc')).toEqual([]);
    expect([...fake.services.values()].map((s) => s.Name)).toEqual(['api']);
    expect([...fake.namespaces.values()].map((n) => n.Name)).toEqual(['demo.svc']);
    expect(await collectAll(r.resync!())).toEqual([{ kind: 'Service', project: P, name: 'api' }]);
  });

  it('reports a failure to onError with the Service, and throws it again for the runner to retry', async () => {
    fake.foreignNamespace('demo.svc');
    const r = reconciler();
    await service('web', []);
    await expect(r.reconcile({ kind: 'Service', project: P, name: 'web' })).rejects.toMatchObject({ code: 'NotOwned' });
    expect(errors).toEqual([[expect.stringMatching(/Cloud Map namespace demo\.svc was not made by Berth/), { kind: 'Service', project: P, name: 'web' }]]);
  });
});
