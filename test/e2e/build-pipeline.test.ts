// The build pipeline as a user drives it, through the real `npm run up` (Docker Engine, the
// registry, DynamoDB Local, builder agents) and the real CLI: an uploaded directory and a git
// repository become images that run as a non-root UID and answer over HTTP; a signed GitHub
// push builds the pushed commit; cancel stops a running build; a killed agent leaves Error.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/harness.ts';
import { githubHeaders, githubPush } from '../builds/webhooks-fixtures.ts';
import { startUp, upPorts, type UpProcess } from '../support/up.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const home = mkdtempSync(join(tmpdir(), 'berth-e2e-'));
const work = mkdtempSync(join(tmpdir(), 'berth-e2e-src-'));
const ADMIN_PASSWORD = 'e2e-admin-password';
const P = 'e2e';
let up: UpProcess;
let registry: string;
let token: string;
const started: string[] = [];

const cli = (...argv: string[]) => runCli(argv, { BERTH_CONFIG: join(home, 'cli.json'), HOME: home });

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(up.apiUrl + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function build(name: string) {
  return (await api('GET', `/api/v1/projects/${P}/builds/${name}`)).body;
}

async function logOf(name: string): Promise<string> {
  return (await fetch(`${up.apiUrl}/api/v1/projects/${P}/builds/${name}/log`, { headers: { Authorization: `Bearer ${token}` } })).text();
}

async function waitForPhase(name: string, phases: string[], timeoutMs = 240_000) {
  let last: any;
  await expect
    .poll(async () => (last = await build(name))?.status?.phase, { timeout: timeoutMs, interval: 500 })
    .toSatisfy((p: string | undefined) => !!p && phases.includes(p));
  return last;
}

/** Runs an image as an arbitrary non-root UID with no capabilities, port 8080 on 127.0.0.1. */
async function serveImage(image: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image,
    User: '1000770000:0',
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Memory: 256 * 1024 * 1024 },
  });
  started.push(c.id);
  await c.start();
  const port = (await c.inspect()).NetworkSettings.Ports['8080/tcp']![0]!.HostPort;
  let text = '';
  await expect
    .poll(async () => (text = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '')), { timeout: 30_000, interval: 300 })
    .not.toBe('');
  return text;
}

function gitRepo(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=dev@example.com', '-c', 'user.name=Dev', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  if (files['.init'] === undefined) git('init', '-q', '-b', 'main');
  for (const [f, text] of Object.entries(files)) if (f !== '.init') writeFileSync(join(dir, f), text);
  git('add', '-A');
  git('commit', '-q', '-m', `change ${Object.keys(files).join(', ')}`);
  return git('rev-parse', 'HEAD');
}

function slowApp(dir: string): void {
  mkdirSync(join(dir, '.s2i', 'action_hooks'), { recursive: true });
  cpSync('test/fixtures/apps/app-py/app.py', join(dir, 'app.py'));
  writeFileSync(join(dir, '.s2i', 'action_hooks', 'build'), '#!/bin/bash\necho "slow build hook starts"\nsleep 120\n');
  chmodSync(join(dir, '.s2i', 'action_hooks', 'build'), 0o755);
}

beforeAll(async () => {
  up = await startUp(home, await upPorts(), { PAAS_BUILDER_VARIANT: 'test', BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, PAAS_ALLOW_LOCAL_GIT: '1' });
  registry = /registry on (\S+)/.exec(up.output())![1]!;
  expect((await cli('login', up.apiUrl, '--username', 'admin', '--password', ADMIN_PASSWORD)).code).toBe(0);
  expect((await cli('new-project', P)).code).toBe(0);
  token = (await api('POST', '/api/v1/login', { username: 'admin', password: ADMIN_PASSWORD })).body.token;
}, 900_000);

afterAll(async () => {
  for (const id of started) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  // A killed agent leaves its step container behind; remove this run's.
  for (const c of await docker.listContainers({ all: true })) if (c.Names.some((n) => n.startsWith(`/berth-s2i-${P}_`))) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  await up?.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('the build pipeline through npm run up', () => {
  it('new-app from a directory builds, pushes and the image answers as a non-root UID', async () => {
    const dir = join(work, 'hello');
    cpSync('test/fixtures/apps/app-py', dir, { recursive: true });
    const res = await cli('new-app', `python~${dir}`, '--name', 'hello', '--follow');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('---> Build complete');
    const b = await build('hello-1');
    expect(b.status).toMatchObject({ phase: 'Complete', outputDockerImageReference: `${registry}/${P}/hello:latest` });
    expect(b.status.output.to.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const is = (await api('GET', `/api/v1/projects/${P}/imagestreams/hello`)).body;
    expect(is.status.tags[0].items[0].image).toBe(b.status.output.to.imageDigest);
    expect(await serveImage(`${registry}/${P}/hello:latest`)).toBe('hello from app.py as uid 1000770000\n');
  }, 300_000);

  it('a git source builds on creation, and a signed GitHub push builds the pushed commit', async () => {
    const repo = join(work, 'gitapp');
    const first = gitRepo(repo, { 'wsgi.py': 'def application(e, s):\n    s("200 OK", [("Content-Type", "text/plain")])\n    return [b"version one\\n"]\n' });
    const made = await cli('new-app', `python~file://${repo}`, '--name', 'gitapp');
    expect(made.code, made.stderr).toBe(0);
    const one = await waitForPhase('gitapp-1', ['Complete', 'Failed', 'Error']);
    expect(one.status.phase).toBe('Complete');
    expect(one.status.revision.commit).toBe(first);

    const second = gitRepo(repo, { '.init': '', 'wsgi.py': 'def application(e, s):\n    s("200 OK", [("Content-Type", "text/plain")])\n    return [b"version two\\n"]\n' });
    const bc = (await api('GET', `/api/v1/projects/${P}/buildconfigs/gitapp`)).body;
    const secret = bc.spec.triggers.find((t: any) => t.type === 'GitHub').github.secret;
    const payload = JSON.stringify(githubPush('main', { sha: second, defaultBranch: 'main' }));
    const wrong = await fetch(`${up.apiUrl}/webhooks/${P}/gitapp/github/${secret}`, { method: 'POST', headers: githubHeaders('push', payload, 'not-the-secret'), body: payload });
    expect(wrong.status).toBe(403);
    const hook = await fetch(`${up.apiUrl}/webhooks/${P}/gitapp/github/${secret}`, { method: 'POST', headers: githubHeaders('push', payload, secret), body: payload });
    expect(hook.status).toBe(200);
    expect(((await hook.json()) as any).build).toBe('gitapp-2');
    const two = await waitForPhase('gitapp-2', ['Complete', 'Failed', 'Error']);
    expect(two.status.phase).toBe('Complete');
    expect(two.spec.revision.commit).toBe(second);
    expect(two.status.revision.commit).toBe(second);
    expect(await serveImage(`${registry}/${P}/gitapp:latest`)).toBe('version two\n');
  }, 400_000);

  it('cancel-build stops a running build', async () => {
    const dir = join(work, 'slow');
    slowApp(dir);
    expect((await cli('new-app', `python~${dir}`, '--name', 'slow')).code).toBe(0);
    await expect.poll(() => logOf('slow-1'), { timeout: 120_000, interval: 500 }).toContain('slow build hook starts');
    const running = await build('slow-1');
    expect(running.status.phase).toBe('Running');
    const res = await cli('cancel-build', 'slow-1');
    expect(res.code, res.stderr).toBe(0);
    const done = await waitForPhase('slow-1', ['Cancelled', 'Complete', 'Failed', 'Error'], 30_000);
    expect(done.status).toMatchObject({ phase: 'Cancelled', reason: 'CancelledBuild' });
    const pid = Number(running.status.agent.split(':')[1]);
    await expect.poll(() => { try { process.kill(pid, 0); return true; } catch { return false; } }, { timeout: 20_000 }).toBe(false);
  }, 300_000);

  it('a builder agent killed mid-build leaves the build in Error', async () => {
    const dir = join(work, 'slow');
    const res = await cli('start-build', 'slow', '--from-dir', dir);
    expect(res.code, res.stderr).toBe(0);
    await expect.poll(() => logOf('slow-2'), { timeout: 120_000, interval: 500 }).toContain('slow build hook starts');
    const running = await build('slow-2');
    const leftOf = async () => (await docker.listContainers({ all: true })).filter((c) => c.Names.some((n) => n.startsWith(`/berth-s2i-${P}_slow-2-`))).length;
    expect(await leftOf()).toBe(1); // the assemble step's container, named after its build
    process.kill(Number(running.status.agent.split(':')[1]), 'SIGKILL');
    const done = await waitForPhase('slow-2', ['Error', 'Complete', 'Failed', 'Cancelled'], 30_000);
    expect(done.status).toMatchObject({ phase: 'Error', reason: 'BuilderLost' });
    // The platform removes the step container the killed agent left behind.
    await expect.poll(leftOf, { timeout: 30_000, interval: 500 }).toBe(0);
  }, 300_000);
});
