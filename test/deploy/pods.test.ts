// Pods as the controllers see them, and capacity released exactly once: requests and limits
// with defaults, readiness and availability, names, terminating (mark a bound pod, delete an
// unbound one) and releasing (the pod and the room it held go in one write) on DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { HOST_FINALIZER } from '../../shared/model/deploy-kinds.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { isAvailable, isReady, newPodName, podGroup, podLimits, podRequest, rcNameOfPod, setPodCondition, untilAvailable } from '../../shared/model/pods.ts';
import { releasePod, terminatePod } from '../../shared/deploy/pods.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const MiB = 2 ** 20;
const container = (resources: Record<string, Record<string, string>> = {}) => ({ name: 'web', image: 'x', env: [], ports: [], resources: { requests: {}, limits: {}, ...resources } });
const podWith = (resources?: Record<string, Record<string, string>>) => ({ spec: { containers: [container(resources)] } }) as unknown as Pod;

describe('requests and limits', () => {
  it.each([
    ['nothing stated: the default', {}, { cpuMilli: 100, memoryBytes: 256 * MiB }, { cpuMilli: 100, memoryBytes: 256 * MiB }],
    ['requests only: limits follow them', { requests: { cpu: '250m', memory: '128Mi' } }, { cpuMilli: 250, memoryBytes: 128 * MiB }, { cpuMilli: 250, memoryBytes: 128 * MiB }],
    ['limits only: requests follow them', { limits: { cpu: '1', memory: '1Gi' } }, { cpuMilli: 1000, memoryBytes: 1024 * MiB }, { cpuMilli: 1000, memoryBytes: 1024 * MiB }],
    ['both', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } }, { cpuMilli: 100, memoryBytes: 64 * MiB }, { cpuMilli: 500, memoryBytes: 256 * MiB }],
    ['per resource', { requests: { cpu: '200m' }, limits: { memory: '512Mi' } }, { cpuMilli: 200, memoryBytes: 512 * MiB }, { cpuMilli: 200, memoryBytes: 512 * MiB }],
  ])('%s', (_, resources, request, limits) => {
    expect(podRequest(podWith(resources))).toEqual(request);
    expect(podLimits(podWith(resources))).toEqual(limits);
  });
});

describe('readiness, availability, names', () => {
  const at = (ready: boolean, since?: string, deleting?: string) =>
    ({ metadata: { name: 'web-1-abcde', project: 'p', labels: { deploymentconfig: 'web' }, ...(deleting ? { deletionTimestamp: deleting } : {}) }, status: { phase: 'Running', readySince: since, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }) as unknown as Pod;
  const now = Date.parse('2026-01-01T00:01:00Z');

  it('a ready pod is available once it has been ready for minReadySeconds', () => {
    const p = at(true, '2026-01-01T00:00:30Z');
    expect(isReady(p)).toBe(true);
    expect(isAvailable(p, 0, now)).toBe(true);
    expect(isAvailable(p, 30, now)).toBe(true);
    expect(isAvailable(p, 31, now)).toBe(false);
    expect(untilAvailable(p, 40, now)).toBe(10_000);
  });

  it('an unready or terminating pod is neither ready nor available', () => {
    expect(isReady(at(false))).toBe(false);
    expect(isAvailable(at(false), 0, now)).toBe(false);
    expect(untilAvailable(at(false), 0, now)).toBeUndefined();
    expect(isReady(at(true, undefined, '2026-01-01T00:00:00Z'))).toBe(false);
  });

  it('names and groups', () => {
    const name = newPodName('web-3');
    expect(name).toMatch(/^web-3-[a-z0-9]{5}$/);
    expect(rcNameOfPod(name)).toBe('web-3');
    expect(podGroup(at(true))).toBe('p/web');
  });

  it('a condition keeps its transition time until its status changes', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const t1 = new Date('2026-01-01T00:00:10Z');
    const a = setPodCondition({ conditions: [] as { type: string; status: 'True' | 'False' | 'Unknown'; lastTransitionTime?: string }[] }, 'Ready', 'False', 'ContainersNotReady', undefined, t0);
    const b = setPodCondition(a, 'Ready', 'False', 'ContainersNotReady', undefined, t1);
    expect(b.conditions[0]!.lastTransitionTime).toBe(t0.toISOString());
    const c = setPodCondition(b, 'Ready', 'True', undefined, undefined, t1);
    expect(c.conditions).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: t1.toISOString() }]);
  });
});

describe('terminating and releasing pods (DynamoDB Local)', () => {
  let t: TestTable;
  let bindings: DynamoBindingStore;
  let n = 0;

  beforeAll(async () => {
    t = await freshTable();
    bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
    await t.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
  });

  const newHost = () =>
    t.store.create<Host>({
      kind: 'Host',
      metadata: { name: `host-${++n}`, project: '' },
      spec: { provider: 'docker', address: '127.0.0.1', capacity: { cpu: '2', memory: '2Gi' }, unschedulable: false },
      status: { allocatable: { cpuMilli: 2000, memoryBytes: 2048 * MiB }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
    });
  const newPod = () => t.store.create<Pod>({ kind: 'Pod', metadata: { name: `web-1-p${++n}`, project: 'demo' }, spec: { containers: [container({ requests: { cpu: '300m', memory: '100Mi' } })] } as never, status: { phase: 'Pending', conditions: [], restartCount: 0 } });
  const read = <T extends Pod | Host>(o: T) => t.store.get<T>({ kind: o.kind, project: o.metadata.project, name: o.metadata.name });

  it('binding adds the host finalizer; terminating marks a bound pod and deletes an unbound one', async () => {
    const host = await newHost();
    const { pod: bound } = await bindPod(bindings, { pod: await newPod(), host, request: podRequest(await newPod()) });
    expect(bound.metadata.finalizers).toEqual([HOST_FINALIZER]);
    await terminatePod(t.store, bound as Pod);
    const marked = (await read(bound as Pod))!;
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    await terminatePod(t.store, marked); // idempotent
    const unbound = await newPod();
    await terminatePod(t.store, unbound);
    expect(await read(unbound)).toBeUndefined();
  });

  it('releasing gives the room back once, even when two release the same pod at once', async () => {
    const host = await newHost();
    const pod = await newPod();
    const { pod: bound, host: after } = await bindPod(bindings, { pod, host, request: podRequest(pod) });
    expect(after.status.requested).toEqual({ cpuMilli: 300, memoryBytes: 100 * MiB });
    await Promise.all([releasePod(t.store, bindings, bound as Pod), releasePod(t.store, bindings, bound as Pod)]);
    expect(await read(pod)).toBeUndefined();
    expect((await read(host))!.status.requested).toEqual({ cpuMilli: 0, memoryBytes: 0 });
  });

  it('a release of a pod whose host changed meanwhile re-reads the host and keeps the other pod\'s room', async () => {
    const host = await newHost();
    const [a, b] = [await newPod(), await newPod()];
    const { pod: boundA, host: h1 } = await bindPod(bindings, { pod: a, host, request: podRequest(a) });
    await bindPod(bindings, { pod: b, host: h1, request: podRequest(b) });
    await releasePod(t.store, bindings, boundA as Pod);
    expect((await read(host))!.status.requested).toEqual({ cpuMilli: 300, memoryBytes: 100 * MiB });
    expect(await read(b)).toBeDefined();
  });

  it('a pod whose host is gone is just deleted', async () => {
    const host = await newHost();
    const pod = await newPod();
    const { pod: bound } = await bindPod(bindings, { pod, host, request: podRequest(pod) });
    await t.store.delete({ kind: 'Host', project: '', name: host.metadata.name });
    await releasePod(t.store, bindings, bound as Pod);
    expect(await read(pod)).toBeUndefined();
  });
});
