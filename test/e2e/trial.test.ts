// A whole trial through the real `npm run up` (DynamoDB Local, Docker Engine, the builder, the
// registry, HAProxy) and the real CLI: a stranger signs up, builds and deploys an app, exposes it
// and is served; ten replicas are refused by the trial quota; the quiet app is idled and a request
// wakes it; the trial ends (`adm trial expire`, the clock moved to the end); afterwards nothing of
// the tenant is left — no item in the table but its audit trail, no container, no repository in the
// registry, no route in HAProxy — and another tenant's app still answers.
import { RegistryHttp } from '../../shared/registry/http.ts';
import { PLATFORM_REGISTRY_USER, platformRegistryPassword } from '../../shared/local/registry-auth.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SOCKET } from '../../shared/routing/render.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { runCli } from '../cli/harness.ts';
import { snapshot, type TestTable } from '../support/dynamo.ts';
import { deploySample, removeProject, sampleImage, startPlatform, until, viaRouter, type Platform } from './sample-app.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const home = mkdtempSync(join(tmpdir(), 'berth-e2e-trial-'));
const work = mkdtempSync(join(tmpdir(), 'berth-e2e-trial-src-'));
const TENANT = 'tina';
const BYSTANDER = 'bystander';
let p: Platform;
let image: string;
let bystanderHost: string;

const tina = (...argv: string[]) => runCli(argv, { BERTH_CONFIG: join(home, 'tina.json'), HOME: home });

/** What HAProxy holds right now, through its Runtime API: every map's entries. */
async function haproxyMaps(): Promise<string> {
  const ask = (command: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = createConnection(join(home, 'router', ADMIN_SOCKET));
      let out = '';
      socket.on('data', (d) => (out += d));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.end(`${command}\n`);
    });
  const ids = [...(await ask('show map')).matchAll(/^(-?\d+) /gm)].map((m) => m[1]);
  expect(ids.length).toBeGreaterThan(0);
  return (await Promise.all(ids.map((id) => ask(`show map #${id}`)))).join('');
}

beforeAll(async () => {
  image = await sampleImage(docker);
  // Trial projects' quiet DCs idle after 4 s; the router reports requests every half second.
  p = await startPlatform(home, { PAAS_BUILDER_VARIANT: 'test', PAAS_IDLE_AFTER_S: '4', PAAS_IDLE_REPORT_MS: '500' });
  bystanderHost = await deploySample(p, BYSTANDER, 'web', image);
}, 900_000);

afterAll(async () => {
  if (p) await removeProject(p, BYSTANDER).catch(() => undefined);
  await p?.up.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('a whole trial through npm run up', () => {
  it('sign-up, build, deploy, expose, served; quota refuses 10 replicas; idled and woken; expired leaving nothing; the other tenant still answers', async () => {
    const signup = await tina('signup', p.up.apiUrl, '--username', TENANT, '--password', 'tina-trial-password');
    expect(signup.code, signup.stderr).toBe(0);

    const dir = join(work, 'shop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'wsgi.py'), 'def application(e, s):\n    s("200 OK", [("Content-Type", "text/plain")])\n    return [b"trial shop\\n"]\n');
    const made = await tina('new-app', `python~${dir}`, '--name', 'shop', '--follow');
    expect(made.code, made.stderr + made.stdout).toBe(0);
    const exposed = await tina('expose', 'svc/shop');
    expect(exposed.code, exposed.stderr).toBe(0);
    const route = await until('the route got no host', () => p.api('GET', `/api/v1/projects/${TENANT}/routes/shop`), (r) => Boolean(r.body?.spec?.host));
    const host = `${route.body.spec.host}:${p.ports.routerHttp}`;
    const served = await until('the trial app did not answer through the router', () => viaRouter(p.ports.routerHttp, host), (r) => r.status === 200, 240_000);
    expect(served.body).toBe('trial shop\n');

    // The trial plan allows 4 pods.
    const scaled = await tina('scale', 'dc/shop', '--replicas', '10');
    expect(scaled.code).not.toBe(0);
    expect(scaled.stderr).toMatch(/quota/i);
    // Its one replica is kept: still running, or (quiet for 4 s on a slow machine) idled and remembering it.
    const kept = (await p.api('GET', `/api/v1/projects/${TENANT}/deploymentconfigs/shop`)).body;
    expect(kept.spec.replicas === 1 || (kept.spec.replicas === 0 && kept.metadata.annotations?.['idling.berth.io/previous-replicas'] === '1')).toBe(true);

    // Quiet for 4 s, the trial's DC is idled; a request through the route wakes it and is answered.
    await until('the trial app was not idled', () => p.api('GET', `/api/v1/projects/${TENANT}/deploymentconfigs/shop`), (r) => r.body?.metadata?.annotations?.['idling.berth.io/idled-at'] !== undefined, 120_000);
    await until('the idled app kept pods', () => p.api('GET', `/api/v1/projects/${TENANT}/pods`), (r) => r.status === 200 && !r.body.items.some((x: any) => !x.metadata.name.includes('build') && x.status?.phase === 'Running'));
    const woken = await viaRouter(p.ports.routerHttp, host);
    expect(woken).toEqual({ status: 200, body: 'trial shop\n' });

    // The trial ends.
    const expired = await p.api('POST', `/api/v1/trials/${TENANT}/expire`);
    expect(expired.status, JSON.stringify(expired.body)).toBeLessThan(300);
    await until('the trial user was not removed', () => p.api('GET', `/api/v1/users/${TENANT}`), (r) => r.status === 404, 240_000);
    expect((await p.api('GET', `/api/v1/projects/${TENANT}`)).status).toBe(404);
    expect((await tina('whoami')).code).not.toBe(0);

    // Nothing of the tenant is left but its audit trail.
    const table = { client: createDynamoClient({ endpoint: `http://127.0.0.1:${p.ports.dynamo}` }), tableName: 'berth' } as TestTable;
    const naming = (await snapshot(table)).filter((row) => new RegExp(`\\b${TENANT}\\b`).test(row));
    expect(naming.length).toBeGreaterThan(0);
    expect(naming.filter((row) => !row.includes('"pk":{"S":"C#AuditEvent"}'))).toEqual([]);
    const containers = await docker.listContainers({ all: true, filters: { label: [`berth.io/project=${TENANT}`] } });
    expect(containers.map((c) => c.Names)).toEqual([]);
    // Nor its pod network (kept while its app was idled): the host agent's next pass removes it.
    const networks = await until("the tenant's network stayed", () => docker.listNetworks({ filters: { label: [`berth.io/project=${TENANT}`] } }), (n) => n.length === 0, 10_000);
    expect(networks).toEqual([]);
    // The registry collects the deleted repositories' blobs soon after the deletion (and is stopped while it does).
    // The registry wants a token: the platform's own login reads the catalog.
    const platform = new RegistryHttp({ username: PLATFORM_REGISTRY_USER, password: platformRegistryPassword(home)! });
    const catalog = () => platform.fetch(`http://127.0.0.1:${p.ports.registry}/v2/_catalog`).then((r) => r.json() as Promise<{ repositories: string[] }>, () => undefined);
    await until('the tenant\'s repositories stayed in the registry', catalog, (c) => c !== undefined && !c.repositories.some((r) => r.startsWith(`${TENANT}/`)), 120_000);
    expect(await haproxyMaps()).not.toContain(route.body.spec.host);
    expect((await viaRouter(p.ports.routerHttp, host)).status).toBe(503);

    // The other tenant's app still answers.
    expect((await viaRouter(p.ports.routerHttp, bystanderHost)).status).toBe(200);
  }, 900_000);
});
