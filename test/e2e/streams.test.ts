// Into the running app through the real `npm run up` (DynamoDB Local, Docker Engine, the registry,
// the host agent, the scheduler), with the real CLI, as a user drives it:
// - rsh through a pseudo-terminal (util-linux `script`): `echo $APP_ROOT` typed, its output read, `exit`;
// - exec returns the remote exit code;
// - run: a Django `migrate` in a one-off pod of the app's deploymentconfig (the test builder image
//   has Django: a project made with django-admin in the pod, then migrated), its output followed,
//   its exit code berth's, the pod removed; `--detach` leaves one running;
// - port-forward reaches the pod's HTTP port with a client;
// - a `view` member is refused each of these, and another project's pod cannot be named.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/program.ts';
import { runCli } from '../cli/harness.ts';
import { deploySample, removeProject, sampleImage, startPlatform, until, type Platform } from './sample-app.ts';

const home = mkdtempSync(join(tmpdir(), 'berth-e2e-streams-'));
const P = 'streams';
const OTHER = 'elsewhere';
let p: Platform;
let image = '';

const configOf = (user: string) => join(home, `${user}.json`);
const cli = (user: string, ...argv: string[]) => runCli(argv, { BERTH_CONFIG: configOf(user), HOME: home });
const runningPods = async (project: string, selector: string) =>
  ((await p.api('GET', `/api/v1/projects/${project}/pods?labelSelector=${encodeURIComponent(selector)}`)).body.items as any[]).filter((x) => x.status?.phase === 'Running' && !x.metadata.deletionTimestamp);

beforeAll(async () => {
  p = await startPlatform(home);
  image = await sampleImage(new Docker({ socketPath: '/var/run/docker.sock' }));
  await deploySample(p, P, 'web', image);
  for (const user of ['dev', 'viewer', 'mallory']) {
    expect((await p.api('POST', '/api/v1/users', { name: user, password: `${user}-password-1` })).status).toBe(201);
    expect((await cli(user, 'login', p.up.apiUrl, '-u', user, '-p', `${user}-password-1`)).code).toBe(0);
  }
  expect((await cli('admin', 'login', p.up.apiUrl, '-u', 'admin', '-p', 'idle-admin-password')).code).toBe(0);
  expect((await cli('admin', 'adm', 'policy', 'add-role-to-user', 'edit', 'dev', '-n', P)).code).toBe(0);
  expect((await cli('admin', 'adm', 'policy', 'add-role-to-user', 'view', 'viewer', '-n', P)).code).toBe(0);
  expect((await cli('mallory', 'new-project', OTHER)).code).toBe(0);
}, 600_000);

afterAll(async () => {
  if (p) {
    await removeProject(p, P).catch(() => undefined);
    await removeProject(p, OTHER).catch(() => undefined);
    await p.up.stop();
  }
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('into the running app', () => {
  it("rsh gives a shell in the app's environment through a terminal: a typed command's output comes back, exit ends it", async () => {
    const env = { ...process.env, BERTH_CONFIG: configOf('dev'), HOME: home };
    const child = spawn('script', ['-qfec', `node bin/berth.js rsh dc/web -n ${P}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const seen = async (what: RegExp) => {
      for (let i = 0; i < 600 && !what.test(out); i++) await sleep(100);
      expect(out).toMatch(what);
    };
    await seen(/\$ $/m);
    child.stdin.write('echo "root=$APP_ROOT"\r');
    await seen(/root=\/opt\/app-root\r*\n/);
    child.stdin.write('exit\r');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  }, 120_000);

  it('exec returns the remote exit code, stdout and stderr apart', async () => {
    const r = await cli('dev', 'exec', 'dc/web', '-n', P, '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 42');
    expect(r).toMatchObject({ code: 42, stdout: 'to-out\n', stderr: 'to-err\n' });
  });

  it('run migrates a Django project in a one-off pod of the app, follows its output, returns its exit code and removes the pod', async () => {
    const migrate = 'cd /tmp && django-admin startproject shop && cd shop && python3 manage.py migrate --noinput';
    const r = await cli('dev', 'run', 'dc/web', '-n', P, '--', 'sh', '-c', migrate);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Applying auth.0001_initial... OK');
    const failed = await cli('dev', 'run', 'dc/web', '-n', P, '--', 'sh', '-c', 'echo about-to-fail; exit 3');
    expect(failed).toMatchObject({ code: 3, stdout: 'about-to-fail\n' });
    // Both one-off pods go; the app's pod stays, and the Service never listed them.
    await until('the one-off pods were not removed', () => p.api('GET', `/api/v1/projects/${P}/pods?labelSelector=berth.io%2Frun-of%3Dweb`), (x) => x.body.items.length === 0);
    expect(await runningPods(P, 'app=web')).toHaveLength(1);
  }, 180_000);

  it('run --detach leaves the pod running and prints its name', async () => {
    const r = await cli('dev', 'run', 'dc/web', '--detach', '-n', P, '--', 'sleep', '300');
    expect(r.code).toBe(0);
    const name = r.stdout.trim();
    expect(name).toMatch(/^web-run-[a-z0-9]{5}$/);
    await until(`${name} did not start`, () => p.api('GET', `/api/v1/projects/${P}/pods/${name}`), (x) => x.body.status?.phase === 'Running');
    expect((await cli('dev', 'exec', name, '-n', P, '--', 'true')).code).toBe(0);
    const deleted = await cli('dev', 'delete', `pod/${name}`, '-n', P);
    expect(deleted.code, deleted.stderr).toBe(0);
  });

  it("port-forward reaches the pod's port with an HTTP client", async () => {
    let out = '';
    let err = '';
    const abort = new AbortController();
    const done = run(['port-forward', 'dc/web', ':8080', '-n', P], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { BERTH_CONFIG: configOf('dev'), HOME: home }, signal: abort.signal });
    try {
      for (let i = 0; i < 300 && !/127\.0\.0\.1:\d+/.test(out); i++) await sleep(50);
      const port = Number(/127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1]);
      expect(port, err).toBeGreaterThan(0);
      const answers = await Promise.all(Array.from({ length: 5 }, () => fetch(`http://127.0.0.1:${port}/`).then(async (res) => ({ status: res.status, body: await res.text() }))));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.body).toContain('Directory listing');
      }
    } finally {
      abort.abort();
      expect(await done).toBe(0);
    }
  });

  it.each([
    ['exec', ['exec', 'dc/web', '-n', P, '--', 'true']],
    ['rsh', ['rsh', 'dc/web', '-n', P, '--', 'true']],
    ['run', ['run', 'dc/web', '-n', P, '--', 'true']],
    ['port-forward', ['port-forward', 'dc/web', ':8080', '-n', P]],
  ])('a view member is refused %s', async (_, argv) => {
    const r = await cli('viewer', ...argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot create objects');
  });

  it("another project's pod cannot be named", async () => {
    const [pod] = await runningPods(P, 'app=web');
    for (const argv of [['exec', pod.metadata.name, '--', 'true'], ['port-forward', pod.metadata.name, ':8080'], ['run', 'dc/web', '--', 'true']]) {
      const r = await cli('mallory', ...argv.slice(0, 2), '-n', OTHER, ...argv.slice(2));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not found/);
    }
  });
});
