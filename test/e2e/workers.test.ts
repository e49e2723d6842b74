// Workers through the real `npm run up`: a DeploymentConfig with no ports and no Service (a
// queue worker; here the Redis image, a long-running process nothing connects to) runs, comes
// back when its process is killed, scales and rolls out like a web app's, with the real CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceImage } from '../../images/build.ts';
import { docker } from '../builds/support.ts';
import { runCli } from '../cli/harness.ts';
import { startUp, upPorts, type UpProcess } from '../support/up.ts';

const home = mkdtempSync(join(tmpdir(), 'berth-e2e-workers-'));
const ADMIN_PASSWORD = 'e2e-admin-password';
const P = 'workers';
let up: UpProcess;
let token: string;
const cli = (...argv: string[]) => runCli(argv, { BERTH_CONFIG: join(home, 'cli.json'), HOME: home });

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${up.apiUrl}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

interface PodView {
  metadata: { name: string };
  status: { phase?: string; restartCount?: number; conditions?: { type: string; status: string }[] };
}
const running = async (): Promise<PodView[]> =>
  ((await api('GET', `/api/v1/projects/${P}/pods`)).body.items as PodView[]).filter((p) => p.status.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/** Waits until `check` holds of the running pods; fails with the pods seen last. */
async function until(what: string, check: (pods: PodView[]) => boolean, timeoutMs = 120_000): Promise<PodView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await running();
    if (check(pods)) return pods;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms; running: ${JSON.stringify(pods.map((p) => p.metadata.name))}\n${up.output().slice(-3000)}`);
    await sleep(500);
  }
}

beforeAll(async () => {
  const image = await ensureServiceImage(docker, 'redis', () => undefined);
  up = await startUp(home, await upPorts(), { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD });
  expect((await cli('login', up.apiUrl, '--username', 'admin', '--password', ADMIN_PASSWORD)).code).toBe(0);
  expect((await cli('new-project', P)).code).toBe(0);
  token = (await (await fetch(`${up.apiUrl}/api/v1/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) })).json() as { token: string }).token;
  const made = await api('POST', `/api/v1/projects/${P}/deploymentconfigs`, {
    metadata: { name: 'worker' },
    spec: {
      replicas: 1,
      selector: { app: 'worker' },
      template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [{ name: 'worker', image, env: [{ name: 'REDIS_PASSWORD', value: 'pw' }] }] } },
      triggers: [{ type: 'ConfigChange' }],
    },
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
}, 900_000);

afterAll(async () => {
  await up?.stop();
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('a worker DeploymentConfig (no ports, no Service)', () => {
  it('runs its pod', async () => {
    const pods = await until('one worker pod', (p) => p.length === 1 && p[0]!.metadata.name.startsWith('worker-1-'));
    expect((await api('GET', `/api/v1/projects/${P}/services`)).body.items).toEqual([]);
    expect(pods).toHaveLength(1);
  });

  it('scales to 2', async () => {
    expect((await cli('scale', 'dc/worker', '--replicas', '2', '-n', P)).code).toBe(0);
    await until('two worker pods', (p) => p.length === 2);
  });

  it('rolls out a new revision, replacing both pods', async () => {
    const latest = await cli('rollout', 'latest', 'dc/worker', '-n', P);
    expect(latest.code, latest.stderr).toBe(0);
    const status = await cli('rollout', 'status', 'dc/worker', '-n', P);
    expect(status.stdout).toContain('"worker-2" successfully rolled out');
    await until('two revision-2 pods and no other', (p) => p.length === 2 && p.every((x) => x.metadata.name.startsWith('worker-2-')));
  });

  it('a killed worker process comes back in the same pod', async () => {
    const [victim] = await running();
    const container = (await docker.listContainers()).find((c) => c.Names.some((n) => n.endsWith(`_${victim!.metadata.name}`)));
    expect(container, `no container for ${victim!.metadata.name}`).toBeDefined();
    await docker.getContainer(container!.Id).kill();
    await until('the killed pod restarted', (p) => p.some((x) => x.metadata.name === victim!.metadata.name && (x.status.restartCount ?? 0) >= 1));
  });
});
