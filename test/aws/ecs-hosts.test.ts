// ECS container instances as Hosts: the discovery requests exactly (tenant hosts only, by the
// cluster query language), the mapping (CPU units to millicores, MEMORY MiB, ready when the
// agent is connected and the instance ACTIVE), and the sync on DynamoDB Local: Hosts created
// and updated without resetting the room promised to pods, leases renewed for live instances.
import { DescribeContainerInstancesCommand, ECSClient, ListContainerInstancesCommand, type ContainerInstance } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { discoverEcsHosts, ecsHostOf, hostNameOf, syncEcsHosts } from '../../shared/aws/ecs-hosts.ts';
import type { Host, HostLease } from '../../shared/model/objects.ts';
import { freshTable } from '../support/dynamo.ts';

const CLUSTER = 'berth-fleet';
const ID = '5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c';
const ARN = `arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/${ID}`;
const ecs = mockClient(ECSClient);
const client = new ECSClient({ region: 'eu-west-1' });
const inputs = (command: Parameters<typeof ecs.commandCalls>[0]) => ecs.commandCalls(command).map((c) => c.args[0].input);

const instance = (over: Partial<ContainerInstance> = {}): ContainerInstance => ({
  containerInstanceArn: ARN,
  ec2InstanceId: 'i-0abc1234def567890',
  agentConnected: true,
  status: 'ACTIVE',
  attributes: [
    { name: 'berth.role', value: 'tenant' },
    { name: 'berth.address', value: '10.0.3.17' },
    { name: 'ecs.instance-type', value: 'm7g.large' },
  ],
  registeredResources: [
    { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
    { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
    { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
  ],
  ...over,
});

beforeEach(() => ecs.reset());

describe('ECS hosts: the mapping', () => {
  it('a connected, active tenant instance is a ready ecs Host with its registered capacity', () => {
    expect(ecsHostOf(instance())).toEqual({
      name: `ecs-${ID}`,
      spec: { provider: 'ecs', endpoint: ARN, address: '10.0.3.17', capacity: { cpu: '2000m', memory: '7680Mi' }, unschedulable: false, instanceId: 'i-0abc1234def567890' },
      allocatable: { cpuMilli: 2000, memoryBytes: 7680 * 2 ** 20 },
      ready: true,
      ec2InstanceId: 'i-0abc1234def567890',
    });
  });

  it.each([
    [1024, 1000],
    [4096, 4000],
    [1000, 976],
  ])('%i CPU units are %i millicores', (units, milli) => {
    const ci = instance({ registeredResources: [{ name: 'CPU', integerValue: units }, { name: 'MEMORY', integerValue: 1024 }] });
    expect(ecsHostOf(ci)!.allocatable.cpuMilli).toBe(milli);
    expect(ecsHostOf(ci)!.spec.capacity.cpu).toBe(`${milli}m`);
  });

  it.each([
    ['the agent is disconnected', { agentConnected: false }, false, false],
    ['the instance is DRAINING', { status: 'DRAINING' }, false, true],
  ])('not ready when %s (unschedulable while not ACTIVE)', (_what, over, ready, unschedulable) => {
    const host = ecsHostOf(instance(over))!;
    expect(host.ready).toBe(ready);
    expect(host.spec.unschedulable).toBe(unschedulable);
  });

  it('takes the address given when the instance has no berth.address attribute, and is nothing without one', () => {
    const bare = instance({ attributes: [{ name: 'berth.role', value: 'tenant' }] });
    expect(ecsHostOf(bare, '10.0.9.9')!.spec.address).toBe('10.0.9.9');
    expect(ecsHostOf(bare)).toBeUndefined();
  });

  it('names hosts after the container instance id, old ARN format too', () => {
    expect(hostNameOf(ARN)).toBe(`ecs-${ID}`);
    expect(hostNameOf(`arn:aws:ecs:eu-west-1:123456789012:container-instance/${ID.toUpperCase()}`)).toBe(`ecs-${ID}`);
  });
});

describe('discoverEcsHosts', () => {
  it('lists the tenant instances by attribute, across pages, describes them in batches, and resolves missing addresses', async () => {
    const arns = Array.from({ length: 101 }, (_, i) => ARN.replace(/.{3}$/, String(i).padStart(3, '0')));
    ecs.on(ListContainerInstancesCommand).resolvesOnce({ containerInstanceArns: arns.slice(0, 100), nextToken: 'next' }).resolves({ containerInstanceArns: arns.slice(100) });
    ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
      containerInstances: input.containerInstances.map((arn, i) =>
        i === 0 ? instance({ containerInstanceArn: arn, ec2InstanceId: 'i-0noaddress', attributes: [{ name: 'berth.role', value: 'tenant' }] }) : instance({ containerInstanceArn: arn }),
      ),
    }));
    const asked: string[][] = [];
    const found = await discoverEcsHosts({ client, cluster: CLUSTER, addresses: async (ids) => (asked.push(ids), { 'i-0noaddress': '10.0.7.7' }) });
    expect(inputs(ListContainerInstancesCommand)).toEqual([
      { cluster: CLUSTER, filter: 'attribute:berth.role == tenant' },
      { cluster: CLUSTER, filter: 'attribute:berth.role == tenant', nextToken: 'next' },
    ]);
    expect(inputs(DescribeContainerInstancesCommand)).toEqual([
      { cluster: CLUSTER, containerInstances: arns.slice(0, 100) },
      { cluster: CLUSTER, containerInstances: arns.slice(100) },
    ]);
    expect(asked).toEqual([['i-0noaddress', 'i-0noaddress']]);
    expect(found.hosts).toHaveLength(101);
    expect(found.hosts[0]!.spec.address).toBe('10.0.7.7');
    expect(found.skipped).toEqual([]);
  });

  it('leaves out build hosts and reports tenant hosts whose address is unknown', async () => {
    const build = ARN.replace(/.{3}$/, 'bbb');
    const unaddressed = ARN.replace(/.{3}$/, 'ccc');
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [ARN, build, unaddressed] });
    ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        instance(),
        instance({ containerInstanceArn: build, attributes: [{ name: 'berth.role', value: 'build' }, { name: 'berth.address', value: '10.0.5.5' }] }),
        instance({ containerInstanceArn: unaddressed, attributes: [{ name: 'berth.role', value: 'tenant' }] }),
      ],
    });
    const found = await discoverEcsHosts({ client, cluster: CLUSTER });
    expect(found.hosts.map((h) => h.spec.endpoint)).toEqual([ARN]);
    expect(found.skipped).toEqual([{ containerInstanceArn: unaddressed, reason: expect.stringMatching(/no berth.address attribute/) }]);
  });
});

describe('syncEcsHosts (DynamoDB Local)', () => {
  it('creates ready hosts, renews their leases, updates capacity without resetting the room promised to pods', async () => {
    const t = await freshTable();
    const name = `ecs-${ID}`;
    const down = ARN.replace(/.{3}$/, 'ddd');
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [ARN, down] });
    ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [instance(), instance({ containerInstanceArn: down, agentConnected: false })] });
    const now = new Date('2026-11-26T12:00:00Z');

    expect(await syncEcsHosts(t.store, { client, cluster: CLUSTER, now: () => now })).toEqual({ hosts: [name, hostNameOf(down)], renewed: [name], skipped: [] });
    const host = (await t.store.get<Host>({ kind: 'Host', project: '', name }))!;
    // The instance ID is how the autoscaler finds the host in its Auto Scaling group.
    expect(host.spec).toEqual({ provider: 'ecs', endpoint: ARN, address: '10.0.3.17', capacity: { cpu: '2000m', memory: '7680Mi' }, unschedulable: false, instanceId: 'i-0abc1234def567890' });
    expect(host.status).toMatchObject({ allocatable: { cpuMilli: 2000, memoryBytes: 7680 * 2 ** 20 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true });
    expect((await t.store.get<HostLease>({ kind: 'HostLease', project: '', name }))!.spec).toEqual({ renewTime: now.toISOString(), leaseDurationSeconds: 150 });
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: hostNameOf(down) }))!.status.ready).toBe(false);
    expect(await t.store.get({ kind: 'HostLease', project: '', name: hostNameOf(down) })).toBeUndefined();

    // Pods were bound meanwhile; the instance grows.
    await t.store.updateStatus<Host>({ ...host, status: { ...host.status, requested: { cpuMilli: 750, memoryBytes: 2 ** 30 } } });
    ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [instance({ registeredResources: [{ name: 'CPU', integerValue: 4096 }, { name: 'MEMORY', integerValue: 15360 }] })] });
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [ARN] });
    await syncEcsHosts(t.store, { client, cluster: CLUSTER, leaseDurationSeconds: 300, now: () => new Date(now.getTime() + 60_000) });
    const grown = (await t.store.get<Host>({ kind: 'Host', project: '', name }))!;
    expect(grown.spec.capacity).toEqual({ cpu: '4000m', memory: '15360Mi' });
    expect(grown.status).toMatchObject({ allocatable: { cpuMilli: 4000, memoryBytes: 15360 * 2 ** 20 }, requested: { cpuMilli: 750, memoryBytes: 2 ** 30 } });
    expect((await t.store.get<HostLease>({ kind: 'HostLease', project: '', name }))!.spec).toEqual({ renewTime: '2026-11-26T12:01:00.000Z', leaseDurationSeconds: 300 });
  });
});
