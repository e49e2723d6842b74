// The database and cache images of the shared `openshift` project against Docker Engine, run as
// OpenShift runs them: an arbitrary UID that /etc/passwd does not know, in group 0, with the data
// directory mounted from the host (as a volume would be). Each is configured by the sclorg
// variables, reached from a second container of the same image with the client it carries, keeps
// its data over a restart on the same directory (with the passwords of the new environment), and
// answers check-container only when it serves.
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceImage, SERVICE_IMAGES, type ServiceImage } from '../../images/build.ts';
import { docker } from '../builds/support.ts';

const suffix = randomBytes(4).toString('hex');
const network = `berth-service-images-${suffix}`;
const containers: Docker.Container[] = [];
const dirs: string[] = [];
const images = {} as Record<ServiceImage, string>;

beforeAll(async () => {
  for (const name of Object.keys(SERVICE_IMAGES) as ServiceImage[]) {
    images[name] = await ensureServiceImage(docker, name, (line) => {
      if (/^(mmdebstrap|made |Built )/.test(line)) console.log(`[${name} image] ${line}`);
    });
  }
  await docker.createNetwork({ Name: network, Labels: { 'berth.test': 'service-images' } });
}, 30 * 60_000);

afterAll(async () => {
  for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
  await docker.getNetwork(network).remove().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A UID no /etc/passwd knows, as a project's range gives one. */
const arbitraryUid = () => String(1_000_000_000 + randomInt(1_000_000));

/** A host directory group 0 may write, as a volume gives the project's UID. */
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-service-data-'));
  chmodSync(d, 0o770);
  dirs.push(d);
  return d;
}

async function start(image: string, o: { name: string; user: string; env?: string[]; mount?: { from: string; at: string }; cmd?: string[] }): Promise<Docker.Container> {
  const c = await docker.createContainer({
    Image: image,
    name: o.name,
    User: `${o.user}:0`,
    Env: o.env ?? [],
    Cmd: o.cmd,
    HostConfig: { NetworkMode: network, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], Binds: o.mount ? [`${o.mount.from}:${o.mount.at}`] : [] },
  });
  containers.push(c);
  await c.start();
  return c;
}

async function exec(c: Docker.Container, cmd: string[], env: string[] = []): Promise<{ code: number; output: string }> {
  const e = await c.exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (d: Buffer) => chunks.push(d));
  docker.modem.demuxStream(stream, out, out);
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await e.inspect();
  return { code: ExitCode ?? -1, output: Buffer.concat(chunks).toString() };
}

async function logs(c: Docker.Container): Promise<string> {
  return (await c.logs({ stdout: true, stderr: true, follow: false })).toString();
}

/** Waits until check-container passes; fails with the server's log if it stops or never passes. */
async function waitReady(c: Docker.Container, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = (await c.inspect()).State;
    if (!state.Running) throw new Error(`the server stopped (exit ${state.ExitCode}):\n${await logs(c)}`);
    if ((await exec(c, ['/usr/libexec/check-container'])).code === 0) return;
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms:\n${await logs(c)}`);
    await sleep(500);
  }
}

/** Waits for a container to exit; returns its exit code and log. */
async function exited(c: Docker.Container): Promise<{ code: number; log: string }> {
  const { StatusCode } = (await c.wait()) as { StatusCode: number };
  return { code: StatusCode, log: await logs(c) };
}

interface Case {
  image: ServiceImage;
  mountAt: string;
  /** First start's environment; the restart's replaces the passwords. */
  env: string[];
  restartEnv: string[];
  /** Client commands run in the second container (`server` is the server's name). */
  write: (server: string) => { cmd: string[]; env: string[] };
  read: (server: string, env: 'first' | 'restart') => { cmd: string[]; env: string[] };
  /** The same read with a wrong password, which must be refused. */
  readWrongPassword: (server: string) => { cmd: string[]; env: string[] };
  missingEnvMessage: RegExp;
}

const cases: Case[] = [
  {
    image: 'postgresql',
    mountAt: '/var/lib/pgsql/data',
    env: ['POSTGRESQL_USER=shop', 'POSTGRESQL_PASSWORD=first-pw', 'POSTGRESQL_DATABASE=shopdb', 'POSTGRESQL_ADMIN_PASSWORD=admin-pw'],
    restartEnv: ['POSTGRESQL_USER=shop', 'POSTGRESQL_PASSWORD=second-pw', 'POSTGRESQL_DATABASE=shopdb', 'POSTGRESQL_ADMIN_PASSWORD=admin-pw'],
    write: (s) => ({ cmd: ['psql', '-h', s, '-U', 'shop', '-d', 'shopdb', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE TABLE visits (n int); INSERT INTO visits VALUES (41);'], env: ['PGPASSWORD=first-pw'] }),
    read: (s, when) => ({ cmd: ['psql', '-h', s, '-U', 'shop', '-d', 'shopdb', '-tAc', 'SELECT n + 1 FROM visits'], env: [`PGPASSWORD=${when === 'first' ? 'first' : 'second'}-pw`] }),
    readWrongPassword: (s) => ({ cmd: ['psql', '-h', s, '-U', 'shop', '-d', 'shopdb', '-tAc', 'SELECT n + 1 FROM visits'], env: ['PGPASSWORD=wrong'] }),
    missingEnvMessage: /POSTGRESQL_USER, POSTGRESQL_PASSWORD, POSTGRESQL_DATABASE/,
  },
  {
    image: 'redis',
    mountAt: '/var/lib/redis/data',
    env: ['REDIS_PASSWORD=first-pw'],
    restartEnv: ['REDIS_PASSWORD=second-pw'],
    // -e: an error reply (a refused password) is a failed command.
    write: (s) => ({ cmd: ['sh', '-c', `redis-cli -e -h ${s} SET visits 41 && redis-cli -e -h ${s} INCR visits`], env: ['REDISCLI_AUTH=first-pw'] }),
    read: (s, when) => ({ cmd: ['redis-cli', '-e', '-h', s, 'GET', 'visits'], env: [`REDISCLI_AUTH=${when === 'first' ? 'first' : 'second'}-pw`] }),
    readWrongPassword: (s) => ({ cmd: ['redis-cli', '-e', '-h', s, 'GET', 'visits'], env: ['REDISCLI_AUTH=wrong'] }),
    missingEnvMessage: /REDIS_PASSWORD may hold only/,
  },
  {
    image: 'mariadb',
    mountAt: '/var/lib/mysql/data',
    env: ['MYSQL_USER=shop', 'MYSQL_PASSWORD=first-pw', 'MYSQL_DATABASE=shopdb', 'MYSQL_ROOT_PASSWORD=root-pw'],
    restartEnv: ['MYSQL_USER=shop', 'MYSQL_PASSWORD=second-pw', 'MYSQL_DATABASE=shopdb', 'MYSQL_ROOT_PASSWORD=root-pw'],
    write: (s) => ({ cmd: ['mariadb', '-h', s, '-u', 'shop', 'shopdb', '-e', 'CREATE TABLE visits (n int); INSERT INTO visits VALUES (41);'], env: ['MYSQL_PWD=first-pw'] }),
    read: (s, when) => ({ cmd: ['mariadb', '-h', s, '-u', 'shop', 'shopdb', '-N', '-B', '-e', 'SELECT n + 1 FROM visits'], env: [`MYSQL_PWD=${when === 'first' ? 'first' : 'second'}-pw`] }),
    readWrongPassword: (s) => ({ cmd: ['mariadb', '-h', s, '-u', 'shop', 'shopdb', '-N', '-B', '-e', 'SELECT n + 1 FROM visits'], env: ['MYSQL_PWD=wrong'] }),
    missingEnvMessage: /MYSQL_USER and MYSQL_PASSWORD/,
  },
];

describe.each(cases)('the $image image', (t) => {
  it('serves a client of another container as an arbitrary UID, keeps its data over a restart, and checks readiness', async () => {
    const image = images[t.image];
    const data = dataDir();
    const uid = arbitraryUid();
    const server = `${t.image}-${suffix}`;
    const client = await start(image, { name: `${t.image}-client-${suffix}`, user: arbitraryUid(), cmd: ['sleep', 'infinity'] });
    // No server in the client's container: its readiness check fails.
    expect((await exec(client, ['/usr/libexec/check-container'])).code).not.toBe(0);

    const first = await start(image, { name: server, user: uid, env: t.env, mount: { from: data, at: t.mountAt } });
    await waitReady(first);
    expect((await exec(first, ['/usr/libexec/check-container', '--live'])).code).toBe(0);
    const w = t.write(server);
    const written = await exec(client, w.cmd, w.env);
    expect(written.code, written.output).toBe(0);
    let r = t.read(server, 'first');
    expect((await exec(client, r.cmd, r.env)).output.trim()).toBe('42');
    const wrong = t.readWrongPassword(server);
    expect((await exec(client, wrong.cmd, wrong.env)).code).not.toBe(0);

    // A new container on the same data directory: the data stays, nothing is initialised again,
    // and the passwords are the new environment's.
    await first.stop({ t: 30 });
    await first.remove();
    const second = await start(image, { name: server, user: uid, env: t.restartEnv, mount: { from: data, at: t.mountAt } });
    await waitReady(second);
    r = t.read(server, 'restart');
    const after = await exec(client, r.cmd, r.env);
    expect(after.output.trim(), after.output).toBe('42');
    expect(await logs(second)).not.toMatch(/Initializing/);
    r = t.read(server, 'first');
    expect((await exec(client, r.cmd, r.env)).code).not.toBe(0);
  }, 300_000);

  it('refuses to start with a configuration the sclorg image refuses, naming the variables', async () => {
    const env = t.image === 'redis' ? ['REDIS_PASSWORD=has space'] : [`${t.env[0]}`];
    const c = await start(images[t.image], { name: `${t.image}-bad-${suffix}`, user: arbitraryUid(), env, mount: { from: dataDir(), at: t.mountAt } });
    const { code, log } = await exited(c);
    expect(code).toBe(1);
    expect(log).toMatch(t.missingEnvMessage);
  }, 60_000);
});

describe('image metadata', () => {
  it.each(Object.entries(SERVICE_IMAGES))('%s runs as a non-root numeric user, exposes its port and carries the recipe hash', async (name, spec) => {
    const { Config } = await docker.getImage(images[name as ServiceImage]).inspect();
    expect(Config.User).toMatch(/^[1-9][0-9]*$/);
    expect(Object.keys(Config.ExposedPorts ?? {})).toEqual([`${spec.port}/tcp`]);
    expect(Config.Labels?.['io.berth.recipe-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(Config.Labels?.['io.openshift.expose-services']).toMatch(new RegExp(`^${spec.port}:`));
  });
});
