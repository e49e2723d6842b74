// The host side over a simulated host (exact control of exits and probes, an injected clock)
// with the real store (DynamoDB Local): pods start as the project's UID with their limits and
// become Running and Ready; a container that exits is restarted with exponential back-off and
// shows CrashLoopBackOff meanwhile; a Never pod records how it ended; readiness and liveness
// probes act after their thresholds; a pod being deleted drains (also until its Services have
// dropped it), stops and gives its room back;
// containers of pods not bound here are removed.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Host, Pod, Service } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { createPodSync, STARTING_PROBE_MS } from '../../shared/fleet/pod-sync.ts';
import type { ProbeResult } from '../../shared/fleet/probes.ts';
import { SimulatedPods } from '../../shared/fleet/simulated-pods.ts';
import type { Probe } from '../../shared/model/deploy-kinds.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { refOf } from '../../shared/model/types.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const P = 'demo';
let t: TestTable;
let bindings: DynamoBindingStore;
let sim: SimulatedPods;
let clock: number;
let probeAnswers: Record<string, boolean>;
let n = 0;
const now = () => clock;

beforeEach(async () => {
  t = await freshTable();
  bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
  clock = Date.parse('2026-01-01T00:00:00Z');
  sim = new SimulatedPods(now);
  probeAnswers = {};
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  await t.store.create<Host>({
    kind: 'Host',
    metadata: { name: 'h1', project: '' },
    spec: { provider: 'simulated', address: '127.0.0.1', capacity: { cpu: '2', memory: '2Gi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 2000, memoryBytes: 2 ** 31 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
  });
});

function sync() {
  return createPodSync(syncDeps());
}

function syncDeps(): Parameters<typeof createPodSync>[0] {
  return {
    store: t.store,
    bindings,
    hostName: 'h1',
    address: '127.0.0.1',
    containers: sim,
    uidFor: async () => 1_000_120_000,
    backoff: { initialMs: 10_000, maxMs: 40_000, resetMs: 600_000 },
    drainMs: 3_000,
    now,
    probe: async (p: Probe): Promise<ProbeResult> => {
      const key = p.httpGet ? `http:${p.httpGet.path}` : 'other';
      return probeAnswers[key] === false ? { ok: false, detail: `HTTP probe failed with statuscode: 503` } : { ok: true };
    },
  };
}

async function boundPod(container: Record<string, unknown> = {}, restartPolicy = 'Always'): Promise<Pod> {
  const p = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `web-2-p${++n}`, project: P, labels: { deploymentconfig: 'web', deployment: 'web-2' } },
    spec: { containers: [{ name: 'web', image: 'reg/demo/web@sha256:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '256Mi' } }, ...container }], restartPolicy, terminationGracePeriodSeconds: 10 } as never,
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
  return (await bindPod(bindings, { pod: p, host, request: podRequest(p) })).pod as Pod;
}

const read = (p: Pod) => t.store.get<Pod>({ kind: 'Pod', project: P, name: p.metadata.name });
const ready = (p: Pod | undefined) => p?.status.conditions.find((c) => c.type === 'Ready')?.status;

/** A Service that lists `p` in its endpoints; then `p` is marked for deletion. */
async function deletedWhileListed(p: Pod): Promise<Service> {
  const svc = await t.store.create<Service>({
    kind: 'Service',
    metadata: { name: 'web', project: P },
    spec: { selector: { deploymentconfig: 'web' }, ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] },
    status: { endpoints: [{ pod: p.metadata.name, host: 'h1', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: 32768 }] }] },
  } as never);
  const current = (await read(p))!;
  await t.store.update({ ...current, metadata: { ...current.metadata, deletionTimestamp: new Date(clock).toISOString() } });
  return svc;
}

describe('the host side of pods', () => {
  it('starts a bound pod as the project UID with its limits; without a readiness probe it is Ready once running', async () => {
    const p = await boundPod();
    await sync().syncHost();
    expect(sim.specOf(P, p.metadata.name)).toMatchObject({ uid: 1_000_120_000, image: 'reg/demo/web@sha256:1', deployment: 'web', revision: 2, resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 }, env: [{ name: 'A', value: '1' }] });
    const after = (await read(p))!;
    expect(after.status).toMatchObject({ phase: 'Running', hostIP: '127.0.0.1', restartCount: 0, ports: [{ containerPort: 8080, hostIP: '127.0.0.1', hostPort: expect.any(Number) }], readySince: new Date(clock).toISOString() });
    expect(ready(after)).toBe('True');
    const rv = after.metadata.resourceVersion;
    await sync().syncHost();
    expect((await read(p))!.metadata.resourceVersion).toBe(rv); // nothing changed, nothing written
  });

  it('a container that exits is restarted after 10 s, then 20 s, then 40 s, showing CrashLoopBackOff meanwhile', async () => {
    const p = await boundPod();
    const s = sync();
    await s.syncHost();
    for (const wait of [10_000, 20_000, 40_000]) {
      sim.exit(P, p.metadata.name, 3);
      clock += 1000;
      await s.syncHost();
      const waiting = (await read(p))!;
      expect(waiting.status).toMatchObject({ reason: 'CrashLoopBackOff', exitCode: 3 });
      expect(waiting.status.message).toMatch(/^back-off \d+s restarting the failed container \(exit code 3\)$/);
      expect(ready(waiting)).toBe('False');
      clock += wait - 500; // just before the back-off ends
      await s.syncHost();
      expect((await read(p))!.status.reason).toBe('CrashLoopBackOff');
      clock += 1000;
      await s.syncHost();
      const back = (await read(p))!;
      expect(back.status.reason).toBeUndefined();
      expect(ready(back)).toBe('True');
    }
    expect((await read(p))!.status.restartCount).toBe(3);
    expect(sim.created).toBe(4);
  });

  it('a Never pod records how it ended and is not restarted', async () => {
    const ok = await boundPod({}, 'Never');
    const bad = await boundPod({}, 'Never');
    const s = sync();
    await s.syncHost();
    sim.exit(P, ok.metadata.name, 0);
    sim.exit(P, bad.metadata.name, 2);
    await s.syncHost();
    expect((await read(ok))!.status).toMatchObject({ phase: 'Succeeded', exitCode: 0, reason: 'Completed' });
    expect((await read(bad))!.status).toMatchObject({ phase: 'Failed', exitCode: 2, reason: 'Error' });
    clock += 60_000;
    await s.syncHost();
    expect(sim.created).toBe(2);
  });

  it('readiness follows the probe after its thresholds; liveness failures restart the container', async () => {
    const probe = { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1, failureThreshold: 2, successThreshold: 1, timeoutSeconds: 1, initialDelaySeconds: 0 };
    const live = { httpGet: { path: '/live', port: 8080 }, periodSeconds: 1, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 1, initialDelaySeconds: 0 };
    const p = await boundPod({ readinessProbe: probe, livenessProbe: live });
    const s = sync();
    await s.syncHost();
    expect(ready(await read(p))).toBe('True');
    probeAnswers['http:/ready'] = false;
    clock += 1000;
    await s.syncHost();
    expect(ready(await read(p))).toBe('True'); // one failure is below the threshold
    clock += 1000;
    await s.syncHost();
    const unready = (await read(p))!;
    expect(ready(unready)).toBe('False');
    expect(unready.status.conditions[0]!.message).toContain('statuscode: 503');
    probeAnswers['http:/ready'] = true;
    probeAnswers['http:/live'] = false;
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      await s.syncHost();
    }
    const restarted = (await read(p))!;
    expect(restarted.status).toMatchObject({ restartCount: 1, reason: 'Unhealthy' });
    expect(sim.created).toBe(2);
  });

  it('a liveness restart whose new container does not start is counted and shown; the next pass starts it, counting nothing more', async () => {
    const live = { httpGet: { path: '/live', port: 8080 }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1, timeoutSeconds: 1, initialDelaySeconds: 0 };
    const p = await boundPod({ livenessProbe: live });
    const errors: unknown[] = [];
    const s = createPodSync({ ...syncDeps(), onError: (_pod, err) => errors.push(err) });
    await s.syncHost();
    const ensure = sim.ensurePod.bind(sim);
    let refuse = 1;
    sim.ensurePod = async (spec) => {
      if (refuse-- > 0) throw new Error('the engine has no room');
      return ensure(spec);
    };
    probeAnswers['http:/live'] = false;
    clock += 1000;
    await s.syncHost();
    expect(errors).toEqual([new Error('the engine has no room')]);
    const failed = (await read(p))!;
    expect(failed.status).toMatchObject({ restartCount: 1, reason: 'Unhealthy', message: 'the liveness probe failed: HTTP probe failed with statuscode: 503' });
    expect(ready(failed)).toBe('False');
    probeAnswers['http:/live'] = true;
    clock += 1000;
    await s.syncHost();
    const started = (await read(p))!;
    expect([started.status.restartCount, ready(started), sim.created]).toEqual([1, 'True', 2]);
  });

  it('a starting pod is probed every 200 ms until it first passes, then at its period; the pass says when the next probe is due', async () => {
    const probe = { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 1, initialDelaySeconds: 0 };
    const p = await boundPod({ readinessProbe: probe });
    probeAnswers['http:/ready'] = false;
    const s = sync();
    const first = await s.syncHost();
    expect(ready(await read(p))).toBe('False');
    expect(first.nextProbeAt).toBe(clock + STARTING_PROBE_MS);
    clock += 100;
    expect((await s.syncHost()).nextProbeAt).toBe(clock + 100); // not due yet: still the same time
    clock += 100;
    probeAnswers['http:/ready'] = true;
    const passed = await s.syncHost();
    expect(ready(await read(p))).toBe('True');
    expect(passed.nextProbeAt).toBe(clock + 10_000); // passed once: at its period from now on
    clock += 5_000;
    probeAnswers['http:/ready'] = false;
    await s.syncHost();
    expect(ready(await read(p))).toBe('True'); // not probed before its period
  });

  it('a pod being deleted drains, then stops and gives its room back with it', async () => {
    const p = await boundPod();
    const s = sync();
    await s.syncHost();
    const current = (await read(p))!;
    await t.store.update({ ...current, metadata: { ...current.metadata, deletionTimestamp: new Date(clock).toISOString() } });
    clock += 1000;
    await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeDefined();
    expect(ready(await read(p))).toBe('False');
    clock += 3000;
    await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeUndefined();
    expect(await read(p)).toBeUndefined();
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!.status.requested).toEqual({ cpuMilli: 0, memoryBytes: 0 });
  });

  it('a pod being deleted that a Service still lists keeps running past the drain until it has been unlisted a while', async () => {
    const p = await boundPod();
    const s = sync();
    await s.syncHost();
    const svc = await deletedWhileListed(p);
    // The controller is slow to drop it: the drain is long over, and the container still runs.
    clock += 10_000;
    const pass = await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeDefined();
    expect(pass.nextProbeAt).toBe(clock + 500);
    await patchStatus<Service>(t.store, refOf(svc), () => ({ endpoints: [] }));
    clock += 500;
    await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeDefined();
    clock += 1_999;
    await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeDefined();
    clock += 1;
    await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeUndefined();
    expect(await read(p)).toBeUndefined();
  });

  it('a pod being deleted stops after a minute even if a Service never drops it', async () => {
    const p = await boundPod();
    const s = sync();
    await s.syncHost();
    await deletedWhileListed(p);
    clock += 59_999;
    await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeDefined();
    clock += 1;
    await s.syncHost();
    expect(await sim.inspectPod(P, p.metadata.name)).toBeUndefined();
  });

  it('removes containers of pods that are not bound here', async () => {
    await sim.ensurePod({ project: P, deployment: 'web', revision: 1, pod: 'web-1-stale', image: 'x', env: [], ports: [], resources: { cpuMilli: 100, memoryBytes: 2 ** 27 } });
    const p = await boundPod();
    expect(await sync().syncHost()).toEqual({ pods: 1, removed: 1 });
    expect((await sim.listPods()).map((c) => c.pod)).toEqual([p.metadata.name]);
  });

  it('a pod bound after a pass read its pods, and started beside that pass, is not taken for a stray', async () => {
    const s = sync();
    const p = await boundPod();
    await s.syncPod((await read(p))!);
    // The pass read the host's pods before the binding: none.
    expect(await s.syncHost([])).toEqual({ pods: 0, removed: 0 });
    expect((await sim.listPods()).map((c) => c.pod)).toEqual([p.metadata.name]);
  });

  it("a pass's copy of a pod older than one already synced does nothing: a pod deleted meanwhile is not started again", async () => {
    const s = sync();
    const before = await boundPod();
    await s.syncPod(before);
    const current = (await read(before))!;
    await t.store.update({ ...current, metadata: { ...current.metadata, deletionTimestamp: new Date(clock).toISOString() } });
    clock += 61_000;
    await s.syncPod((await read(before))!);
    expect(await sim.listPods()).toEqual([]);
    // The copy a pass read before the deletion comes in its turn after it.
    await s.syncPod(before);
    expect(await sim.listPods()).toEqual([]);
  });

  it('a pod synced alone (a kick) says when its own next probe is due, whatever the other pods synced beside it', async () => {
    const probe = { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 1, initialDelaySeconds: 0 };
    const starting = await boundPod({ readinessProbe: probe });
    const plain = await boundPod();
    probeAnswers['http:/ready'] = false;
    const s = sync();
    const [a, b] = await Promise.all([s.syncPod((await read(starting))!), s.syncPod((await read(plain))!)]);
    expect(a).toEqual({ nextProbeAt: clock + STARTING_PROBE_MS });
    expect(b).toEqual({});
  });
});
