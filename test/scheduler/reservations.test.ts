// Room held on hosts by what is not a pod (Services' proxies on AWS: shared/scheduler/reservations.ts)
// and the scheduler reconciler, over DynamoDB Local: a pod is not bound into the room a proxy took,
// a reservation and a binding racing for a host's last room never both win, two passes reserving
// for one proxy book it once, and the pods' own release leaves a proxy's room booked. Room no host
// has is recorded as wanted (wanted-room.ts) once, and forgotten once it is reserved; a key held
// on a host cordoned since stays there while its holder moves.
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsServiceProxies } from '../../shared/aws/ecs-service-proxies.ts';
import { PROXY_RESERVATION } from '../../shared/aws/service-proxy-task.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { schedulerReconciler, UNSCHEDULABLE_RETRY_MS } from '../../shared/scheduler/reconciler.ts';
import { HostReservations } from '../../shared/scheduler/reservations.ts';
import { DRAINING_ANNOTATION } from '../../shared/scheduler/cordon.ts';
import { WANTED_KIND } from '../../shared/scheduler/wanted-room.ts';
import { ECS_REGION, FakeEcsProxies } from '../aws/ecs-proxy-fake.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let fake: FakeEcsProxies;
let t: TestTable;
let n = 0;
afterEach(() => fake.mock.restore());

async function fleet() {
  fake = new FakeEcsProxies();
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
  const room = new HostReservations(t.store);
  const proxies = new EcsServiceProxies({ client: new ECSClient({ region: ECS_REGION }), cluster: 'berth', image: 'berth/service-proxy:1', subnets: ['subnet-a'], securityGroupOf: async () => 'sg-0shop', room });
  const scheduler = schedulerReconciler({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }) });
  return { room, proxies, scheduler };
}

async function pod(cpu: string, mem = '64Mi'): Promise<Pod> {
  return t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `web-1-p${++n}`, project: 'shop', labels: { deploymentconfig: `web${n}`, deployment: `web${n}-1` } },
    spec: { containers: [{ name: 'c', image: 'x', env: [], ports: [], resources: { requests: { cpu, memory: mem }, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 },
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  } as never);
}

const ref = (p: Pod) => ({ kind: 'Pod', project: 'shop', name: p.metadata.name });
const hostOf = async (p: Pod) => (await t.store.get<Pod>(ref(p)))!.spec.host;
const hostNamed = async (name: string) => (await t.store.get<Host>({ kind: 'Host', project: '', name }))!;

describe('room held by Services\' proxies', () => {
  it('is not given to a pod: the pod that fitted in it before the proxy came goes to another host', async () => {
    const { proxies, scheduler } = await fleet();
    // 1,024 CPU units are 1,000 millicores.
    const small = await fake.tenantHost(t.store, 'i-0a1b2c3d4e5f60718', { cpuUnits: 1024 });
    const large = await fake.tenantHost(t.store, 'i-0f1e2d3c4b5a69788', { cpuUnits: 2048 });
    const first = await pod('937m');
    expect(await scheduler.reconcile(ref(first))).toEqual({});
    expect(await hostOf(first)).toBe(small.metadata.name);
    // 63 millicores left on the small host: a 50m pod would fit there, and bin-packing would choose it.
    expect((await hostNamed(small.metadata.name)).status.requested.cpuMilli).toBe(937);
    await proxies.ensure({ project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }] });
    // The proxy was placed as a pod is (the most-allocated host with room) and its room booked there.
    expect(fake.sent().find((c) => c.name === 'RunTask')!.input.placementConstraints).toContainEqual({ type: 'memberOf', expression: 'ec2InstanceId == i-0a1b2c3d4e5f60718' });
    expect((await hostNamed(small.metadata.name)).status.requested).toEqual({ cpuMilli: 1000, memoryBytes: 64 * 2 ** 20 + PROXY_RESERVATION.memoryBytes });
    const second = await pod('50m');
    expect(await scheduler.reconcile(ref(second))).toEqual({});
    expect(await hostOf(second)).toBe(large.metadata.name);
    // With only the small host, the pod waits, saying why.
    await t.store.delete({ kind: 'Host', project: '', name: large.metadata.name });
    const third = await pod('50m');
    expect(await scheduler.reconcile(ref(third))).toEqual({ requeueAfter: UNSCHEDULABLE_RETRY_MS });
    const waiting = await t.store.get<Pod>(ref(third));
    expect(waiting!.status!.conditions!.find((c) => c.type === 'PodScheduled')!.message).toBe('0/1 hosts are available: 1 insufficient cpu.');
  });

  it('and a pod racing for a host\'s last room never both get it', async () => {
    const { room, scheduler } = await fleet();
    const host = await fake.tenantHost(t.store, 'i-0a1b2c3d4e5f60718', { cpuUnits: 1024 });
    const filler = await pod('937m');
    await scheduler.reconcile(ref(filler));
    const racer = await pod('63m');
    const [reserved] = await Promise.all([
      room.reserve({ key: 'proxy:shop/db#1', request: PROXY_RESERVATION, eligible: () => true }),
      scheduler.reconcile(ref(racer)),
    ]);
    const after = await hostNamed(host.metadata.name);
    const podGotIt = (await hostOf(racer)) === host.metadata.name;
    const proxyGotIt = 'host' in reserved;
    expect([podGotIt, proxyGotIt].filter(Boolean)).toHaveLength(1);
    expect(after.status.requested.cpuMilli).toBe(1000);
    expect(Object.keys(after.status.reserved ?? {})).toEqual(proxyGotIt ? ['proxy:shop/db#1'] : []);
  });

  it('is booked once when two passes reserve the same key at the same time', async () => {
    const { room } = await fleet();
    await fake.tenantHost(t.store, 'i-0a1b2c3d4e5f60718');
    await fake.tenantHost(t.store, 'i-0f1e2d3c4b5a69788');
    const request = { key: 'proxy:shop/db#1', request: PROXY_RESERVATION, eligible: () => true };
    const [a, b] = await Promise.all([room.reserve(request), room.reserve(request)]);
    expect('host' in a && 'host' in b && a.host.metadata.name === b.host.metadata.name).toBe(true);
    const hosts = (await t.store.list<Host>('Host', '')).items;
    expect(hosts.map((h) => h.status.requested.cpuMilli).sort()).toEqual([0, PROXY_RESERVATION.cpuMilli]);
    expect(hosts.flatMap((h) => Object.keys(h.status.reserved ?? {}))).toEqual(['proxy:shop/db#1']);
  });

  it('stays booked when the host\'s pods give theirs back, and is given back once however often it is released', async () => {
    const { room, scheduler } = await fleet();
    const host = await fake.tenantHost(t.store, 'i-0a1b2c3d4e5f60718');
    const p = await pod('500m', '256Mi');
    await scheduler.reconcile(ref(p));
    expect('host' in (await room.reserve({ key: 'proxy:shop/db#1', request: PROXY_RESERVATION, eligible: () => true }))).toBe(true);
    // Reserving the same key again books nothing more.
    await room.reserve({ key: 'proxy:shop/db#1', request: PROXY_RESERVATION, eligible: () => true });
    await room.hold(host.metadata.name, 'proxy:shop/db#1', PROXY_RESERVATION);
    const bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
    const cur = await hostNamed(host.metadata.name);
    expect(cur.status.requested).toEqual({ cpuMilli: 563, memoryBytes: 256 * 2 ** 20 + PROXY_RESERVATION.memoryBytes });
    await bindings.release((await t.store.get<Pod>(ref(p)))!, cur, { cpuMilli: cur.status.requested.cpuMilli - 500, memoryBytes: cur.status.requested.memoryBytes - 256 * 2 ** 20 });
    expect((await hostNamed(host.metadata.name)).status).toMatchObject({ requested: PROXY_RESERVATION, reserved: { 'proxy:shop/db#1': PROXY_RESERVATION } });
    await room.release({ host: host.metadata.name, key: 'proxy:shop/db#1' });
    await room.release({ host: host.metadata.name, key: 'proxy:shop/db#1' });
    expect((await hostNamed(host.metadata.name)).status).toMatchObject({ requested: { cpuMilli: 0, memoryBytes: 0 }, reserved: {} });
  });

  it('that no host has is recorded as wanted once, keeping its first time; an earlier version\'s record is replaced; reserving it forgets it', async () => {
    let clock = Date.parse('2026-12-04T10:00:00Z');
    await fleet();
    const room = new HostReservations(t.store, () => new Date(clock));
    const host = await fake.tenantHost(t.store, 'i-0a1b2c3d4e5f60718', { cpuUnits: 1024 });
    const full = await hostNamed(host.metadata.name);
    await t.store.updateStatus<Host>({ ...full, status: { ...full.status, requested: { cpuMilli: 1000, memoryBytes: 0 } } });
    const ask = (key: string) => room.reserve({ key, request: PROXY_RESERVATION, eligible: () => true, holder: 'proxy:shop/db#' });
    expect(await ask('proxy:shop/db#1')).toEqual({ unschedulable: '0/1 hosts are available: 1 insufficient cpu.' });
    clock += 60_000;
    await ask('proxy:shop/db#1');
    expect(await room.wanted()).toEqual([{ key: 'proxy:shop/db#1', request: PROXY_RESERVATION, since: '2026-12-04T10:00:00.000Z' }]);
    // Another holder's wanted room is its own.
    await room.reserve({ key: 'proxy:shop/dba#1', request: PROXY_RESERVATION, eligible: () => true, holder: 'proxy:shop/dba#' });
    // The Service's ports changed while it waited: only the new version is wanted.
    await ask('proxy:shop/db#2');
    expect((await room.wanted()).map((w) => w.key)).toEqual(['proxy:shop/db#2', 'proxy:shop/dba#1']);
    expect((await t.store.list(WANTED_KIND, '')).items.map((w) => w.metadata.name)).toEqual(['proxy:shop/db#2', 'proxy:shop/dba#1']);
    // Room comes free: the reservation is made and nothing of that holder is wanted any more.
    await t.store.updateStatus<Host>({ ...(await hostNamed(host.metadata.name)), status: { ...full.status, requested: { cpuMilli: 0, memoryBytes: 0 } } });
    expect('host' in (await ask('proxy:shop/db#2'))).toBe(true);
    expect((await room.wanted()).map((w) => w.key)).toEqual(['proxy:shop/dba#1']);
    await room.unwant('proxy:shop/dba#');
    await room.unwant('proxy:shop/dba#');
    expect(await room.wanted()).toEqual([]);
  });

  it('held on a host cordoned since stays booked there while room is reserved elsewhere: its holder still runs there until it has moved', async () => {
    const { room } = await fleet();
    const first = await fake.tenantHost(t.store, 'i-0a1b2c3d4e5f60718');
    const request = { key: 'proxy:shop/db#1', request: PROXY_RESERVATION, eligible: () => true };
    expect(await room.reserve(request)).toMatchObject({ host: { metadata: { name: first.metadata.name } } });
    const second = await fake.tenantHost(t.store, 'i-0f1e2d3c4b5a69788');
    const cur = await hostNamed(first.metadata.name);
    await t.store.update<Host>({ ...cur, metadata: { ...cur.metadata, annotations: { [DRAINING_ANNOTATION]: '2026-12-04T10:00:00.000Z' } } });
    expect(await room.reserve(request)).toMatchObject({ host: { metadata: { name: second.metadata.name } } });
    expect((await room.held('proxy:shop/db#')).held.sort((a, b) => (a.host < b.host ? -1 : 1))).toEqual(
      [{ host: first.metadata.name, key: request.key }, { host: second.metadata.name, key: request.key }].sort((a, b) => (a.host < b.host ? -1 : 1)),
    );
    expect((await hostNamed(first.metadata.name)).status.requested).toEqual(PROXY_RESERVATION);
  });
});
