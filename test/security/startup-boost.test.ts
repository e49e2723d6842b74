// The start-up CPU boost on the real Docker Engine with the real store, and a tenant trying to
// keep it: a pod's container starts allowed a core when its limit is lower (an interpreter's
// start is not throttled to 100m), and the pod sync holds it to its limit once the start is
// over: as soon as its readiness probe passes, or when the boost's time is up for a pod without
// one. A stranger's pod whose probe never passes (to stay "starting") keeps the core no longer
// than that time, and a container found over its limit (its agent restarted meanwhile, or any
// other way) is held to it at the next pass.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { createPodSync } from '../../shared/fleet/pod-sync.ts';
import type { Probe } from '../../shared/model/deploy-kinds.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const P = `boost-${tag}`;
const owner = `boost-test-${tag}`;
const BOOST_MS = 2_500;
const boosted = new DockerPods(docker, { owner, startupCpuMilli: 1000 });
let t: TestTable;
let image = '';
let n = 0;

const podSync = (boostMs = BOOST_MS) =>
  createPodSync({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), hostName: 'h1', address: '127.0.0.1', containers: boosted, uidFor: async () => 1_000_240_000, drainMs: 0, startupBoostMs: boostMs });

async function boundPod(container: Record<string, unknown>): Promise<Pod> {
  const p = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `p-${++n}`, project: P },
    spec: { containers: [{ name: 'c', image, env: [], ports: [], resources: { limits: { cpu: '100m', memory: '64Mi' } }, command: ['sleep', '3600'], ...container }], restartPolicy: 'Always', terminationGracePeriodSeconds: 0 } as never,
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
  return (await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod: p, host, request: podRequest(p) })).pod as Pod;
}

/** The container's CPU allowance as Docker Engine holds it (cores). */
const cores = async (pod: Pod) => {
  const running = await boosted.inspectPod(P, pod.metadata.name);
  const info = await docker.getContainer(running!.containerId).inspect();
  return info.HostConfig.NanoCpus! / 1e9;
};

/** Runs passes (as the agent does, every `everyMs`) until `ok`, failing after `timeoutMs`. */
async function passUntil(sync: ReturnType<typeof podSync>, ok: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 200): Promise<number> {
  const start = Date.now();
  for (;;) {
    await sync.syncHost();
    if (await ok()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error('not within the time');
    await sleep(everyMs);
  }
}

const readyOf = async (pod: Pod) => (await t.store.get<Pod>({ kind: 'Pod', project: P, name: pod.metadata.name }))?.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  await t.store.create<Host>({
    kind: 'Host',
    metadata: { name: 'h1', project: '' },
    spec: { provider: 'docker', address: '127.0.0.1', capacity: { cpu: '2', memory: '4Gi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 2000, memoryBytes: 2 ** 32 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
  });
}, 600_000);

afterAll(async () => {
  for (const c of await boosted.listPods()) await boosted.removePod(c.project, c.pod);
});

describe('the start-up CPU boost', () => {
  it('starts a pod with a core and holds it to its 100m limit when the boost time is up', async () => {
    const sync = podSync();
    const pod = await boundPod({});
    await sync.syncHost();
    expect(await cores(pod)).toBe(1);
    // Ready at once (no probe), and still boosted: its start is not over.
    expect(await readyOf(pod)).toBe(true);
    const took = await passUntil(sync, async () => (await cores(pod)) === 0.1);
    expect(took).toBeGreaterThanOrEqual(BOOST_MS - 1_000);
  }, 60_000);

  it('ends at once when the readiness probe passes, long before the boost time is up', async () => {
    const sync = podSync(600_000);
    const probe: Probe = { exec: { command: ['sh', '-c', 'test -f /tmp/ready'] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1, timeoutSeconds: 2, initialDelaySeconds: 0 } as Probe;
    const pod = await boundPod({ readinessProbe: probe });
    await sync.syncHost();
    await sync.syncHost();
    expect(await readyOf(pod)).toBe(false);
    expect(await cores(pod)).toBe(1);
    const running = await boosted.inspectPod(P, pod.metadata.name);
    const touched = await (await docker.getContainer(running!.containerId).exec({ Cmd: ['touch', '/tmp/ready'] })).start({ hijack: true, stdin: false });
    touched.resume();
    await new Promise((resolve) => touched.on('end', resolve));
    await passUntil(sync, () => readyOf(pod));
    expect(await cores(pod)).toBe(0.1);
  }, 60_000);

  it('a pod whose probe never passes keeps the boost no longer than its time', async () => {
    const sync = podSync();
    const probe: Probe = { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1, timeoutSeconds: 2, initialDelaySeconds: 0 } as Probe;
    const pod = await boundPod({ readinessProbe: probe });
    await sync.syncHost();
    expect(await cores(pod)).toBe(1);
    await passUntil(sync, async () => (await cores(pod)) === 0.1);
    expect(await readyOf(pod)).toBe(false);
  }, 60_000);

  it('a container found over its limit (started by an agent that went away) is held to the limit by the next agent', async () => {
    const pod = await boundPod({});
    await podSync(600_000).syncHost();
    expect(await cores(pod)).toBe(1);
    // A new agent: nothing remembered of this container but what the engine says.
    const fresh = podSync();
    await passUntil(fresh, async () => (await cores(pod)) === 0.1);
  }, 60_000);

  it('a container without a boost is started at its limit', async () => {
    const plain = new DockerPods(docker, { owner });
    const running = await plain.ensurePod({ project: P, deployment: 'w', revision: 1, pod: `plain-${tag}`, image, env: [], ports: [], resources: { cpuMilli: 250, memoryBytes: 64 * 2 ** 20 }, command: ['sleep', '3600'] });
    expect((await docker.getContainer(running.containerId).inspect()).HostConfig.NanoCpus).toBe(250_000_000);
    expect(running.cpuMilli).toBe(250);
  });
});
