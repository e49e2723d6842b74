// An application from a shipped template through the real `npm run up` (DynamoDB Local, Docker
// Engine, the registry, builder agents, the host agent, the router) and the real CLI, as a user
// drives it: one `berth new-app --template flask-psql-redis-celery -p …` builds the Flask app from
// a local git repository and runs it with PostgreSQL on a claim, Redis and a Celery worker.
// - the route answers `visits=N celery=5` (the visit stored in PostgreSQL, add(2, 3) computed by
//   the worker, sent and fetched through Redis), and the count goes up;
// - `berth port-forward` to the PostgreSQL pod and Debian's `psql` through it read the visits table
//   with the credentials new-app printed; a `view` member is refused the port-forward;
// - the database pod deleted, the count goes on once its successor is ready;
// - `npm run up` restarted, the count goes on.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/program.ts';
import { runCli } from '../cli/harness.ts';
import { startUp } from '../support/up.ts';
import { removeProject, startPlatform, until, viaRouter, type Platform } from './sample-app.ts';

const home = mkdtempSync(join(tmpdir(), 'berth-e2e-template-'));
const repo = mkdtempSync(join(tmpdir(), 'berth-e2e-template-src-'));
const P = 'counter';
const APP_DIR = 'templates/apps/flask-psql-redis-celery';
const ENV = { PAAS_BUILDER_VARIANT: 'test', PAAS_ALLOW_LOCAL_GIT: '1' };
let p: Platform;
let host = '';
let made = '';

const configOf = (user: string) => join(home, `${user}.json`);
const cli = (user: string, ...argv: string[]) => runCli(argv, { BERTH_CONFIG: configOf(user), HOME: home });

/** The app's answer through the router, once it is `visits=N celery=5`: N. */
async function visit(what: string): Promise<number> {
  try {
    const r = await until(what, () => viaRouter(p.ports.routerHttp, host), (x) => x.status === 200 && /^visits=\d+ celery=5\n$/.test(x.body), 300_000);
    return Number(/visits=(\d+)/.exec(r.body)![1]);
  } catch (err) {
    // What the pods were doing, and the platform's last words, to tell why.
    const pods = (await p.api('GET', `/api/v1/projects/${P}/pods`)).body?.items ?? [];
    const seen = pods.map((x: any) => `${x.metadata.name} ${x.status?.phase} ${JSON.stringify(x.status?.conditions ?? [])} ${x.status?.reason ?? ''} ${x.status?.message ?? ''}`).join('\n');
    // The app's own words (a 500's traceback is in the web pod's log, a lost broker in the worker's).
    const logs = await Promise.all(['dc/flask-psql', 'dc/flask-psql-worker'].map(async (dc) => `${dc}:\n${(await cli('dev', 'logs', dc, '-n', P, '--tail', '40')).stdout}`));
    throw new Error(`${(err as Error).message}\npods:\n${seen}\n${logs.join('\n')}\nplatform:\n${p.up.output().slice(-4000)}`);
  }
}

const readyPods = async (dc: string): Promise<string[]> =>
  ((await p.api('GET', `/api/v1/projects/${P}/pods?labelSelector=${encodeURIComponent(`name=${dc}`)}`)).body?.items ?? [])
    .filter((x: any) => x.status?.phase === 'Running' && !x.metadata.deletionTimestamp && x.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
    .map((x: any) => x.metadata.name as string);

/** Runs `berth port-forward` in this process until `use` is done with the local port. */
async function portForward<T>(user: string, target: string, remote: number, use: (port: number) => Promise<T>): Promise<T> {
  let out = '';
  let err = '';
  const abort = new AbortController();
  const done = run(['port-forward', target, `:${remote}`, '-n', P], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { BERTH_CONFIG: configOf(user), HOME: home }, signal: abort.signal });
  try {
    for (let i = 0; i < 300 && !new RegExp(`127\\.0\\.0\\.1:\\d+ -> ${remote}`).test(out); i++) await sleep(50);
    const port = Number(new RegExp(`127\\.0\\.0\\.1:(\\d+) -> ${remote}`).exec(out)?.[1]);
    expect(port, err).toBeGreaterThan(0);
    return await use(port);
  } finally {
    abort.abort();
    expect(await done).toBe(0);
  }
}

beforeAll(async () => {
  // The sample app, committed to a git repository at the same place as in Berth's own.
  cpSync(APP_DIR, join(repo, APP_DIR), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=dev@example.com', '-c', 'user.name=Dev', ...args], { cwd: repo });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'the sample app');

  p = await startPlatform(home, ENV);
  for (const user of ['dev', 'viewer']) {
    expect((await p.api('POST', '/api/v1/users', { name: user, password: `${user}-password-1` })).status).toBe(201);
    expect((await cli(user, 'login', p.up.apiUrl, '-u', user, '-p', `${user}-password-1`)).code).toBe(0);
  }
  expect((await cli('dev', 'new-project', P)).code).toBe(0);
  expect((await cli('dev', 'adm', 'policy', 'add-role-to-user', 'view', 'viewer', '-n', P)).code).toBe(0);
}, 600_000);

afterAll(async () => {
  if (p) {
    await removeProject(p, P).catch(() => undefined);
    await p.up.stop();
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(repo, { recursive: true, force: true });
}, 180_000);

describe('flask-psql-redis-celery from one new-app command', () => {
  it('new-app --template makes everything, prints the generated credentials, and the route counts visits with a Celery result', async () => {
    const r = await cli('dev', 'new-app', '--template', 'flask-psql-redis-celery', '-n', P,
      '-p', `SOURCE_REPOSITORY_URL=file://${repo}`, '-p', `CONTEXT_DIR=${APP_DIR}`, '-p', 'DATABASE_VOLUME_CAPACITY=256Mi', '-p', 'REDIS_VOLUME_CAPACITY=64Mi');
    expect(r.code, r.stderr).toBe(0);
    made = r.stdout;
    expect(made).toContain('--> Deploying template "flask-psql-redis-celery" to project counter');
    expect(made).toMatch(/\* DATABASE_PASSWORD=[a-zA-Z0-9]{16} \(generated\)/);
    expect(made).toContain('--> Success');
    const route = await until('the route got no host', () => p.api('GET', `/api/v1/projects/${P}/routes/flask-psql`), (x) => Boolean(x.body?.spec?.host));
    host = `${route.body.spec.host}:${p.ports.routerHttp}`;
    const first = await visit('the app did not answer with a visit count and a Celery result');
    const second = await visit('the second visit');
    expect(second).toBe(first + 1);
    // Each piece runs in a pod of its own: web, worker, PostgreSQL, Redis.
    const pods = await Promise.all(['flask-psql', 'flask-psql-worker', 'postgresql', 'redis'].map(readyPods));
    expect(pods.map((x) => x.length)).toEqual([1, 1, 1, 1]);
  }, 600_000);

  it('port-forward to the PostgreSQL pod lets psql read the visits table with the credentials new-app printed', async () => {
    const user = /\* DATABASE_USER=(\S+)/.exec(made)![1]!;
    const password = /\* DATABASE_PASSWORD=(\S+)/.exec(made)![1]!;
    const counted = await visit('a visit before psql');
    // Asynchronously: the port-forward runs in this process.
    const rows = await portForward('dev', 'dc/postgresql', 5432, async (port) =>
      (await promisify(execFile)('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'visits', '-tAc', 'SELECT count(*) FROM visits'], { env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' }, encoding: 'utf8' })).stdout);
    expect(Number(rows.trim())).toBe(counted);
  }, 120_000);

  it('a view member is refused the port-forward', async () => {
    const r = await cli('viewer', 'port-forward', 'dc/postgresql', ':5432', '-n', P);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot create objects');
  });

  it('the database pod deleted, the count goes on once its successor is ready', async () => {
    const before = await visit('a visit before the database pod goes');
    const [old] = await readyPods('postgresql');
    const deleted = await cli('dev', 'delete', `pod/${old}`, '-n', P);
    expect(deleted.code, deleted.stderr).toBe(0);
    await until('no new PostgreSQL pod became ready', () => readyPods('postgresql'), (x) => x.length === 1 && x[0] !== old, 180_000);
    expect(await visit('a visit after the database pod was replaced')).toBe(before + 1);
  }, 300_000);

  it('after a restart of npm run up, the count goes on', async () => {
    const before = await visit('a visit before the restart');
    expect(await p.up.stop()).toBe(0);
    p.up = await startUp(home, p.ports, { BERTH_ADMIN_PASSWORD: 'idle-admin-password', PAAS_HOST_LEASE_MS: '500', ...ENV });
    expect(await visit('a visit after the restart')).toBe(before + 1);
  }, 600_000);
});
