// The service-discovery reconciler (shared/services/discovery.ts) over DynamoDB Local, Cloud
// Map and ECS as their API References describe them (test/aws/cloud-map-fake.ts,
// test/aws/ecs-proxy-fake.ts): a Service's endpoints' name follows its endpoints, its proxy is
// run and its own name answers the proxy once it runs, waits (requeue) while its namespace is
// being made or its proxy starting, goes (proxy, then names, and the room it waited for) when the
// Service goes; the resync finds names, namespaces and wanted room the store no longer has; failures reach onError and
// are thrown again for the runner's retry.
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ECSClient } from '@aws-sdk/client-ecs';
import { CloudMapDiscovery } from '../../shared/aws/cloud-map.ts';
import { EcsServiceProxies, proxyTaskEvent } from '../../shared/aws/ecs-service-proxies.ts';
import type { Host, Service } from '../../shared/model/objects.ts';
import { proxyOfRoomKey } from '../../shared/aws/service-proxy-task.ts';
import { wantedRoom } from '../../shared/scheduler/wanted-room.ts';
import type { ObjectRef } from '../../shared/model/types.ts';
import { HostReservations } from '../../shared/scheduler/reservations.ts';
import { PENDING_RETRY_MS, instancesOf, planInstances, serviceDiscoveryReconciler } from '../../shared/services/discovery.ts';
import { CLOUD_MAP_REGION, FakeCloudMap } from '../aws/cloud-map-fake.ts';
import { ECS_REGION, FakeEcsProxies } from '../aws/ecs-proxy-fake.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
let fake: FakeCloudMap;
let ecs: FakeEcsProxies;
let errors: [string, ObjectRef][];
let host: Host;
const P = 'demo';
const endpoint = (pod: string, ip: string) => ({ pod, host: 'h1', ip, ports: [{ port: 80, hostPort: 8080 }] });

function reconciler() {
  const names = new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: CLOUD_MAP_REGION }), vpcId: 'vpc-0b1e2a3c4d5e6f708', polls: 1, sleep: async () => {} });
  const proxies = new EcsServiceProxies({ client: new ECSClient({ region: ECS_REGION }), cluster: 'berth', image: 'berth/service-proxy:1', subnets: ['subnet-a'], securityGroupOf: async (p) => `sg-0${p}`, room: new HostReservations(t.store) });
  return serviceDiscoveryReconciler(t.store, names, proxies, { onError: (err, ref) => errors.push([(err as Error).message, ref]) });
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
  ecs = new FakeEcsProxies();
  host = await ecs.tenantHost(t.store, 'i-0a1b2c3d4e5f60718');
  errors = [];
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
});

afterEach(() => {
  fake.mock.restore();
  ecs.mock.restore();
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
    // The namespace is there and the endpoints answered; the proxy is still starting.
    expect(await r.reconcile(ref)).toEqual({ requeueAfter: PENDING_RETRY_MS });
    expect(fake.answers('web.endpoints-0.demo.svc')).toEqual(['web-1-a 10.0.3.41:8080']);
    expect(fake.answers('web.demo.svc')).toEqual([]);
    expect(ecs.live()).toHaveLength(1);
    ecs.startAll();
    expect(await r.reconcile(ref)).toEqual({});
    // The Service's own name: its proxy, at the Service's port; one proxy only.
    expect(fake.answers('web.demo.svc')).toEqual(['proxy 10.0.3.101:80']);
    expect(ecs.live()).toHaveLength(1);
    expect(ecs.live()[0]!.input.networkConfiguration?.awsvpcConfiguration?.securityGroups).toEqual(['sg-0demo']);
  });

  /** Service `web` with one ready endpoint, its namespace made and its proxy running and named. */
  async function runningProxy() {
    fake.pendingPolls = 0;
    const r = reconciler();
    await service('web', [endpoint('web-1-a', '10.0.3.41')]);
    const ref = { kind: 'Service', project: P, name: 'web' };
    await r.reconcile(ref);
    ecs.startAll();
    await r.reconcile(ref);
    return { r, ref };
  }

  it('runs again a proxy that stopped, from the resync, and names the new one', async () => {
    const { r, ref } = await runningProxy();
    ecs.lose(ecs.live()[0]!.taskArn!);
    expect(await collectAll(r.resync!())).toEqual([ref]);
    expect(await r.reconcile(ref)).toEqual({ requeueAfter: PENDING_RETRY_MS });
    ecs.startAll((n) => `10.0.3.${200 + n}`);
    expect(await r.reconcile(ref)).toEqual({});
    expect(fake.answers('web.demo.svc')).toEqual(['proxy 10.0.3.201:80']);
  });

  /**
   * An "ECS Task State Change" event of one of the fake's tasks, in the shape the ECS Developer
   * Guide documents ("Amazon ECS task state change events": detail with clusterArn,
   * containerInstanceArn, group, startedBy, lastStatus, desiredStatus, stoppedReason, taskArn…).
   */
  const taskStateChange = (task: ReturnType<FakeEcsProxies['live']>[number], over: Record<string, unknown>) => ({
    version: '0', id: '3317b2af-7005-947d-b652-f55e762e571a', 'detail-type': 'ECS Task State Change', source: 'aws.ecs', account: '123456789012',
    time: '2026-12-03T14:40:00Z', region: ECS_REGION, resources: [task.taskArn!],
    detail: {
      clusterArn: `arn:aws:ecs:${ECS_REGION}:123456789012:cluster/berth`, containerInstanceArn: task.containerInstanceArn, group: task.group, startedBy: task.startedBy,
      launchType: 'EC2', taskArn: task.taskArn, taskDefinitionArn: task.taskDefinitionArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: 3,
      containers: [{ name: 'proxy', lastStatus: 'RUNNING', taskArn: task.taskArn }], ...over,
    },
  });

  it('replaces a proxy that stopped as soon as its task\'s STOPPED event comes, and names the new one on its RUNNING event', async () => {
    const { r, ref } = await runningProxy();
    const lost = ecs.live()[0]!;
    ecs.lose(lost.taskArn!);
    const stopped = taskStateChange(lost, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });
    expect(await proxyTaskEvent(stopped, r)).toEqual({ service: 'demo/web' });
    const [next] = ecs.live();
    expect(next!.taskArn).not.toBe(lost.taskArn);
    ecs.startAll((n) => `10.0.3.${200 + n}`);
    expect(await proxyTaskEvent(taskStateChange(next!, {}), r)).toEqual({ service: 'demo/web' });
    expect(fake.answers('web.demo.svc')).toEqual(['proxy 10.0.3.201:80']);
  });

  it('leaves every other task\'s event alone, asking ECS nothing: pods\', one whose token is not its group\'s Service\'s, one still starting', async () => {
    fake.pendingPolls = 0;
    const r = reconciler();
    await service('web', [endpoint('web-1-a', '10.0.3.41')]);
    await r.reconcile({ kind: 'Service', project: P, name: 'web' });
    const task = ecs.live()[0]!;
    ecs.mock.resetHistory();
    expect(await proxyTaskEvent(taskStateChange(task, { group: 'berth-pod:demo/web-1-a', startedBy: 'berth-pod-0123456789abcdef01234567' }), r)).toEqual({ ignored: 'not the task of a Service\'s proxy' });
    expect(await proxyTaskEvent(taskStateChange(task, { group: 'berth-proxy:other/web' }), r)).toEqual({ ignored: 'not the task of a Service\'s proxy' });
    expect(await proxyTaskEvent(taskStateChange(task, { lastStatus: 'PENDING' }), r)).toEqual({ ignored: 'the proxy task is PENDING' });
    expect(ecs.sent()).toEqual([]);
  });

  it('a Service with only UDP ports has no proxy and its own name no answers', async () => {
    fake.pendingPolls = 0;
    const r = reconciler();
    const s = await t.store.create<Service>({ kind: 'Service', metadata: { name: 'dns', project: P }, spec: { selector: { app: 'dns' }, ports: [{ port: 53, targetPort: 5353, protocol: 'UDP' }] } } as never);
    await t.store.updateStatus<Service>({ ...s, status: { endpoints: [{ pod: 'dns-1-a', host: 'h1', ip: '10.0.3.5', ports: [{ port: 53, hostPort: 5353 }] }] } });
    expect(await r.reconcile({ kind: 'Service', project: P, name: 'dns' })).toEqual({});
    expect(ecs.tasks.size).toBe(0);
    expect(fake.answers('dns.demo.svc')).toEqual([]);
    expect(fake.answers('dns.endpoints-0.demo.svc')).toEqual(['dns-1-a 10.0.3.5:5353']);
  });

  it('removes a deleted Service\'s name, and the resync finds names and namespaces the store no longer has', async () => {
    fake.pendingPolls = 0;
    const r = reconciler();
    await service('web', [endpoint('web-1-a', '10.0.3.41')]);
    await service('api', []);
    await r.reconcile({ kind: 'Service', project: P, name: 'web' });
    await r.reconcile({ kind: 'Service', project: P, name: 'api' });
    ecs.startAll();
    await r.reconcile({ kind: 'Service', project: P, name: 'web' });
    expect(fake.answers('web.demo.svc')).toHaveLength(1);
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
    expect(refs).toEqual(expect.arrayContaining([{ kind: 'Service', project: P, name: 'web' }, { kind: 'Service', project: 'gone', name: 'db' }, { kind: 'Project', project: '', name: 'gone' }]));
    for (const ref of refs) for (let i = 0; i < 3 && (await r.reconcile(ref)).requeueAfter; i++);
    expect(fake.answers('web.demo.svc')).toEqual([]);
    expect(fake.answers('web.endpoints-0.demo.svc')).toEqual([]);
    expect([...fake.services.values()].map((s) => s.Name).sort()).toEqual(['api', 'api.endpoints-0']);
    // The deleted Services' proxies are stopped; the live one's stays.
    expect(ecs.live().map((x) => x.group)).toEqual(['berth-proxy:demo/api']);
    expect([...fake.namespaces.values()].map((n) => n.Name)).toEqual(['demo.svc']);
    expect(await collectAll(r.resync!())).toEqual([{ kind: 'Service', project: P, name: 'api' }]);
  });

  it('names follow the endpoints while no host has room for the proxy; the proxy\'s error is still reported and thrown', async () => {
    fake.pendingPolls = 0;
    await t.store.delete({ kind: 'Host', project: '', name: host.metadata.name }, { resourceVersion: host.metadata.resourceVersion });
    const r = reconciler();
    await service('web', Array.from({ length: 10 }, (_, i) => endpoint(`web-1-${i}`, `10.0.3.${10 + i}`)));
    await expect(r.reconcile({ kind: 'Service', project: P, name: 'web' })).rejects.toThrow(/no tenant host has room for the proxy of Service demo\/web/);
    expect(errors.map(([message]) => message)).toEqual([expect.stringMatching(/no tenant host has room/)]);
    expect(ecs.tasks.size).toBe(0);
    expect([...fake.answers('web.endpoints-0.demo.svc'), ...fake.answers('web.endpoints-1.demo.svc')]).toHaveLength(10);
    expect(fake.answers('web.demo.svc')).toEqual([]);
  });

  it('forgets the room a deleted Service\'s proxy waited for: on its deletion, and from the resync when that was missed', async () => {
    fake.pendingPolls = 0;
    const r = reconciler();
    const host = (await t.store.list<Host>('Host', '')).items[0]!;
    await t.store.updateStatus<Host>({ ...host, status: { ...host.status, requested: { ...host.status.allocatable } } });
    await service('web', []);
    await service('api', []);
    for (const name of ['web', 'api']) await expect(r.reconcile({ kind: 'Service', project: P, name })).rejects.toThrow('no tenant host has room');
    expect((await wantedRoom(t.store)).map((w) => proxyOfRoomKey(w.key))).toEqual([{ project: P, service: 'api' }, { project: P, service: 'web' }]);
    // Deleted, and its deletion's record reaches the reconciler.
    await t.store.delete({ kind: 'Service', project: P, name: 'web' });
    expect(await r.reconcile({ kind: 'Service', project: P, name: 'web' })).toEqual({});
    expect((await wantedRoom(t.store)).map((w) => proxyOfRoomKey(w.key))).toEqual([{ project: P, service: 'api' }]);
    // Deleted while no event reached the reconciler (it never had names to sweep): the resync finds it by its wanted room.
    await t.store.delete({ kind: 'Service', project: P, name: 'api' });
    const refs = await collectAll(r.resync!());
    expect(refs).toEqual([{ kind: 'Service', project: P, name: 'api' }]);
    await r.reconcile(refs[0]!);
    expect(await wantedRoom(t.store)).toEqual([]);
    expect(await collectAll(r.resync!())).toEqual([]);
  });

  it('reports a failure to onError with the Service, and throws it again for the runner to retry', async () => {
    fake.foreignNamespace('demo.svc');
    const r = reconciler();
    await service('web', []);
    await expect(r.reconcile({ kind: 'Service', project: P, name: 'web' })).rejects.toMatchObject({ code: 'NotOwned' });
    expect(errors).toEqual([[expect.stringMatching(/Cloud Map namespace demo\.svc was not made by Berth/), { kind: 'Service', project: P, name: 'web' }]]);
  });
});
