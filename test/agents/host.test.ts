// The host agent on the real Docker Engine and DynamoDB Local: it registers the engine as a Host
// (capacity, never resetting the room promised to pods) and renews its lease; bound pods run,
// become Running and Ready and answer on 127.0.0.1; a container that exits is restarted and shows
// CrashLoopBackOff; an exec readiness probe runs in the container; a deleted pod is stopped and
// its room given back; stale containers of this host are removed; the pod log route reads the
// container's output over HTTP.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve, type ServerType } from '@hono/node-server';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostAgent, type HostAgent } from '../../agents/host/agent.ts';
import { registerHost } from '../../shared/deploy/host-lifecycle.ts';
import { ensureBuilderImages } from '../../images/build.ts';
import { createApi } from '../../shared/api/app.ts';
import type { Host, HostLease, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { terminatePod } from '../../shared/deploy/pods.ts';
import { DockerPods, removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { until } from '../support/until.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const P = `hostagent-${randomBytes(3).toString('hex')}`;
const HOST = `local-${randomBytes(3).toString('hex')}`;
let image = '';
let t: TestApi;
let bindings: DynamoBindingStore;
let agent: HostAgent;
let server: ServerType;
let base = '';
let n = 0;

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  t = await testApi();
  bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  agent = await startHostAgent({
    store: t.store,
    bindings,
    docker,
    hostName: HOST,
    socketPath: '/var/run/docker.sock',
    leaseMs: 500,
    syncMs: 200,
    drainMs: 0,
    capacity: { cpu: '2', memory: '2Gi' },
    backoff: { initialMs: 500, maxMs: 2_000, resetMs: 600_000 },
  });
  // The API as the platform serves it, reaching this engine's pod containers for pod logs.
  const pods = new DockerPods(docker, { owner: HOST });
  const app = createApi({ store: t.store, identity: t.identity, fleet: { containersFor: (h) => (h.metadata.name === HOST ? pods : undefined) } });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  await agent?.stop();
  server?.close();
  // The containers this host's agent left, and the project networks they were on.
  await removeOwnedContainers(docker, HOST);
});

const hostRef = { kind: 'Host', project: '', name: HOST };
const read = (name: string) => t.store.get<Pod>({ kind: 'Pod', project: P, name });
const ready = (p: Pod | undefined) => p?.status.conditions.find((c) => c.type === 'Ready');

async function boundPod(container: Record<string, unknown>, restartPolicy = 'Always'): Promise<Pod> {
  const p = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `web-1-h${++n}${randomBytes(2).toString('hex')}`, project: P, labels: { deploymentconfig: 'web', deployment: 'web-1' } },
    spec: { containers: [{ name: 'web', image, resources: { requests: { cpu: '100m', memory: '64Mi' } }, ...container }], restartPolicy, terminationGracePeriodSeconds: 5 } as never,
    status: { phase: 'Pending', conditions: [] },
  });
  const host = (await t.store.get<Host>(hostRef))!;
  return (await bindPod(bindings, { pod: p, host, request: podRequest(p) })).pod as Pod;
}


async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

describe('the host agent', () => {
  it("registers the engine as a Host with the given capacity, renews its lease, and never resets the Host's requested room", async () => {
    const host = (await t.store.get<Host>(hostRef))!;
    expect(host.spec).toMatchObject({ provider: 'docker', endpoint: '/var/run/docker.sock', address: '127.0.0.1', capacity: { cpu: '2', memory: '2Gi' } });
    expect(host.status).toMatchObject({ allocatable: { cpuMilli: 2000, memoryBytes: 2 * 2 ** 30 }, ready: true });
    const lease = (await t.store.get<HostLease>({ kind: 'HostLease', project: '', name: HOST }))!;
    const renewed = await until('a lease renewal', async () => {
      const l = await t.store.get<HostLease>({ kind: 'HostLease', project: '', name: HOST });
      return l && l.spec.renewTime !== lease.spec.renewTime && l;
    });
    expect(Date.parse(renewed.spec.renewTime)).toBeGreaterThan(Date.parse(lease.spec.renewTime));

    // Registering again (an agent restart) with another capacity keeps what pods were promised.
    const pod = await boundPod({ command: ['sleep', '3600'] });
    const requested = (await t.store.get<Host>(hostRef))!.status.requested;
    expect(requested).toEqual({ cpuMilli: 100, memoryBytes: 64 * 2 ** 20 });
    await registerHost(t.store, { name: HOST, spec: { ...host.spec, capacity: { cpu: '4', memory: '2Gi' } }, allocatable: { cpuMilli: 4000, memoryBytes: 2 * 2 ** 30 }, ready: true });
    const again = (await t.store.get<Host>(hostRef))!;
    expect(again.status.allocatable.cpuMilli).toBe(4000);
    expect(again.status.requested).toEqual(requested);
    await registerHost(t.store, { name: HOST, spec: host.spec, allocatable: host.status.allocatable, ready: true });
    await terminatePod(t.store, (await read(pod.metadata.name))!);
    await until('the pod released', async () => !(await read(pod.metadata.name)));
  }, 90_000);

  it('runs a bound pod: Running, Ready by its HTTP readiness probe, answering on its published 127.0.0.1 port', async () => {
    const probe = { httpGet: { path: '/', port: 8080 }, periodSeconds: 1, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 1, initialDelaySeconds: 0 };
    const p = await boundPod({ command: ['python3', '-m', 'http.server', '8080'], ports: [{ containerPort: 8080, protocol: 'TCP' }], readinessProbe: probe });
    const running = await until('the pod Ready', async () => {
      const cur = await read(p.metadata.name);
      return ready(cur)?.status === 'True' && cur;
    });
    expect(running.status).toMatchObject({ phase: 'Running', hostIP: '127.0.0.1', restartCount: 0, containerID: expect.any(String), startTime: expect.any(String), readySince: expect.any(String) });
    const port = running.status.ports![0]!;
    expect(port).toMatchObject({ containerPort: 8080, hostIP: '127.0.0.1' });
    const res = await get(`http://127.0.0.1:${port.hostPort}/`);
    expect(res.status).toBe(200);
    await res.text();
  }, 90_000);

  it('restarts a container that exits, showing CrashLoopBackOff with its exit code while it waits; its log is served over HTTP', async () => {
    const p = await boundPod({ command: ['sh', '-c', 'echo hello-from-pod; echo to-stderr >&2; exit 3'] });
    const crashing = await until('CrashLoopBackOff', async () => {
      const cur = await read(p.metadata.name);
      return cur?.status.reason === 'CrashLoopBackOff' && cur;
    });
    expect(crashing.status.message).toContain('exit code 3');
    expect(crashing.status.exitCode).toBe(3);
    await until('a restart', async () => ((await read(p.metadata.name))?.status.restartCount ?? 0) >= 1);

    const auth = { Authorization: `Bearer ${t.adminToken}` };
    const log = await get(`${base}/api/v1/projects/${P}/pods/${p.metadata.name}/log`, auth);
    expect(log.status).toBe(200);
    expect(log.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await log.text();
    expect(text).toContain('hello-from-pod\n');
    expect(text).toContain('to-stderr\n');
    expect(text).not.toMatch(/[\x00-\x08]/); // stdout and stderr demultiplexed, no frame headers
  }, 90_000);

  it('the pod log route: 404 for a pod that does not exist, 409 for one not on a host yet, 401 without a token', async () => {
    const auth = { Authorization: `Bearer ${t.adminToken}` };
    const missing = await get(`${base}/api/v1/projects/${P}/pods/nope-1-abcde/log`, auth);
    expect(missing.status).toBe(404);
    await missing.text();
    await t.store.create<Pod>({
      kind: 'Pod',
      metadata: { name: 'web-1-unbnd', project: P },
      spec: { containers: [{ name: 'web', image }], restartPolicy: 'Always', terminationGracePeriodSeconds: 5 } as never,
      status: { phase: 'Pending', conditions: [] },
    });
    const pending = await get(`${base}/api/v1/projects/${P}/pods/web-1-unbnd/log`, auth);
    expect(pending.status).toBe(409);
    expect(JSON.stringify(await pending.json())).toContain('not on a host yet');
    const anonymous = await get(`${base}/api/v1/projects/${P}/pods/web-1-unbnd/log`);
    expect(anonymous.status).toBe(401);
    await anonymous.text();
    await t.store.delete({ kind: 'Pod', project: P, name: 'web-1-unbnd' });
  });

  it('runs an exec readiness probe inside the container', async () => {
    const probe = { exec: { command: ['sh', '-c', 'test -f /tmp/ready'] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1, timeoutSeconds: 2, initialDelaySeconds: 0 };
    const p = await boundPod({ command: ['sleep', '3600'], readinessProbe: probe });
    // Running and not Ready comes first with no message (the probe has not run yet), then with its failure.
    const unready = await until('the probe failing', async () => {
      const cur = await read(p.metadata.name);
      return cur?.status.phase === 'Running' && ready(cur)?.status === 'False' && !!ready(cur)?.message && cur;
    });
    expect(ready(unready)!.message).toMatch(/exit code 1|exited with 1/);
    const exec = await docker.getContainer(unready.status.containerID!.replace(/^docker:\/\//, '')).exec({ Cmd: ['touch', '/tmp/ready'], User: '0' });
    const stream = await exec.start({ hijack: true, stdin: false });
    stream.resume();
    await new Promise((resolve) => stream.on('end', resolve));
    await until('the probe passing', async () => ready(await read(p.metadata.name))?.status === 'True');
  }, 90_000);

  it('stops a deleted pod and gives its room back; removes containers of pods that are not bound here', async () => {
    const before = (await t.store.get<Host>(hostRef))!.status.requested;
    const p = await boundPod({ command: ['sleep', '3600'] });
    const running = await until('the pod Running', async () => {
      const cur = await read(p.metadata.name);
      return cur?.status.phase === 'Running' && cur;
    });
    await terminatePod(t.store, running);
    await until('the pod released', async () => !(await read(p.metadata.name)));
    expect((await t.store.get<Host>(hostRef))!.status.requested).toEqual(before);
    expect(await new DockerPods(docker, { owner: HOST }).inspectPod(P, p.metadata.name)).toBeUndefined();

    // A container this host left behind for a pod that is gone (or was moved elsewhere).
    const pods = new DockerPods(docker, { owner: HOST });
    await pods.ensurePod({ project: P, deployment: 'web', revision: 1, pod: 'web-1-stale', image, command: ['sleep', '3600'], env: [], ports: [], resources: { cpuMilli: 100, memoryBytes: 64 * 2 ** 20 } });
    await until('the stale container removed', async () => !(await pods.inspectPod(P, 'web-1-stale')));
  }, 90_000);
});

describe('a host agent told of its pods', () => {
  it('starts a pod bound to it when kicked, long before its next timed pass, and stops it the same way', async () => {
    const quiet = `${HOST}-k`;
    // The timed pass would come only after ten minutes: anything that happens here is the kick's doing.
    const told = await startHostAgent({ store: t.store, bindings, docker, hostName: quiet, socketPath: '/var/run/docker.sock', syncMs: 600_000, drainMs: 0, capacity: { cpu: '1', memory: '1Gi' } });
    try {
      const p = await t.store.create<Pod>({
        kind: 'Pod',
        metadata: { name: `web-1-k${randomBytes(2).toString('hex')}`, project: P, labels: { deploymentconfig: 'web', deployment: 'web-1' } },
        spec: { containers: [{ name: 'web', image, command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '64Mi' } } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 5 } as never,
        status: { phase: 'Pending', conditions: [] },
      });
      const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: quiet }))!;
      await bindPod(bindings, { pod: p, host, request: podRequest(p) });
      // A pod of another host, kicked here, is left alone.
      told.kick({ project: P, name: 'no-such-pod' });
      told.kick({ project: P, name: p.metadata.name });
      const running = await until('the kicked pod running', async () => {
        const cur = await read(p.metadata.name);
        return cur?.status.phase === 'Running' && ready(cur)?.status === 'True' ? cur : undefined;
      }, 30_000);
      const pods = new DockerPods(docker, { owner: quiet });
      expect((await pods.inspectPod(P, p.metadata.name))?.state).toBe('running');
      await terminatePod(t.store, running);
      told.kick({ project: P, name: p.metadata.name });
      await until('the deleted pod stopped and gone', async () => !(await pods.inspectPod(P, p.metadata.name)) && !(await read(p.metadata.name)), 30_000);
    } finally {
      await told.stop();
      await removeOwnedContainers(docker, quiet);
    }
  }, 90_000);
});
