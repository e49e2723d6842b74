// Attack: one tenant's route stops every router. Mallory, a stranger who just signed up, writes
// routes whose annotations or certificates HAProxy refuses (a 30d timeout, a 1e21 rate, an
// allow-list address with a zone id, a certificate with a broken extra block, a key too weak for
// OpenSSL, a key of another certificate), hoping that every router keeps its old configuration
// for good and that a fresh router refuses to start, so Alice's routes can no longer change.
// First layer: the API refuses each value with a 422 naming the field. Second layer, proved by
// writing the routes around the API (straight into the table, as a value nobody foresaw would
// arrive): real HAProxy refuses Mallory's routes, the router leaves them out and marks them not
// admitted (HAProxyRejected, with HAProxy's words), and serves and changes Alice's routes; a
// fresh router starts and serves them too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouterAgent, type RouterAgent } from '../../agents/router/agent.ts';
import { freePort } from '../../shared/local/ports.ts';
import { routeAdmission } from '../../shared/routing/admission.ts';
import type { Route } from '../../shared/model/objects.ts';
import { selfSigned } from '../routing/certs.ts';
import { get, setService, startApp, stopApps, type App } from '../routing/support.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

const A = 'haproxy.router.openshift.io/';
let api: TestApi;
let alice: string;
let mallory: string;
let admission: ReturnType<typeof routeAdmission>;
let agent: RouterAgent;
let httpPort: number;
let httpsPort: number;
let routerDir: string;
const apps: App[] = [];

/** A self-signed certificate with an RSA key of `bits` (1024 is below OpenSSL's security level). */
function certWithKey(host: string, bits: number): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-weak-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-days', '2', '-subj', `/CN=${host}`, '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, 'c.pem'), 'utf8'), key: readFileSync(join(dir, 'k.pem'), 'utf8') };
}
/** A block that is base64 but no certificate: HAProxy refuses the file holding it. */
const BROKEN_BLOCK = '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n';

const routes = (project: string) => `/api/v1/projects/${project}/routes`;
const admitted = (r: Route | undefined) => r?.status?.ingress?.find((i) => i.routerName === 'berth')?.conditions.find((c) => c.type === 'Admitted');
const getRoute = (project: string, name: string) => api.store.get<Route>({ kind: 'Route', project, name });

/** Writes a route straight into the table (around the API's validation), then runs admission on it. */
async function writeAround(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): Promise<void> {
  const ref = { kind: 'Route', project: 'evil', name };
  const full = { to: { kind: 'Service', name: 'beta', weight: 100 }, alternateBackends: [], wildcardPolicy: 'None', ...spec } as unknown as Route['spec'];
  const old = await api.store.get<Route>(ref);
  if (old) await api.store.update({ ...old, metadata: { ...old.metadata, annotations }, spec: full });
  else await api.store.create({ kind: 'Route', metadata: { name, project: 'evil', annotations }, spec: full });
  await admission.reconcile(ref);
}

async function aliceRoute(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): Promise<void> {
  const res = await api.call('POST', routes('shop'), alice, { metadata: { name, annotations }, spec });
  expect(res.status).toBe(201);
  await admission.reconcile({ kind: 'Route', project: 'shop', name });
}

beforeAll(async () => {
  api = await testApi();
  alice = await api.user('alice');
  mallory = await api.user('mallory');
  expect((await api.call('POST', '/api/v1/projects', alice, { metadata: { name: 'shop' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', mallory, { metadata: { name: 'evil' } })).status).toBe(201);
  admission = routeAdmission({ store: api.store, domain: 'apps.localhost' });
  apps.push(await startApp('alpha'), await startApp('beta'));
  await setService(api.store, 'shop', 'web', [apps[0]!.port]);
  await setService(api.store, 'evil', 'beta', [apps[1]!.port]);
  await aliceRoute('web', { to: { name: 'web' } });
  httpPort = await freePort();
  httpsPort = await freePort();
  routerDir = mkdtempSync(join(tmpdir(), 'berth-router-'));
  agent = await startRouterAgent({ store: api.store, httpPort, httpsPort, domain: 'apps.localhost', dir: routerDir, pollMs: 200 });
  expect((await get(httpPort, 'web-shop.apps.localhost')).body).toBe('alpha');
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await stopApps(apps);
});

describe('a route HAProxy would refuse', () => {
  const cert = () => selfSigned('b.example.com');
  it.each([
    ['a 30d timeout', () => ({ annotations: { [`${A}timeout`]: '30d' }, spec: {} }), `metadata.annotations.${A}timeout`],
    ['a 1e21 request rate', () => ({ annotations: { [`${A}rate-limit-connections`]: 'true', [`${A}rate-limit-connections.rate-http`]: '1e21' }, spec: {} }), `metadata.annotations.${A}rate-limit-connections.rate-http`],
    ['a 1e21 connection count', () => ({ annotations: { [`${A}rate-limit-connections`]: 'true', [`${A}rate-limit-connections.concurrent-tcp`]: '1e21' }, spec: {} }), `metadata.annotations.${A}rate-limit-connections.concurrent-tcp`],
    ['an allow-list address with a zone id', () => ({ annotations: { [`${A}ip_whitelist`]: '10.0.0.1 fe80::1%eth0' }, spec: {} }), `metadata.annotations.${A}ip_whitelist`],
    ['a host name in the allow-list', () => ({ annotations: { [`${A}ip_whitelist`]: 'localhost' }, spec: {} }), `metadata.annotations.${A}ip_whitelist`],
    ['a certificate with a broken extra block', () => {
      const { cert: c, key } = cert();
      return { annotations: {}, spec: { host: 'b.example.com', tls: { termination: 'edge', certificate: c + BROKEN_BLOCK, key } } };
    }, 'spec.tls.certificate'],
    ['a certificate followed by text that is no PEM', () => {
      const { cert: c, key } = cert();
      return { annotations: {}, spec: { host: 'b.example.com', tls: { termination: 'edge', certificate: `${c}-----BEGIN CERTIFICATE-----\nnot base64!\n`, key } } };
    }, 'spec.tls.certificate'],
    ['a CA certificate with a broken block', () => {
      const { cert: c, key } = cert();
      return { annotations: {}, spec: { host: 'b.example.com', tls: { termination: 'edge', certificate: c, key, caCertificate: c + BROKEN_BLOCK } } };
    }, 'spec.tls.caCertificate'],
    ['a key with a second block', () => {
      const { cert: c, key } = cert();
      return { annotations: {}, spec: { host: 'b.example.com', tls: { termination: 'edge', certificate: c, key: key + BROKEN_BLOCK } } };
    }, 'spec.tls.key'],
    ['a 1024-bit RSA key', () => {
      const weak = certWithKey('b.example.com', 1024);
      return { annotations: {}, spec: { host: 'b.example.com', tls: { termination: 'edge', certificate: weak.cert, key: weak.key } } };
    }, 'spec.tls.key'],
  ])("%s: Mallory's route gets 422 naming the field, and nothing is written", async (_what, make, field) => {
    const { annotations, spec } = make();
    const before = await snapshot(api);
    const res = await api.call('POST', routes('evil'), mallory, { metadata: { name: 'poison', annotations }, spec: { to: { name: 'beta' }, ...spec } });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await snapshot(api)).toEqual(before);
  });

  it('a replace that adds a refused annotation gets 422 too, and the route stays as it was', async () => {
    const created = await api.call('POST', routes('evil'), mallory, { metadata: { name: 'plain', annotations: { [`${A}timeout`]: '24d' } }, spec: { to: { name: 'beta' } } });
    expect(created.status).toBe(201);
    const res = await api.call('PUT', `${routes('evil')}/plain`, mallory, { metadata: { ...created.body.metadata, annotations: { [`${A}timeout`]: '30d' } }, spec: created.body.spec });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(`metadata.annotations.${A}timeout`);
    expect((await getRoute('evil', 'plain'))!.metadata.annotations[`${A}timeout`]).toBe('24d');
    await api.call('DELETE', `${routes('evil')}/plain`, mallory);
  });
});

describe('routes written around the API', () => {
  it("Mallory's refused routes are left out and marked not admitted; Alice's routes keep being served and changed", async () => {
    const good = selfSigned('b1.example.com');
    const weak = certWithKey('b2.example.com', 1024);
    const other = selfSigned('b3.example.com');
    const mine = selfSigned('elsewhere.example.com');
    await writeAround('broken', { host: 'b1.example.com', tls: { termination: 'edge', certificate: good.cert + BROKEN_BLOCK, key: good.key, insecureEdgeTerminationPolicy: 'None' } });
    await writeAround('weak', { host: 'b2.example.com', tls: { termination: 'edge', certificate: weak.cert, key: weak.key, insecureEdgeTerminationPolicy: 'None' } });
    await writeAround('mismatch', { host: 'b3.example.com', tls: { termination: 'edge', certificate: other.cert, key: mine.key, insecureEdgeTerminationPolicy: 'None' } });
    // Annotation values the API refuses: the router reads them with the same parsers, so they never reach HAProxy.
    await writeAround('timeout', { host: 'b4.example.com' }, { [`${A}timeout`]: '30d' });
    await writeAround('rate', { host: 'b5.example.com' }, { [`${A}rate-limit-connections`]: 'true', [`${A}rate-limit-connections.rate-http`]: '1e21', [`${A}rate-limit-connections.concurrent-tcp`]: '1e21' });
    await writeAround('zone', { host: 'b6.example.com' }, { [`${A}ip_whitelist`]: 'fe80::1%eth0' });
    for (const name of ['broken', 'weak', 'mismatch']) expect(admitted(await getRoute('evil', name))).toMatchObject({ status: 'True' });
    await agent.refresh();
    await agent.settled();

    for (const name of ['broken', 'weak', 'mismatch']) {
      const cond = admitted(await getRoute('evil', name));
      expect(cond).toMatchObject({ status: 'False', reason: 'HAProxyRejected' });
      expect(cond!.message).toMatch(/^HAProxy refused this route's configuration: .*(certificate|key)/i);
    }
    expect((await get(httpPort, 'web-shop.apps.localhost')).body).toBe('alpha');
    for (const host of ['b4.example.com', 'b5.example.com', 'b6.example.com']) expect((await get(httpPort, host)).body).toBe('beta');
    const cfg = readFileSync(join(routerDir, 'current', 'haproxy.cfg'), 'utf8');
    // As words: a cookie's random name may well hold "30d".
    const holds = (line: string, bad: string) => line.split(/[\s,]+/).some((w) => w.includes(bad) && !(/^\w/.test(bad) && /\w/.test(w.slice(0, w.indexOf(bad)).slice(-1))));
    for (const bad of ['30d', '1e+21', '%eth0']) expect(cfg.split('\n').filter((l) => holds(l, bad))).toEqual([]);

    // Admission looking again leaves the router's verdict alone (no tug of war over the status).
    await admission.reconcile({ kind: 'Route', project: 'evil', name: 'broken' });
    expect(admitted(await getRoute('evil', 'broken'))).toMatchObject({ status: 'False', reason: 'HAProxyRejected' });

    // Alice changes things afterwards: a new route with settings of its own (a reload), and one with defaults.
    const reloads = agent.stats.reloads;
    await aliceRoute('api', { to: { name: 'web' }, path: '/api' }, { [`${A}timeout`]: '10s' });
    await aliceRoute('shop2', { to: { name: 'web' }, host: 'shop2.example.com' });
    await agent.refresh();
    expect(agent.stats.reloads).toBeGreaterThan(reloads);
    expect((await get(httpPort, 'api-shop.apps.localhost', '/api/x')).body).toBe('alpha');
    expect((await get(httpPort, 'shop2.example.com')).body).toBe('alpha');
    expect(agent.stats.routesRefused).toBe(3);
    for (const name of ['api', 'shop2', 'web']) expect(admitted(await getRoute('shop', name))).toMatchObject({ status: 'True' });
  }, 120_000);

  it('a refused route that is put right is tried again, served and admitted', async () => {
    const fixed = selfSigned('b1.example.com');
    await writeAround('broken', { host: 'b1.example.com', tls: { termination: 'edge', certificate: fixed.cert, key: fixed.key, insecureEdgeTerminationPolicy: 'None' } });
    await agent.refresh();
    await agent.settled();
    expect(admitted(await getRoute('evil', 'broken'))).toMatchObject({ status: 'True' });
    expect((await get(httpsPort, 'b1.example.com', '/', { ca: fixed.cert })).body).toBe('beta');
    expect(agent.stats.routesRefused).toBe(2);
    expect((await get(httpPort, 'web-shop.apps.localhost')).body).toBe('alpha');
  }, 60_000);

  it("a fresh router starts with Mallory's refused routes in the table and serves Alice's", async () => {
    const [h, s] = [await freePort(), await freePort()];
    const fresh = await startRouterAgent({ store: api.store, httpPort: h, httpsPort: s, domain: 'apps.localhost', dir: mkdtempSync(join(tmpdir(), 'berth-router-')), pollMs: 0 });
    try {
      expect((await get(h, 'web-shop.apps.localhost')).body).toBe('alpha');
      expect((await get(h, 'shop2.example.com')).body).toBe('alpha');
      expect(fresh.stats.routesRefused).toBe(2);
      for (const name of ['weak', 'mismatch']) expect(admitted(await getRoute('evil', name))).toMatchObject({ status: 'False', reason: 'HAProxyRejected' });
    } finally {
      await fresh.stop();
    }
  }, 60_000);
});
