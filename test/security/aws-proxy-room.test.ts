// Attack, on AWS: a stranger goes after the room another project's Service proxy waits for on the
// tenant hosts (shared/scheduler/wanted-room.ts) — through the real API on DynamoDB Local, the
// real service-discovery reconciler, project finalizer and autoscaler, with ECS and Cloud Map as
// their API References describe them (ecs-proxy-fake.ts, cloud-map-fake.ts). Both projects'
// proxies find no host with room. The stranger tries to read the wanted room through the API (it
// is no API kind: nothing answers it, whatever the path), deletes the victim's Service (refused),
// deletes their own Service and their own project: only the stranger's wanted room goes, and the
// victim's still grows the fleet.
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutoscaler } from '../../shared/autoscale/autoscaler.ts';
import { AutoScalingGroups } from '../../shared/aws/auto-scaling.ts';
import { proxyOfRoomKey } from '../../shared/aws/service-proxy-task.ts';
import type { Host } from '../../shared/model/objects.ts';
import { wantedRoom } from '../../shared/scheduler/wanted-room.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { awsDiscovery, type AwsDiscovery } from '../support/aws-discovery.ts';

const V = 'shop';
const S = 'sho';
const GROUP = 'Berth-Fleet-TenantHostsAsg1A2B3C4D-5E6F7G8H9I0J';
let api: TestApi;
let aws: AwsDiscovery;
const users = { victim: '', stranger: '' };
const asg = mockClient(AutoScalingClient);
const dbService = { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 5432, protocol: 'TCP' }] } };
const waiting = async () => (await wantedRoom(api.store)).map((w) => proxyOfRoomKey(w.key));

beforeAll(async () => {
  api = await testApi();
  aws = await awsDiscovery(api.store);
  // The one tenant host is full: no proxy finds room.
  await api.store.updateStatus<Host>({ ...aws.host, status: { ...aws.host.status, requested: { ...aws.host.status.allocatable } } });
  users.victim = await api.user('victim');
  users.stranger = await api.user('stranger');
  for (const [who, project] of [[users.victim, V], [users.stranger, S]] as const) {
    expect((await api.call('POST', '/api/v1/projects', who, { metadata: { name: project }, spec: {} })).status).toBe(201);
    expect((await api.call('POST', `/api/v1/projects/${project}/services`, who, dbService)).status).toBe(201);
    await expect(aws.discovery.reconcile({ kind: 'Service', project, name: 'db' })).rejects.toThrow('no tenant host has room');
  }
}, 60_000);
afterAll(() => {
  aws.restore();
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
    const res = await api.call('GET', path, users.stranger);
    expect([403, 404]).toContain(res.status);
    expect(JSON.stringify(res.body ?? '')).not.toMatch(/since|cpuMilli|proxy:shop\/db#/);
  });

  it('cannot delete the victim\'s Service, and the victim\'s wanted room stays', async () => {
    expect([403, 404]).toContain((await api.call('DELETE', `/api/v1/projects/${V}/services/db`, users.stranger)).status);
    await expect(aws.discovery.reconcile({ kind: 'Service', project: V, name: 'db' })).rejects.toThrow('no tenant host has room');
    expect(await waiting()).toContainEqual({ project: V, service: 'db' });
  });

  it('deleting their own Service and project forgets only their own wanted room; the victim\'s still grows the fleet', async () => {
    expect((await api.call('DELETE', `/api/v1/projects/${S}/services/db`, users.stranger)).status).toBeLessThan(300);
    await aws.discovery.reconcile({ kind: 'Service', project: S, name: 'db' });
    expect(await waiting()).toEqual([{ project: V, service: 'db' }]);
    expect((await api.call('POST', `/api/v1/projects/${S}/services`, users.stranger, dbService)).status).toBe(201);
    await expect(aws.discovery.reconcile({ kind: 'Service', project: S, name: 'db' })).rejects.toThrow('no tenant host has room');
    expect((await api.call('DELETE', `/api/v1/projects/${S}`, users.stranger)).status).toBeLessThan(300);
    const ref = { kind: 'Project', project: '', name: S };
    for (let i = 0; i < 20 && (await api.store.get(ref)); i++) {
      // The stream: the deleted Service's record wakes the names reconciler.
      await aws.discovery.reconcile({ kind: 'Service', project: S, name: 'db' });
      if ((await aws.finalizer.reconcile(ref)).requeueAfter === undefined) break;
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
