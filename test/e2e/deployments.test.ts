// Deployments as a user drives them, through the real `npm run up` (DynamoDB Local, Docker
// Engine, the registry, builder agents, the host agent of the local engine) plus a second local
// container host (its own Docker Engine and host agent), with the real CLI:
// - a built app runs with 3 replicas spread over both hosts;
// - a rolling update to a new image completes while a client loop over the Service's endpoints
//   sees zero failed requests (the count is printed);
// - a new image whose readiness never passes rolls back by itself;
// - `rollout undo` restores the previous image;
// - the second host's engine is stopped for real and its pods run on the remaining host within
//   30 seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExtraDockerd, type ExtraDockerd } from '../../shared/local/dockerd.ts';
import { runCli } from '../cli/harness.ts';
import { startUp, upPorts, type UpPorts, type UpProcess } from '../support/up.ts';

const home = mkdtempSync(join(tmpdir(), 'berth-e2e-deploy-'));
const work = mkdtempSync(join(tmpdir(), 'berth-e2e-deploy-src-'));
const ADMIN_PASSWORD = 'e2e-admin-password';
const P = 'deploy';
const HOST2 = 'local-2';
let up: UpProcess;
let ports: UpPorts;
let token: string;
let engine2: ExtraDockerd | undefined;
let agent2: ChildProcess | undefined;
let agent2Output = '';

const cli = (...argv: string[]) => runCli(argv, { BERTH_CONFIG: join(home, 'cli.json'), HOME: home });

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(up.apiUrl + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

const get = async (plural: string, name: string) => (await api('GET', `/api/v1/projects/${P}/${plural}/${name}`)).body;
const pods = async (): Promise<any[]> => (await api('GET', `/api/v1/projects/${P}/pods`)).body.items;
const dc = () => get('deploymentconfigs', 'web');

/** A GET through the router on loopback, for a host name (as curl --resolve or *.localhost would send it). */
function viaRouter(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: ports.routerHttp, path: '/', headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** An app that says which version it is; `app.sh` that never listens, for a rollout that cannot become ready. */
function writeApp(dir: string, version: string | 'never-ready'): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (version === 'never-ready') {
    writeFileSync(join(dir, 'app.sh'), '#!/bin/bash\necho "this version never listens"\nexec sleep 100000\n');
    chmodSync(join(dir, 'app.sh'), 0o755);
  } else {
    writeFileSync(join(dir, 'wsgi.py'), `def application(e, s):\n    s("200 OK", [("Content-Type", "text/plain")])\n    return [b"version ${version}\\n"]\n`);
  }
  return dir;
}

async function build(version: string | 'never-ready'): Promise<void> {
  const res = await cli('start-build', 'web', '--from-dir', writeApp(join(work, 'web'), version), '--follow');
  expect(res.code, res.stderr + res.stdout).toBe(0);
}

/** Waits until the DC's latest revision is Complete with `replicas` available pods answering `text`. */
async function rolledOut(text: string, replicas: number, timeoutMs = 180_000): Promise<void> {
  await expect
    .poll(
      async () => {
        const d = await dc();
        const rc = await get('replicationcontrollers', `web-${d.status.latestVersion}`);
        const eps = (await get('services', 'web')).status?.endpoints ?? [];
        const answers = await Promise.all(eps.map((e: any) => fetch(`http://${e.ip}:${e.ports[0].hostPort}/`).then((r) => r.text(), () => 'down')));
        return { phase: rc?.status?.phase, available: d.status.availableReplicas, answers: answers.sort() };
      },
      { timeout: timeoutMs, interval: 1000 },
    )
    .toEqual({ phase: 'Complete', available: replicas, answers: Array(replicas).fill(text) });
}

/** Requests the Service's endpoints round-robin, refreshing them every 200 ms, until stopped. */
function clientLoop(): { stop(): Promise<{ ok: number; failed: number; errors: string[] }> } {
  let running = true;
  let endpoints: string[] = [];
  const tally = { ok: 0, failed: 0, errors: [] as string[] };
  const refresh = (async () => {
    while (running) {
      const svc = await get('services', 'web').catch(() => undefined);
      const eps = (svc?.status?.endpoints ?? []).map((e: any) => `http://${e.ip}:${e.ports[0].hostPort}/`);
      if (eps.length) endpoints = eps;
      await sleep(200);
    }
  })();
  const loop = (async () => {
    let i = 0;
    while (running) {
      const url = endpoints[i++ % Math.max(endpoints.length, 1)];
      if (!url) {
        await sleep(50);
        continue;
      }
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        await res.text();
        if (res.ok) tally.ok++;
        else {
          tally.failed++;
          tally.errors.push(`${url} ${res.status}`);
        }
      } catch (err) {
        tally.failed++;
        tally.errors.push(`${url} ${(err as Error).message}`);
      }
      await sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await Promise.all([refresh, loop]);
      return tally;
    },
  };
}

beforeAll(async () => {
  ports = await upPorts();
  up = await startUp(home, ports, {
    PAAS_BUILDER_VARIANT: 'test',
    BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PAAS_HOST_LEASE_MS: '1000',
    PAAS_HOST_GRACE_MS: '6000',
    PAAS_HOST_EVICTION_MS: '3000',
  });
  expect((await cli('login', up.apiUrl, '--username', 'admin', '--password', ADMIN_PASSWORD)).code).toBe(0);
  expect((await cli('new-project', P)).code).toBe(0);
  token = (await (await fetch(`${up.apiUrl}/api/v1/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) })).json() as { token: string }).token;

  // A second container host: its own Docker Engine and its host agent.
  engine2 = await startExtraDockerd({ index: 2, root: join(home, 'engine-2'), say: () => undefined });
  agent2 = spawn(process.execPath, ['--import', 'tsx', 'agents/host/main.ts', '--name', HOST2, '--socket', engine2.socketPath], {
    env: { ...process.env, PAAS_HOME: home, DYNAMODB_ENDPOINT: `http://127.0.0.1:${ports.dynamo}`, PAAS_REGISTRY_PORT: String(ports.registry), PAAS_HOST_LEASE_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  agent2.stdout!.on('data', (d) => (agent2Output += d));
  agent2.stderr!.on('data', (d) => (agent2Output += d));
  for (const deadline = Date.now() + 60_000; (await api('GET', `/api/v1/hosts/${HOST2}`)).body?.status?.ready !== true; await sleep(500)) {
    if (Date.now() > deadline) throw new Error(`host ${HOST2} did not become ready:\n${agent2Output}`);
  }
}, 900_000);

afterAll(async () => {
  agent2?.kill('SIGTERM');
  await engine2?.stop();
  await up?.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('deployments through npm run up', () => {
  it('new-app builds the app and runs it; scaled to 3 it spreads over both hosts', async () => {
    const made = await cli('new-app', `python~${writeApp(join(work, 'web'), '1')}`, '--name', 'web', '--follow');
    expect(made.code, made.stderr).toBe(0);
    await rolledOut('version 1\n', 1);
    const scaled = await cli('scale', 'dc/web', '--replicas', '3');
    expect(scaled.code, scaled.stderr).toBe(0);
    await rolledOut('version 1\n', 3);
    const hosts = new Set((await pods()).filter((p) => p.metadata.labels.deploymentconfig === 'web').map((p) => p.spec.host));
    expect([...hosts].sort()).toEqual(['local', HOST2].sort());
    const listed = await cli('get', 'pods');
    expect(listed.stdout).toMatch(/web-1-[a-z0-9]{5}\s+1\/1\s+Running/);
  }, 600_000);

  it('expose makes the app answer through the router by host name', async () => {
    const exposed = await cli('expose', 'svc/web');
    expect(exposed.code, exposed.stderr).toBe(0);
    const host = `web-${P}.apps.localhost`;
    await expect.poll(async () => (await viaRouter(host)).body, { timeout: 30_000, interval: 500 }).toBe('version 1\n');
    expect((await viaRouter(`nobody-${P}.apps.localhost`)).status).toBe(503);
  }, 120_000);

  it('a rolling update to a new image completes with zero failed requests', async () => {
    const client = clientLoop();
    await sleep(1000);
    await build('2');
    await rolledOut('version 2\n', 3);
    const tally = await client.stop();
    console.log(`rolling update: ${tally.ok} requests answered, ${tally.failed} failed`, tally.errors.slice(0, 5));
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.failed).toBe(0);
    expect((await dc()).status.details.cause).toBe('ImageChange');
  }, 600_000);

  it('a new image whose readiness never passes rolls back by itself', async () => {
    const d = await dc();
    const put = await api('PUT', `/api/v1/projects/${P}/deploymentconfigs/web`, {
      metadata: { name: 'web', resourceVersion: d.metadata.resourceVersion, labels: d.metadata.labels },
      spec: { ...d.spec, strategy: { type: 'Rolling', rollingParams: { timeoutSeconds: 30, maxSurge: '25%', maxUnavailable: '25%' } } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const before = (await dc()).status.latestVersion;
    await build('never-ready');
    await expect.poll(async () => (await get('replicationcontrollers', `web-${before + 1}`))?.status?.phase, { timeout: 180_000, interval: 1000 }).toBe('Failed');
    // The previous revision still serves, at full size.
    await expect
      .poll(async () => {
        const eps = (await get('services', 'web')).status?.endpoints ?? [];
        return (await Promise.all(eps.map((e: any) => fetch(`http://${e.ip}:${e.ports[0].hostPort}/`).then((r) => r.text(), () => 'down')))).sort();
      }, { timeout: 60_000, interval: 1000 })
      .toEqual(Array(3).fill('version 2\n'));
    const status = await cli('rollout', 'status', 'dc/web');
    expect(status.code).not.toBe(0);
  }, 600_000);

  it('rollout undo restores the previous image', async () => {
    // Undo to revision 1 (version 1), then check history names the rollback.
    const undo = await cli('rollout', 'undo', 'dc/web', '--to-revision', '1');
    expect(undo.code, undo.stderr).toBe(0);
    await rolledOut('version 1\n', 3);
    expect((await dc()).status.details.cause).toBe('Rollback');
    const history = await cli('rollout', 'history', 'dc/web');
    expect(history.stdout).toMatch(/Rollback/);
  }, 600_000);

  it('a host whose engine stops loses its pods to the remaining host within 30 seconds', async () => {
    const onHost2 = (await pods()).filter((p) => p.metadata.labels.deploymentconfig === 'web' && p.spec.host === HOST2 && !p.metadata.deletionTimestamp);
    expect(onHost2.length).toBeGreaterThan(0);
    const stoppedAt = Date.now();
    await engine2!.stop();
    engine2 = undefined;
    await rolledOut('version 1\n', 3, 30_000);
    const elapsed = (Date.now() - stoppedAt) / 1000;
    console.log(`pods of the lost host running elsewhere after ${elapsed.toFixed(1)} s`);
    const live = (await pods()).filter((p) => p.metadata.labels.deploymentconfig === 'web' && !p.metadata.deletionTimestamp);
    expect(live.filter((p) => p.status.phase === 'Running').every((p) => p.spec.host === 'local')).toBe(true);
    expect((await api('GET', `/api/v1/hosts/${HOST2}`)).body.status.ready).toBe(false);
  }, 120_000);
});
