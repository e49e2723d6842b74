// Services' proxies on ECS (shared/aws/ecs-service-proxies.ts), on the exact requests the adapter
// sends to ECS kept as its API Reference describes it (ecs-proxy-fake.ts): a proxy run once per
// Service on the project's network, its address once it runs, a replacement when the Service's
// ports change (the old one stopped only once the new one runs), a lost one run again, a task
// Berth did not run for that Service never used or stopped, and a refusal to place reported.
// Each proxy's room is reserved on the Host Berth chose (Host objects on DynamoDB Local) before
// RunTask places it there, and given back when it stops, moves or is refused; room no host has is
// recorded as wanted until it is found or the Service goes. A proxy on a host cordoned for
// scale-in moves off it as a changed one is replaced.
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsServiceProxies } from '../../shared/aws/ecs-service-proxies.ts';
import { PROXY_RESERVATION, proxyContentHash, proxyRoomKey, proxyTaskDefinitionInput, proxyToken } from '../../shared/aws/service-proxy-task.ts';
import type { Host } from '../../shared/model/objects.ts';
import { DRAINING_ANNOTATION } from '../../shared/scheduler/cordon.ts';
import { HostReservations } from '../../shared/scheduler/reservations.ts';
import { wantedRoom } from '../../shared/scheduler/wanted-room.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { ECS_REGION, FakeEcsProxies } from './ecs-proxy-fake.ts';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service-proxy:1';
const ROLE = (project: string) => `arn:aws:iam::123456789012:role/berth/projects/berth-${project}`;
const db = { project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }] };
const HASH = proxyContentHash(proxyTaskDefinitionInput(db, { image: IMAGE, executionRoleOf: ROLE }));
const MiB = 2 ** 20;
let fake: FakeEcsProxies;
let t: TestTable;
afterEach(() => fake.mock.restore());

async function setup() {
  fake = new FakeEcsProxies();
  t = await freshTable();
  const host = await fake.tenantHost(t.store, 'i-0a1b2c3d4e5f60718');
  const groups: string[] = [];
  const proxies = new EcsServiceProxies({
    client: new ECSClient({ region: ECS_REGION }), cluster: 'berth', image: IMAGE, subnets: ['subnet-a', 'subnet-b'],
    securityGroupOf: async (project) => { groups.push(project); return `sg-0${project}`; },
    executionRoleOf: ROLE,
    room: new HostReservations(t.store),
  });
  return { proxies, groups, host: host.metadata.name };
}

const hostNamed = async (name: string) => (await t.store.get<Host>({ kind: 'Host', project: '', name }))!;
/** The RunTask request of the first task definition of db's proxy, placed on the EC2 instance `instance`. */
const runTaskOn = (instance: string) => ({
  cluster: 'berth', taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-proxy-shop_db:1', count: 1, launchType: 'EC2',
  startedBy: proxyToken('shop', 'db'), group: 'berth-proxy:shop/db',
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:berth.role == tenant' }, { type: 'memberOf', expression: `ec2InstanceId == ${instance}` }],
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-0shop'], assignPublicIp: 'DISABLED' } },
  tags: expect.arrayContaining([{ key: 'berth:service', value: 'db' }, { key: 'berth:content-hash', value: HASH }]), enableECSManagedTags: true,
});

describe('a Service\'s proxy task', () => {
  it('is run once, on the project\'s network, in these requests; its address is answered once ECS runs it', async () => {
    const { proxies, groups, host } = await setup();
    expect(await proxies.ensure(db)).toEqual({});
    const sent = fake.sent();
    expect(sent.map((c) => c.name)).toEqual(['ListTasks', 'DescribeTaskDefinition', 'RegisterTaskDefinition', 'RunTask']);
    expect(sent[0]!.input).toEqual({ cluster: 'berth', startedBy: proxyToken('shop', 'db'), desiredStatus: 'RUNNING' });
    expect(sent[1]!.input).toEqual({ taskDefinition: 'berth-proxy-shop_db', include: ['TAGS'] });
    expect(sent[2]!.input).toMatchObject({ family: 'berth-proxy-shop_db', networkMode: 'awsvpc', tags: expect.arrayContaining([{ key: 'berth:content-hash', value: HASH }]) });
    // On the host Berth chose and booked the room on, not wherever ECS would have put it.
    expect(sent[3]!.input).toEqual(runTaskOn('i-0a1b2c3d4e5f60718'));
    expect(groups).toEqual(['shop']);
    // 64 CPU units are 63 millicores (64 units again when a pod's are converted), 32 MiB the container's memoryReservation.
    expect(PROXY_RESERVATION).toEqual({ cpuMilli: 63, memoryBytes: 32 * MiB });
    expect((await hostNamed(host)).status).toMatchObject({ requested: PROXY_RESERVATION, reserved: { [proxyRoomKey('shop', 'db', HASH)]: PROXY_RESERVATION } });
    // Still starting: nothing more is run.
    fake.mock.resetHistory();
    expect(await proxies.ensure(db)).toEqual({});
    expect(fake.sent().map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks']);
    fake.startAll();
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.101' });
    expect(fake.live()).toHaveLength(1);
    // Booked once, however many passes.
    expect((await hostNamed(host)).status.requested).toEqual(PROXY_RESERVATION);
  });

  it('is replaced when the Service\'s ports change: the new one runs first, then the old one is stopped and its room given back', async () => {
    const { proxies, host } = await setup();
    await proxies.ensure(db);
    fake.startAll();
    const [old] = fake.live();
    const changed = { ...db, ports: [{ port: 5432, target: 5433 }] };
    // Until the new one runs, nothing is answered anew: the Service's name keeps the old proxy.
    expect(await proxies.ensure(changed)).toEqual({});
    expect(fake.live()).toHaveLength(2);
    expect(fake.families.get('berth-proxy-shop_db')!.revision).toBe(2);
    fake.mock.resetHistory();
    fake.startAll((n) => `10.0.3.${110 + n}`);
    expect(await proxies.ensure(changed)).toEqual({ address: '10.0.3.111' });
    expect(fake.sent().filter((c) => c.name === 'StopTask').map((c) => c.input.task)).toEqual([old!.taskArn]);
    expect(fake.live().map((t) => t.taskArn)).not.toContain(old!.taskArn);
    // While both ran, both held their room; the next pass sees the old one stopping and gives its room back.
    const changedHash = proxyContentHash(proxyTaskDefinitionInput(changed, { image: IMAGE, executionRoleOf: ROLE }));
    expect(Object.keys((await hostNamed(host)).status.reserved ?? {}).sort()).toEqual([proxyRoomKey('shop', 'db', HASH), proxyRoomKey('shop', 'db', changedHash)].sort());
    expect(await proxies.ensure(changed)).toEqual({ address: '10.0.3.111' });
    expect((await hostNamed(host)).status).toMatchObject({ requested: PROXY_RESERVATION, reserved: { [proxyRoomKey('shop', 'db', changedHash)]: PROXY_RESERVATION } });
    expect(Object.keys((await hostNamed(host)).status.reserved ?? {})).toHaveLength(1);
  });

  it('is run again when it stopped on its own (its host went away), on the host still holding its room', async () => {
    const { proxies, host } = await setup();
    await proxies.ensure(db);
    fake.startAll();
    fake.lose(fake.live()[0]!.taskArn!);
    expect(await proxies.ensure(db)).toEqual({});
    const runs = fake.sent().filter((c) => c.name === 'RunTask');
    expect(runs).toHaveLength(2);
    expect(runs[1]!.input.placementConstraints).toEqual(runs[0]!.input.placementConstraints);
    expect((await hostNamed(host)).status.requested).toEqual(PROXY_RESERVATION);
    // The task definition was registered once: the second run finds it by its content hash.
    expect(fake.sent().filter((c) => c.name === 'RegisterTaskDefinition')).toHaveLength(1);
  });

  it('moves off a host that is no longer ready, giving its room there back', async () => {
    const { proxies, host } = await setup();
    await proxies.ensure(db);
    fake.startAll();
    const other = await fake.tenantHost(t.store, 'i-0f1e2d3c4b5a69788');
    fake.lose(fake.live()[0]!.taskArn!);
    const gone = await hostNamed(host);
    await t.store.updateStatus<Host>({ ...gone, status: { ...gone.status, ready: false } });
    await proxies.ensure(db);
    expect(fake.sent().filter((c) => c.name === 'RunTask').at(-1)!.input.placementConstraints).toContainEqual({ type: 'memberOf', expression: 'ec2InstanceId == i-0f1e2d3c4b5a69788' });
    expect((await hostNamed(host)).status).toMatchObject({ requested: { cpuMilli: 0, memoryBytes: 0 }, reserved: {} });
    expect((await hostNamed(other.metadata.name)).status.requested).toEqual(PROXY_RESERVATION);
  });

  it('is stopped with its Service, and its room given back', async () => {
    const { proxies, host } = await setup();
    await proxies.ensure(db);
    expect(await proxies.remove('shop', 'db')).toBe('done');
    expect(fake.live()).toEqual([]);
    expect((await hostNamed(host)).status).toMatchObject({ requested: { cpuMilli: 0, memoryBytes: 0 }, reserved: {} });
    expect(await proxies.remove('shop', 'db')).toBe('done');
  });

  it('books the room of a proxy found running where no room was booked for it (one run before proxies were counted)', async () => {
    const { proxies, host } = await setup();
    await proxies.ensure(db);
    fake.startAll();
    const before = await hostNamed(host);
    await t.store.updateStatus<Host>({ ...before, status: { ...before.status, requested: { cpuMilli: 0, memoryBytes: 0 }, reserved: {} } });
    fake.mock.resetHistory();
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.101' });
    expect(fake.sent().map((c) => c.name)).not.toContain('RunTask');
    expect((await hostNamed(host)).status).toMatchObject({ requested: PROXY_RESERVATION, reserved: { [proxyRoomKey('shop', 'db', HASH)]: PROXY_RESERVATION } });
  });

  it('is not run when no tenant host has room for it: the error says why, as a pod\'s FailedScheduling does, and nothing is booked', async () => {
    const { proxies, host } = await setup();
    const full = await hostNamed(host);
    await t.store.updateStatus<Host>({ ...full, status: { ...full.status, requested: { cpuMilli: full.status.allocatable.cpuMilli - 50, memoryBytes: 0 } } });
    await expect(proxies.ensure(db)).rejects.toThrow('no tenant host has room for the proxy of Service shop/db (64 CPU units, 32 MiB): 0/1 hosts are available: 1 insufficient cpu.');
    expect(fake.sent().map((c) => c.name)).not.toContain('RunTask');
    expect((await hostNamed(host)).status.reserved).toBeUndefined();
    // The room is wanted (the autoscaler grows the fleet for it), once however many passes, until the Service goes.
    await expect(proxies.ensure(db)).rejects.toThrow('no tenant host has room');
    expect(await wantedRoom(t.store)).toEqual([{ key: proxyRoomKey('shop', 'db', HASH), request: PROXY_RESERVATION, since: expect.any(String) }]);
    expect(await proxies.waiting()).toEqual([{ project: 'shop', service: 'db' }]);
    expect(await proxies.remove('shop', 'db')).toBe('done');
    expect(await wantedRoom(t.store)).toEqual([]);
  });

  it('moves off a host cordoned for scale-in: the new one is run elsewhere, the old one answers until it runs, then is stopped and its room given back', async () => {
    const { proxies, host } = await setup();
    await proxies.ensure(db);
    fake.startAll();
    const [old] = fake.live();
    const other = await fake.tenantHost(t.store, 'i-0f1e2d3c4b5a69788');
    const cur = await hostNamed(host);
    await t.store.update<Host>({ ...cur, metadata: { ...cur.metadata, annotations: { [DRAINING_ANNOTATION]: '2026-12-04T10:00:00.000Z' } } });
    fake.mock.resetHistory();
    // Until the new one runs, nothing is answered anew: the Service's name keeps the old proxy.
    expect(await proxies.ensure(db)).toEqual({});
    const sent = fake.sent();
    // The task definition is the same (cached): only the run, on the other host.
    expect(sent.map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks', 'RunTask']);
    expect(sent[1]!.input).toEqual({ cluster: 'berth', tasks: [old!.taskArn], include: ['TAGS'] });
    expect(sent[2]!.input).toEqual(runTaskOn('i-0f1e2d3c4b5a69788'));
    // While both run, each holds its room.
    expect((await hostNamed(host)).status.reserved).toEqual({ [proxyRoomKey('shop', 'db', HASH)]: PROXY_RESERVATION });
    expect((await hostNamed(other.metadata.name)).status.reserved).toEqual({ [proxyRoomKey('shop', 'db', HASH)]: PROXY_RESERVATION });
    // Still starting: nothing more is run, nothing stopped.
    fake.mock.resetHistory();
    expect(await proxies.ensure(db)).toEqual({});
    expect(fake.sent().map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks']);
    fake.startAll((n) => `10.0.3.${110 + n}`);
    fake.mock.resetHistory();
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.111' });
    expect(fake.sent().map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks', 'StopTask']);
    expect(fake.sent()[2]!.input).toEqual({ cluster: 'berth', task: old!.taskArn, reason: 'Berth: the Service was deleted or its proxy replaced' });
    // The next pass sees the old one stopping and gives its room back: the cordoned host is empty, the autoscaler can retire it.
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.111' });
    expect((await hostNamed(host)).status).toMatchObject({ requested: { cpuMilli: 0, memoryBytes: 0 }, reserved: {} });
    expect((await hostNamed(other.metadata.name)).status.requested).toEqual(PROXY_RESERVATION);
    expect(fake.live().map((t) => t.taskArn)).not.toContain(old!.taskArn);
  });

  it('keeps answering from a cordoned host while no other host has room, and wants the room meanwhile', async () => {
    const { proxies, host } = await setup();
    await proxies.ensure(db);
    fake.startAll();
    const cur = await hostNamed(host);
    await t.store.update<Host>({ ...cur, metadata: { ...cur.metadata, annotations: { [DRAINING_ANNOTATION]: '2026-12-04T10:00:00.000Z' } } });
    fake.mock.resetHistory();
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.101' });
    expect(fake.sent().map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks']);
    expect(fake.live()).toHaveLength(1);
    expect((await hostNamed(host)).status.requested).toEqual(PROXY_RESERVATION);
    expect((await wantedRoom(t.store)).map((w) => w.key)).toEqual([proxyRoomKey('shop', 'db', HASH)]);
  });

  it('reports a task ECS could not place as an error naming ECS\'s reason, and gives its room back', async () => {
    const { proxies, host } = await setup();
    fake.placementFailure = 'RESOURCE:MEMORY';
    await expect(proxies.ensure(db)).rejects.toThrow(/could not run the proxy of Service shop\/db on host ecs-0+a1b2c3d4e5f60718: RESOURCE:MEMORY/);
    expect((await hostNamed(host)).status).toMatchObject({ requested: { cpuMilli: 0, memoryBytes: 0 }, reserved: {} });
  });

  it('never uses or stops a task under the token that Berth did not run for that Service (409 NotOwned)', async () => {
    const { proxies } = await setup();
    await proxies.ensure(db);
    const t = fake.live()[0]!;
    t.tags = [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'shop' }, { key: 'berth:service', value: 'other' }];
    fake.mock.resetHistory();
    await expect(proxies.ensure(db)).rejects.toMatchObject({ status: 409, code: 'NotOwned' });
    await expect(proxies.remove('shop', 'db')).rejects.toMatchObject({ code: 'NotOwned' });
    expect(fake.sent().map((c) => c.name)).not.toContain('StopTask');
  });
});
