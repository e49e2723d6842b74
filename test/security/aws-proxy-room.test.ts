// Attack, on AWS: a stranger goes after the room another project's Service proxy waits for on the
// tenant hosts (shared/scheduler/wanted-room.ts) — through the real API on DynamoDB Local, the
// real service-discovery reconciler, project finalizer and autoscaler, with ECS and Cloud Map as
// their API References describe them (ecs-proxy-fake.ts, cloud-map-fake.ts). Both projects'
// proxies find no host with room. The stranger tries to read the wanted room through the API (it
// is no API kind: nothing answers it, whatever the path), deletes the victim's Service (refused),
// deletes their own Service and their own project: only the stranger's wanted room goes, and the
// victim's still grows the fleet.
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutoscaler } from '../../shared/autoscale/autoscaler.ts';
import { AutoScalingGroups } from '../../shared/aws/auto-scaling.ts';
import { CloudMapDiscovery } from '../../shared/aws/cloud-map.ts';
import { EcsServiceProxies } from '../../shared/aws/ecs-service-proxies.ts';
import { proxyOfRoomKey } from '../../shared/aws/service-proxy-task.ts';
import type { Host } from '../../shared/model/objects.ts';
import { foundationReconcilers } from '../../shared/reconcile/foundation.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { HostReservations } from '../../shared/scheduler/reservations.ts';
import { wantedRoom } from '../../shared/scheduler/wanted-room.ts';
import { serviceDiscoveryReconciler } from '../../shared/services/discovery.ts';
import { CLOUD_MAP_REGION, FakeCloudMap } from '../aws/cloud-map-fake.ts';
import { ECS_REGION, FakeEcsProxies } from '../aws/ecs-proxy-fake.ts';
import { testApi, type TestApi } from '../support/api.ts';

const V = 'shop';
const S = 'sho';
const GROUP = 'Berth-Fleet-TenantHostsAsg1A2B3C4D-5E6F7G8H9I0J';
let api: TestApi;
let victim = '';
let stranger = '';
let ecs: FakeEcsProxies;
let cloudMap: FakeCloudMap;
let discovery: Reconciler;
let finalizer: Reconciler;
const asg = mockClient(AutoScalingClient);
const dbService = { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 5432, protocol: 'TCP' }] } };
const waiting = async () => (await wantedRoom(api.store)).map((w) => proxyOfRoomKey(w.key));

beforeAll(async () => {
  api = await testApi();
  ecs = new FakeEcsProxies();
  cloudMap = new FakeCloudMap();
  cloudMap.pendingPolls = 0;
  const host = await ecs.tenantHost(api.store, 'i-0a1b2c3d4e5f60718');
  await api.store.updateStatus<Host>({ ...host, status: { ...host.status, requested: { ...host.status.allocatable } } });
  const names = new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: CLOUD_MAP_REGION }), vpcId: 'vpc-0b1e2a3c4d5e6f708', polls: 2, sleep: async () => {} });
  const proxies = new EcsServiceProxies({ client: new ECSClient({ region: ECS_REGION }), cluster: 'berth', image: 'berth/service-proxy:1', subnets: ['subnet-a'], securityGroupOf: async (p) => `sg-0${p}`, room: new HostReservations(api.store) });
  discovery = serviceDiscoveryReconciler(api.store, names, proxies);
  finalizer = foundationReconcilers(api.store, { serviceDiscovery: names })[0]!;
  expect(finalizer.name).toBe('project-finalizer');
  victim = await api.user('victim');
  stranger = await api.user('stranger');
  for (const [who, project] of [[victim, V], [stranger, S]] as const) {
    expect((await api.call('POST', '/api/v1/projects', who, { metadata: { name: project }, spec: {} })).status).toBe(201);
    expect((await api.call('POST', `/api/v1/projects/${project}/services`, who, dbService)).status).toBe(201);
    await expect(discovery.reconcile({ kind: 'Service', project, name: 'db' })).rejects.toThrow('no tenant host has room');
  }
}, 60_000);
afterAll(() => {
  ecs.mock.restore();
  cloudMap.mock.restore();
  asg.restore();
});

describe('a stranger and the room the victim\'s proxy waits for', () => {
  it('both proxies wait, each under its own Service', async () => {
    expect(await waiting()).toEqual([{ project: S, service: 'db' }, { project: V, service: 'db' }]);
  });

  it.each([
    '/api/v1/wantedreservations',
    '/api/v1/wantedreservations/proxy:shop%2Fdb',
    `/api/v1/projects/${V}/wantedreservations`,
    `/api/v1/projects/${S}/wantedreservations`,
    '/api/v1/hosts',
  ])('cannot read it at %s (403/404, never the record)', async (path) => {
    const res = await api.call('GET', path, stranger);
    expect([403, 404]).toContain(res.status);
    expect(JSON.stringify(res.body ?? '')).not.toMatch(/since|cpuMilli|proxy:shop\/db#/);
  });

  it('cannot delete the victim\'s Service, and the victim\'s wanted room stays', async () => {
    expect([403, 404]).toContain((await api.call('DELETE', `/api/v1/projects/${V}/services/db`, stranger)).status);
    await expect(discovery.reconcile({ kind: 'Service', project: V, name: 'db' })).rejects.toThrow('no tenant host has room');
    expect(await waiting()).toContainEqual({ project: V, service: 'db' });
  });

  it('deleting their own Service and project forgets only their own wanted room; the victim\'s still grows the fleet', async () => {
    expect((await api.call('DELETE', `/api/v1/projects/${S}/services/db`, stranger)).status).toBeLessThan(300);
    await discovery.reconcile({ kind: 'Service', project: S, name: 'db' });
    expect(await waiting()).toEqual([{ project: V, service: 'db' }]);
    expect((await api.call('POST', `/api/v1/projects/${S}/services`, stranger, dbService)).status).toBe(201);
    await expect(discovery.reconcile({ kind: 'Service', project: S, name: 'db' })).rejects.toThrow('no tenant host has room');
    expect((await api.call('DELETE', `/api/v1/projects/${S}`, stranger)).status).toBeLessThan(300);
    const ref = { kind: 'Project', project: '', name: S };
    for (let i = 0; i < 20 && (await api.store.get(ref)); i++) {
      // The stream: the deleted Service's record wakes the names reconciler.
      await discovery.reconcile({ kind: 'Service', project: S, name: 'db' });
      if ((await finalizer.reconcile(ref)).requeueAfter === undefined) break;
    }
    expect(await api.store.get(ref)).toBeUndefined();
    expect(await waiting()).toEqual([{ project: V, service: 'db' }]);
    // The autoscaler (DescribeAutoScalingGroups as its API Reference shows it) still buys a host for the victim's proxy.
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [{ AutoScalingGroupName: GROUP, MinSize: 1, MaxSize: 5, DesiredCapacity: 1, DefaultCooldown: 300, AvailabilityZones: ['eu-west-1a'], HealthCheckType: 'EC2', CreatedTime: new Date('2026-11-30T12:00:00Z'),
        Instances: [{ InstanceId: 'i-0a1b2c3d4e5f60718', InstanceType: 'm7g.large', AvailabilityZone: 'eu-west-1a', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: true }] }],
    });
    asg.on(SetDesiredCapacityCommand).resolves({});
    const pass = await createAutoscaler({ store: api.store, groups: new AutoScalingGroups(new AutoScalingClient({ region: 'eu-west-1' })), group: GROUP })();
    expect(pass.actions).toContainEqual({ type: 'set-desired', desired: 2, reason: '1 pending reservation needs 1 more host' });
    expect(asg.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 2, HonorCooldown: false }]);
  });
});
