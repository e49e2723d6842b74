// A Service's proxy that finds no tenant host with room grows the fleet: its wanted room
// (shared/scheduler/wanted-room.ts) is pending work for the autoscaler as a waiting pod is, so
// the autoscaler's pass raises the group's desired capacity; once the new host registers, the
// proxy is run there and nothing is wanted any more. A proxy that cannot move off a cordoned
// host has the host reopened instead, and its wanted room is then forgotten. DynamoDB Local for
// the store; ECS (ecs-proxy-fake.ts) and Auto Scaling through aws-sdk-client-mock, with the
// exact requests. AWS documentation: Amazon EC2 Auto Scaling API Reference,
// DescribeAutoScalingGroups (AutoScalingGroup: MinSize, MaxSize, DesiredCapacity, Instances[]:
// InstanceId, LifecycleState, ProtectedFromScaleIn) and SetDesiredCapacity
// (AutoScalingGroupName, DesiredCapacity, HonorCooldown).
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand, SetInstanceProtectionCommand, type Instance } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAutoscaler } from '../../shared/autoscale/autoscaler.ts';
import { AutoScalingGroups } from '../../shared/aws/auto-scaling.ts';
import { EcsServiceProxies } from '../../shared/aws/ecs-service-proxies.ts';
import { PROXY_RESERVATION, proxyContentHash, proxyRoomKey, proxyTaskDefinitionInput } from '../../shared/aws/service-proxy-task.ts';
import type { Host } from '../../shared/model/objects.ts';
import { DRAINING_ANNOTATION } from '../../shared/scheduler/cordon.ts';
import { HostReservations } from '../../shared/scheduler/reservations.ts';
import { wantedRoom } from '../../shared/scheduler/wanted-room.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { ECS_REGION, FakeEcsProxies } from '../aws/ecs-proxy-fake.ts';

const GROUP = 'Berth-Fleet-TenantHostsAsg1A2B3C4D-5E6F7G8H9I0J';
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service-proxy:1';
const db = { project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }] };
const KEY = proxyRoomKey('shop', 'db', proxyContentHash(proxyTaskDefinitionInput(db, { image: IMAGE })));
const FIRST = 'i-0a1b2c3d4e5f60001';
const SECOND = 'i-0a1b2c3d4e5f60002';
const asg = mockClient(AutoScalingClient);
let ecs: FakeEcsProxies;
let t: TestTable;
let instances: Instance[];
let desired: number;

/** The group as DescribeAutoScalingGroups answers it: 1 to 5 hosts, its instances in service and protected. */
function describeGroup() {
  asg.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({
    AutoScalingGroups: [{
      AutoScalingGroupName: GROUP, MinSize: 1, MaxSize: 5, DesiredCapacity: desired, DefaultCooldown: 300, AvailabilityZones: ['eu-west-1a'],
      HealthCheckType: 'EC2', CreatedTime: new Date('2026-11-30T12:00:00Z'), NewInstancesProtectedFromScaleIn: true, Instances: instances,
    }],
  }));
  asg.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
    desired = input.DesiredCapacity;
    return {};
  });
  asg.on(SetInstanceProtectionCommand).resolves({});
}
const inService = (id: string): Instance => ({ InstanceId: id, InstanceType: 'm7g.large', AvailabilityZone: 'eu-west-1a', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: true });
const hostNamed = async (name: string) => (await t.store.get<Host>({ kind: 'Host', project: '', name }))!;

beforeEach(async () => {
  asg.reset();
  ecs = new FakeEcsProxies();
  t = await freshTable();
  instances = [inService(FIRST)];
  desired = 1;
  describeGroup();
});
afterEach(() => ecs.mock.restore());

function wire() {
  const proxies = new EcsServiceProxies({ client: new ECSClient({ region: ECS_REGION }), cluster: 'berth', image: IMAGE, subnets: ['subnet-a'], securityGroupOf: async () => 'sg-0shop', room: new HostReservations(t.store) });
  const autoscale = createAutoscaler({ store: t.store, groups: new AutoScalingGroups(new AutoScalingClient({ region: 'eu-west-1' })), group: GROUP });
  return { proxies, autoscale };
}

/** The host's room all taken (by pods, as far as the proxy is concerned). */
async function fill(name: string): Promise<void> {
  const h = await hostNamed(name);
  await t.store.updateStatus<Host>({ ...h, status: { ...h.status, requested: { ...h.status.allocatable } } });
}

describe('a proxy no tenant host has room for', () => {
  it('makes the autoscaler raise the desired capacity; the new host runs it, and nothing is wanted any more', async () => {
    const { proxies, autoscale } = wire();
    const full = await ecs.tenantHost(t.store, FIRST);
    await fill(full.metadata.name);
    await expect(proxies.ensure(db)).rejects.toThrow('no tenant host has room for the proxy of Service shop/db');
    expect((await wantedRoom(t.store)).map((w) => w.key)).toEqual([KEY]);

    const pass = await autoscale();
    expect(asg.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 2, HonorCooldown: false }]);
    expect(pass.actions).toContainEqual({ type: 'set-desired', desired: 2, reason: '1 pending reservation needs 1 more host' });
    // The next pass counts the host on its way: nothing more is asked for.
    instances = [inService(FIRST), { ...inService(SECOND), LifecycleState: 'Pending' }];
    await autoscale();
    expect(asg.commandCalls(SetDesiredCapacityCommand)).toHaveLength(1);

    // The new instance comes into service and registers as a Host: the proxy's next pass runs it there.
    instances = [inService(FIRST), inService(SECOND)];
    const fresh = await ecs.tenantHost(t.store, SECOND);
    expect(await proxies.ensure(db)).toEqual({});
    expect(ecs.sent().filter((c) => c.name === 'RunTask').map((c) => c.input.placementConstraints)).toEqual([
      [{ type: 'memberOf', expression: 'attribute:berth.role == tenant' }, { type: 'memberOf', expression: `ec2InstanceId == ${SECOND}` }],
    ]);
    expect((await hostNamed(fresh.metadata.name)).status.reserved).toEqual({ [KEY]: PROXY_RESERVATION });
    expect(await wantedRoom(t.store)).toEqual([]);
    // Nothing waits: no more hosts.
    await autoscale();
    expect(asg.commandCalls(SetDesiredCapacityCommand)).toHaveLength(1);
  });

  it('off a cordoned host has that host reopened rather than a new one bought, and its wanted room is then forgotten', async () => {
    const { proxies, autoscale } = wire();
    const host = await ecs.tenantHost(t.store, FIRST);
    await proxies.ensure(db);
    ecs.startAll();
    const cur = await hostNamed(host.metadata.name);
    await t.store.update<Host>({ ...cur, metadata: { ...cur.metadata, annotations: { [DRAINING_ANNOTATION]: '2026-12-04T10:00:00.000Z' } } });
    // No other host: the proxy stays and answers, its room wanted.
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.101' });
    expect((await wantedRoom(t.store)).map((w) => w.key)).toEqual([KEY]);

    const pass = await autoscale();
    expect(pass.actions).toContainEqual({ type: 'uncordon', host: host.metadata.name });
    expect(asg.commandCalls(SetDesiredCapacityCommand)).toEqual([]);
    expect((await hostNamed(host.metadata.name)).metadata.annotations?.[DRAINING_ANNOTATION]).toBeUndefined();
    // Reopened, the host holds the proxy's key: the autoscaler's next pass forgets the wanted room and asks for nothing.
    await autoscale();
    expect(await wantedRoom(t.store)).toEqual([]);
    expect(asg.commandCalls(SetDesiredCapacityCommand)).toEqual([]);
    ecs.mock.resetHistory();
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.101' });
    expect(ecs.sent().map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks']);
  });
});
