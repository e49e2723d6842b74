// Idling with real HAProxy and DynamoDB Local, the idler on an injected clock: a quiet trial DC
// (or one that asks for it) is scaled to 0 remembering its replicas; requests through the router,
// reported from HAProxy's counters, keep a DC awake; a request to an idled route is held by the
// router (not answered 503), wakes the DC through the table's stream, and is answered 200 once
// a pod is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLED_AT, PREVIOUS_REPLICAS, UNIDLE_TARGETS } from '../../shared/idling/annotations.ts';
import { idlePlan } from '../../shared/idling/idler.ts';
import type { DeploymentConfig, Service } from '../../shared/model/objects.ts';
import { eventually, get, startApp, stopApps } from '../routing/support.ts';
import { IDLE_AFTER_MS, idlingWorld, readyPodOf, wakingRequest, type IdlingWorld } from './support.ts';

let w: IdlingWorld;
const dcRef = (project: string, name: string) => ({ kind: 'DeploymentConfig', project, name });
const svc = async (project: string, name: string) => (await w.t.store.get<Service>({ kind: 'Service', project, name }))!;
const created = async (project: string, name: string) => Date.parse((await w.dc(project, name)).metadata.creationTimestamp);

/** A trial app of `replicas` behind a route, idled by the idler after its quiet time, its pods gone and the router told; the route's host. */
async function idledApp(name: string, replicas: number): Promise<string> {
  const host = await w.app('trial', name, replicas);
  w.clock.now = (await created('trial', name)) + IDLE_AFTER_MS;
  await w.idler.reconcile(dcRef('trial', name));
  await w.podsFollow('trial', name);
  await w.agent.refresh();
  return host;
}

/**
 * A port whose connections are never made: a process listens on it (backlog 1) and never takes a
 * connection, and the first ones fill its queue, so the kernel drops the SYNs that come after
 * (what a pod whose packets are dropped looks like).
 */
async function muteListener(): Promise<{ port: number; stop(): void }> {
  const listener: ChildProcess = spawn(process.execPath, ['-e', `
    require('node:net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, function () {
      process.stdout.write(this.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
    });`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    listener.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    listener.once('exit', (code) => reject(new Error(`the listener exited (${code})`)));
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 3; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => undefined));
  await new Promise((r) => setTimeout(r, 200));
  return {
    port,
    stop() {
      for (const s of fillers) s.destroy();
      listener.kill('SIGKILL');
    },
  };
}

beforeAll(async () => {
  w = await idlingWorld([{ name: 'trial', trial: true }, { name: 'paid' }]);
}, 60_000);
afterAll(() => w?.stop());

describe('idlePlan', () => {
  const dc = (replicas: number, annotations: Record<string, string> = {}) =>
    ({ metadata: { name: 'web', project: 'p', creationTimestamp: new Date(0).toISOString(), annotations }, spec: { replicas } }) as unknown as DeploymentConfig;
  it.each([
    ['quiet for exactly the idle time', dc(2), true, undefined, 1000, { idle: true }],
    ['quiet for less: look again when it would be due', dc(2), true, undefined, 400, { idle: false, after: 600 }],
    ['a request since: counted from the request', dc(2), true, 900, 1000, { idle: false, after: 900 }],
    ['woken since: counted from the waking', dc(2, { 'idling.berth.io/unidled-at': new Date(500).toISOString() }), true, undefined, 1000, { idle: false, after: 500 }],
    ['idling does not apply', dc(2), false, undefined, 5000, { idle: false }],
    ['no replicas', dc(0), true, undefined, 5000, { idle: false }],
    ['already idled', dc(0, { [IDLED_AT]: new Date(0).toISOString() }), true, undefined, 5000, { idle: false }],
  ])('%s', (_what, d, applies, last, now, want) => {
    expect(idlePlan(d, applies, last, now, 1000)).toEqual(want);
  });
});

describe('the idler', () => {
  it('idles a quiet trial DC after PAAS_IDLE_AFTER_S, remembering its replicas; a DC outside a trial without the annotation stays', async () => {
    await w.app('trial', 'quiet', 2);
    await w.app('paid', 'kept', 2);
    await w.app('paid', 'asks', 3, { 'idling.berth.io/enabled': 'true' });
    w.clock.now = (await created('trial', 'quiet')) + IDLE_AFTER_MS - 1000;
    const early = await w.idler.reconcile(dcRef('trial', 'quiet'));
    expect(early.requeueAfter).toBe(1000);
    expect((await w.dc('trial', 'quiet')).spec.replicas).toBe(2);

    const t0 = Math.max(await created('trial', 'quiet'), await created('paid', 'asks'));
    w.clock.now = t0 + IDLE_AFTER_MS;
    for (const [p, n] of [['trial', 'quiet'], ['paid', 'kept'], ['paid', 'asks']]) await w.idler.reconcile(dcRef(p!, n!));

    const quiet = await w.dc('trial', 'quiet');
    expect(quiet.spec.replicas).toBe(0);
    expect(quiet.metadata.annotations).toMatchObject({ [PREVIOUS_REPLICAS]: '2', [IDLED_AT]: new Date(t0 + IDLE_AFTER_MS).toISOString() });
    expect((await svc('trial', 'quiet')).metadata.annotations).toMatchObject({ [IDLED_AT]: expect.any(String), [UNIDLE_TARGETS]: 'quiet' });
    expect((await w.dc('paid', 'asks')).metadata.annotations?.[PREVIOUS_REPLICAS]).toBe('3');
    const kept = await w.dc('paid', 'kept');
    expect(kept.spec.replicas).toBe(2);
    expect(kept.metadata.annotations?.[IDLED_AT]).toBeUndefined();
  });

  it('requests through the router, read from HAProxy and reported once per Service, keep a DC awake', async () => {
    const host = await w.app('trial', 'busy', 1);
    const t0 = await created('trial', 'busy');
    w.clock.now = t0 + IDLE_AFTER_MS - 60_000;
    // The first reading is the baseline; then three requests are one report for the Service.
    await w.agent.reportActivity();
    for (let i = 0; i < 3; i++) expect((await eventually(() => get(w.httpPort, host), (r) => r.status === 200)).body).toBe('trial/busy');
    expect(await w.agent.reportActivity()).toEqual(['trial/busy']);
    expect(await w.agent.reportActivity()).toEqual([]);
    expect((await w.signals.lastActivity([{ project: 'trial', service: 'busy' }])).get('trial/busy')).toBe(t0 + IDLE_AFTER_MS - 60_000);

    w.clock.now = t0 + IDLE_AFTER_MS + 1000;
    const r = await w.idler.reconcile(dcRef('trial', 'busy'));
    expect((await w.dc('trial', 'busy')).spec.replicas).toBe(1);
    expect(r.requeueAfter).toBe(IDLE_AFTER_MS - 61_000);

    w.clock.now = t0 + 2 * IDLE_AFTER_MS - 60_000;
    await w.idler.reconcile(dcRef('trial', 'busy'));
    expect((await w.dc('trial', 'busy')).spec.replicas).toBe(0);
  });

  it('a request to an idled route is held, wakes the DC to its replicas, and is answered 200 once a pod is ready (never 503)', async () => {
    const host = await idledApp('sleepy', 2);
    expect((await w.dc('trial', 'sleepy')).spec.replicas).toBe(0);

    // The wake request reaches the idler through the table's stream; the DC gets its 2 replicas back.
    const { reply, answered } = await wakingRequest(w, host, 'trial', 'sleepy', 2);
    expect(answered()).toBe(false);
    expect((await w.dc('trial', 'sleepy')).metadata.annotations).not.toHaveProperty(IDLED_AT);

    await w.podsFollow('trial', 'sleepy');
    const r = await reply;
    expect(r).toMatchObject({ status: 200, body: 'trial/sleepy' });
    expect(w.agent.unidlerStats).toMatchObject({ passed: expect.any(Number), timedOut: 0 });
    expect(w.agent.unidlerStats!.passed).toBeGreaterThanOrEqual(1);
    // The Service loses its mark once it has endpoints again; later requests go to the pods.
    await eventually(() => svc('trial', 'sleepy'), (s) => s.metadata.annotations?.[IDLED_AT] === undefined);
    expect((await get(w.httpPort, host)).status).toBe(200);
  });

  // (Another project's ready pod with the same labels: test/security/idling.test.ts.)
  it('a held request goes to a pod told ready at once, before its Service lists it; not to a pod that is not ready', async () => {
    const host = await idledApp('early', 1);
    const own = await startApp('own pod');
    try {
      const { reply, answered } = await wakingRequest(w, host, 'trial', 'early', 1);
      // The project's own pod, not ready yet: still held.
      w.agent.podChanged(readyPodOf('trial', 'early', own.port, false));
      await new Promise((r) => setTimeout(r, 300));
      expect(answered()).toBe(false);
      // Ready: passed on at once, while the Service still lists no endpoint (the endpoints controller has not run).
      w.agent.podChanged(readyPodOf('trial', 'early', own.port, true));
      expect(await reply).toMatchObject({ status: 200, body: 'own pod' });
      expect((await svc('trial', 'early')).status?.endpoints ?? []).toEqual([]);
    } finally {
      await stopApps([own]);
    }
  });

  it('a held request whose pod never takes the connection is given up at the connect timeout and tried again, here on the pod that answers', async () => {
    const host = await idledApp('mute', 1);
    const mute = await muteListener();
    const own = await startApp('own pod');
    try {
      // The port really is mute: a connection to it is not made.
      const probe = connect(mute.port, '127.0.0.1').on('error', () => undefined);
      await new Promise((r) => setTimeout(r, 1000));
      expect(probe.connecting).toBe(true);
      probe.destroy();

      const { reply, answered } = await wakingRequest(w, host, 'trial', 'mute', 1);
      w.agent.podChanged(readyPodOf('trial', 'mute', mute.port, true));
      await new Promise((r) => setTimeout(r, 1000));
      expect(answered()).toBe(false);
      // The pod moves to a port that answers; the try on the mute port ends at its connect timeout (2 s here).
      w.agent.podChanged(readyPodOf('trial', 'mute', own.port, true));
      expect(await reply).toMatchObject({ status: 200, body: 'own pod' });
    } finally {
      mute.stop();
      await stopApps([own]);
    }
  }, 30_000);
});
