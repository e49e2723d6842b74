// Binding against DynamoDB Local: the pod's host and the host's requested capacity are written
// together, each on condition of the resourceVersion the scheduler read, so two schedulers can
// never both fill the same room.
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DRAINING_ANNOTATION } from '../../shared/scheduler/cordon.ts';
import { hostInfoOf } from '../../shared/scheduler/host-info.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { Scheduler } from '../../shared/scheduler/scheduler.ts';
import type { HostObject, PodObject, Resources } from '../../shared/scheduler/types.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { freshTable, snapshot, type TestTable } from '../support/dynamo.ts';
import { MiB } from './fixtures.ts';

let t: TestTable;
let bindings: DynamoBindingStore;
let n = 0;

const ERRORS: Record<string, typeof ConflictError | typeof NotFoundError> = { ConflictError, NotFoundError };
const SMALL: Resources = { cpuMilli: 500, memoryBytes: 512 * MiB };

beforeAll(async () => {
  t = await freshTable();
  bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
  await t.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
});

/** A host of 1000m / 1 GiB with `used` already requested. */
async function newHost(used: Resources = { cpuMilli: 0, memoryBytes: 0 }, ready = true): Promise<HostObject> {
  return t.store.create<HostObject>({
    kind: 'Host',
    metadata: { name: `host-${++n}`, project: '' },
    spec: {},
    status: { allocatable: { cpuMilli: 1000, memoryBytes: 1024 * MiB }, requested: used, ready },
  });
}

async function newPod(spec: Record<string, unknown> = {}): Promise<PodObject> {
  return t.store.create<PodObject>({ kind: 'Pod', metadata: { name: `pod-${++n}`, project: 'demo' }, spec, status: { phase: 'Pending' } });
}

const read = <T extends HostObject | PodObject>(o: T) => t.store.get<T>({ kind: o.kind, project: o.metadata.project, name: o.metadata.name });

describe('bindPod with DynamoBindingStore', () => {
  it('writes the pod’s host and the host’s requested capacity, and returns both as stored', async () => {
    const host = await newHost({ cpuMilli: 250, memoryBytes: 256 * MiB });
    const pod = await newPod({ containers: [] });
    const bound = await bindPod(bindings, { pod, host, request: SMALL });
    expect(bound.pod.spec).toEqual({ containers: [], host: host.metadata.name });
    expect(bound.pod.metadata.generation).toBe(pod.metadata.generation + 1);
    expect(bound.host.status.requested).toEqual({ cpuMilli: 750, memoryBytes: 768 * MiB });
    expect(bound.host.metadata.resourceVersion).not.toBe(host.metadata.resourceVersion);
    expect(await read(pod)).toEqual(bound.pod);
    expect(await read(host)).toEqual(bound.host);
  });

  it('two schedulers racing for the last room on a host: exactly one binds, the other gets 409 and nothing is half-written', async () => {
    for (let round = 0; round < 5; round++) {
      const host = await newHost(SMALL);
      const pods = [await newPod(), await newPod()];
      // Two schedulers, each with its own client, read the same host and bind at once.
      const racers = pods.map(() => {
        const client = createDynamoClient({ endpoint: t.endpoint });
        return { client, store: new DynamoBindingStore({ client, tableName: t.tableName }) };
      });
      const results = await Promise.allSettled(pods.map((pod, i) => bindPod(racers[i]!.store, { pod, host, request: SMALL })));

      const won = results.findIndex((r) => r.status === 'fulfilled');
      const lost = results.findIndex((r) => r.status === 'rejected');
      expect(won).toBeGreaterThanOrEqual(0);
      expect(lost).toBeGreaterThanOrEqual(0);
      expect((results[lost] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      expect((await read(host))?.status.requested).toEqual({ cpuMilli: 1000, memoryBytes: 1024 * MiB });
      expect((await read(pods[won]!))?.spec.host).toBe(host.metadata.name);
      expect(await read(pods[lost]!)).toEqual(pods[lost]);

      // The loser reads the host again: it is full now, and binding says so, writing nothing.
      const before = await snapshot(t);
      const fresh = (await read(host))!;
      await expect(bindPod(racers[lost]!.store, { pod: pods[lost]!, host: fresh, request: SMALL })).rejects.toThrow(/no room left/);
      expect(await snapshot(t)).toEqual(before);
      for (const r of racers) r.client.destroy();
    }
  });

  it.each<[string, string, (pod: PodObject, host: HostObject) => Promise<unknown>]>([
    ['the pod changed since it was read', 'ConflictError', (pod) => t.store.update({ ...pod, metadata: { ...pod.metadata, labels: { touched: 'yes' } } })],
    ['the host changed since it was read', 'ConflictError', (_, host) => t.store.updateStatus({ ...host, status: { ...host.status, requested: SMALL } })],
    ['the pod is gone', 'NotFoundError', (pod) => t.store.delete({ kind: 'Pod', project: 'demo', name: pod.metadata.name })],
    ['the host is gone', 'NotFoundError', (_, host) => t.store.delete({ kind: 'Host', project: '', name: host.metadata.name })],
  ])('when %s, refuses with %s and writes nothing', async (_, error, change) => {
    const host = await newHost();
    const pod = await newPod();
    await change(pod, host);
    const before = await snapshot(t);
    await expect(bindPod(bindings, { pod, host, request: SMALL })).rejects.toBeInstanceOf(ERRORS[error]);
    expect(await snapshot(t)).toEqual(before);
  });

  it.each<[string, () => Promise<[PodObject, HostObject]>, RegExp]>([
    ['a pod bound to another host', async () => [await newPod({ host: 'elsewhere' }), await newHost()], /already bound to host elsewhere/],
    [
      'a pod being deleted',
      async () => {
        const pod = await newPod();
        return [await t.store.update({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString() } }), await newHost()];
      },
      /being deleted/,
    ],
    ['a host that is not ready', async () => [await newPod(), await newHost(undefined, false)], /not ready/],
    ['a host one millicore short', async () => [await newPod(), await newHost({ cpuMilli: 501, memoryBytes: 0 })], /no room left/],
    ['a host one byte short', async () => [await newPod(), await newHost({ cpuMilli: 0, memoryBytes: 512 * MiB + 1 })], /no room left/],
  ])('refuses %s with ConflictError before writing anything', async (_, make, message) => {
    const [pod, host] = await make();
    const before = await snapshot(t);
    const failure = bindPod(bindings, { pod, host, request: SMALL });
    await expect(failure).rejects.toBeInstanceOf(ConflictError);
    await expect(failure).rejects.toThrow(message);
    expect(await snapshot(t)).toEqual(before);
  });

  it('a host cordoned for scale-in takes no pod, and a binding decided before the cordon fails its write', async () => {
    const host = await newHost();
    const cordoned = await t.store.update<HostObject>({ ...host, metadata: { ...host.metadata, annotations: { [DRAINING_ANNOTATION]: '2026-12-02T10:00:00.000Z' } } });
    const pod = await newPod();
    await expect(bindPod(bindings, { pod, host: cordoned, request: SMALL })).rejects.toThrow(`host ${host.metadata.name} is cordoned`);
    // The scheduler read the host before the cordon: its write is refused, nothing is booked.
    await expect(bindPod(bindings, { pod, host, request: SMALL })).rejects.toBeInstanceOf(ConflictError);
    expect((await read(cordoned))!.status.requested).toEqual({ cpuMilli: 0, memoryBytes: 0 });
    expect((await read(pod))!.spec).toEqual({});
  });

  it('binding a pod again to its own host changes nothing', async () => {
    const bound = await bindPod(bindings, { pod: await newPod(), host: await newHost(), request: SMALL });
    const before = await snapshot(t);
    expect(await bindPod(bindings, { ...bound, request: SMALL })).toEqual(bound);
    expect(await snapshot(t)).toEqual(before);
  });

  it('places and binds replicas one after another, each against the host the last binding returned', async () => {
    const hosts = new Map((await Promise.all([newHost(), newHost()])).map((h) => [h.metadata.name, h]));
    const scheduler = new Scheduler([...hosts.values()].map((h) => hostInfoOf(h)));
    const pods = [await newPod(), await newPod(), await newPod()];
    for (const pod of pods) {
      const placement = scheduler.place({ name: pod.metadata.name, project: 'demo', group: 'demo/web', cpuMilli: 400, memoryBytes: 256 * MiB });
      if (!('host' in placement)) throw new Error(placement.unschedulable);
      const bound = await bindPod(bindings, { pod, host: hosts.get(placement.host)!, request: { cpuMilli: 400, memoryBytes: 256 * MiB } });
      hosts.set(placement.host, bound.host);
    }
    const stored = await Promise.all(pods.map(read));
    const perHost = stored.map((p) => p?.spec.host);
    expect(new Set(perHost).size).toBe(2);
    for (const h of hosts.values()) {
      const count = perHost.filter((name) => name === h.metadata.name).length;
      expect((await read(h))?.status.requested).toEqual({ cpuMilli: 400 * count, memoryBytes: 256 * MiB * count });
    }
  });
});
