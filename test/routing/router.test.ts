// The router agent with real HAProxy against DynamoDB Local: exposed services answer by host
// name, edge TLS with a generated certificate and its Redirect, a path route to a second
// service, weights, a refused claim later admitted, and changes under steady load with zero
// failed requests (endpoint changes and routes with default settings without any reload).
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouterAgent, type RouterAgent } from '../../agents/router/agent.ts';
import { socketCommand } from '../../agents/router/haproxy.ts';
import { freePort } from '../../shared/local/ports.ts';
import { routeAdmission } from '../../shared/routing/admission.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { selfSigned } from './certs.ts';
import { eventually, get, putRoute, setService, startApp, stopApps, type App } from './support.ts';

let t: TestTable;
let agent: RouterAgent;
let admission: ReturnType<typeof routeAdmission>;
let httpPort: number;
let httpsPort: number;
let routerDir: string;
const apps = new Map<string, App>();

beforeAll(async () => {
  t = await freshTable();
  for (const p of ['demo', 'other']) await t.store.create({ kind: 'Project', metadata: { name: p, project: '' }, spec: {} });
  admission = routeAdmission({ store: t.store, domain: 'apps.localhost' });
  httpPort = await freePort();
  httpsPort = await freePort();
  routerDir = mkdtempSync(join(tmpdir(), 'berth-router-'));
  agent = await startRouterAgent({ store: t.store, httpPort, httpsPort, domain: 'apps.localhost', dir: routerDir, pollMs: 200 });
  for (const name of ['hello', 'api', 'blue', 'green', 'x1', 'x2', 'x3', 'x4']) apps.set(name, await startApp(name));
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await stopApps([...apps.values()]);
});

const app = (name: string) => apps.get(name)!;

async function load(concurrency: number, host: string) {
  const counts = { ok: 0, failed: 0, errors: [] as string[] };
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const r = await get(httpPort, host);
        if (r.status === 200) counts.ok++;
        else {
          counts.failed++;
          counts.errors.push(`status ${r.status}`);
        }
      } catch (err) {
        counts.failed++;
        counts.errors.push(String(err));
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  const done = () => counts.ok + counts.failed;
  return {
    counts,
    /** Waits until `n` more requests have been answered (or failed), so every change below is
     * made under load however fast or slow the machine is: no figure here depends on time. */
    async answered(n: number) {
      const target = done() + n;
      while (done() < target) await new Promise((r) => setTimeout(r, 2));
    },
    async stop() {
      stop = true;
      await Promise.all(workers);
      return { ...counts, total: done() };
    },
  };
}

describe('router', () => {
  it("an exposed service answers by host name with a sticky cookie; unknown hosts and routes without endpoints get Berth's 503 page", async () => {
    await setService(t.store, 'demo', 'hello', [app('hello').port]);
    const r = await putRoute(t.store, admission, 'demo', 'hello', { to: { name: 'hello' } });
    expect(r.spec.host).toBe('hello-demo.apps.localhost');
    const reply = await eventually(() => get(httpPort, `hello-demo.apps.localhost:${httpPort}`), (x) => x.status === 200);
    expect(reply.body).toBe('hello');
    expect(String(reply.headers['set-cookie'])).toMatch(/^[0-9a-f]{32}=/);
    const unknown = await get(httpPort, 'nobody.apps.localhost');
    expect(unknown.status).toBe(503);
    expect(unknown.body).toContain('Application is not available');

    await setService(t.store, 'demo', 'empty', []);
    await putRoute(t.store, admission, 'demo', 'empty', { to: { name: 'empty' } });
    await agent.refresh();
    const none = await get(httpPort, 'empty-demo.apps.localhost');
    expect(none.status).toBe(503);
    expect(none.body).toContain('Application is not available');
  });

  it('serves an edge route with its certificate over HTTPS and redirects plain HTTP to it', async () => {
    const { cert, key } = selfSigned('secure.example.com');
    await putRoute(t.store, admission, 'demo', 'secure', {
      host: 'secure.example.com',
      to: { name: 'hello' },
      tls: { termination: 'edge', certificate: cert, key, insecureEdgeTerminationPolicy: 'Redirect' },
    }, { 'haproxy.router.openshift.io/hsts_header': 'max-age=31536000' });
    const reply = await eventually(() => get(httpsPort, 'secure.example.com', '/x', { ca: cert }), (x) => x.status === 200);
    expect(reply.body).toBe('hello');
    expect(reply.headers['strict-transport-security']).toBe('max-age=31536000');
    const plain = await get(httpPort, 'secure.example.com', '/x?y=1');
    expect(plain.status).toBe(302);
    expect(plain.headers.location).toBe(`https://secure.example.com:${httpsPort}/x?y=1`);
  });

  it('passes TLS through to the app by SNI', async () => {
    const { cert, key } = selfSigned('pass.example.com');
    const server = createHttpsServer({ cert, key }, (_req, res) => res.end('tls-app'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await setService(t.store, 'demo', 'tlsapp', [(server.address() as AddressInfo).port]);
      await putRoute(t.store, admission, 'demo', 'pass', { host: 'pass.example.com', to: { name: 'tlsapp' }, tls: { termination: 'passthrough' } });
      const reply = await eventually(() => get(httpsPort, 'pass.example.com', '/', { ca: cert }), (x) => x.status === 200);
      expect(reply.body).toBe('tls-app');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a path route reaches a second service on the same host', async () => {
    await setService(t.store, 'demo', 'api', [app('api').port]);
    await putRoute(t.store, admission, 'demo', 'shop', { host: 'shop.example.com', to: { name: 'hello' } });
    await putRoute(t.store, admission, 'demo', 'shop-api', { host: 'shop.example.com', path: '/api', to: { name: 'api' } });
    await agent.refresh();
    expect((await get(httpPort, 'shop.example.com', '/api/items')).body).toBe('api');
    expect((await get(httpPort, 'shop.example.com', '/')).body).toBe('hello');
    expect((await get(httpPort, 'shop.example.com', '/other')).body).toBe('hello');
    // A path is matched by whole segments: /api and /api/… but not /apix.
    expect((await get(httpPort, 'shop.example.com', '/api')).body).toBe('api');
    expect((await get(httpPort, 'shop.example.com', '/apix')).body).toBe('hello');
    // Added through the Runtime API (a pool backend): a semicolon in the path survives the CLI.
    const reloads = agent.stats.reloads;
    await putRoute(t.store, admission, 'demo', 'shop-odd', { host: 'shop.example.com', path: '/a;b', to: { name: 'api' } });
    await agent.refresh();
    expect((await get(httpPort, 'shop.example.com', '/a;b/c')).body).toBe('api');
    expect((await get(httpPort, 'shop.example.com', '/a')).body).toBe('hello');
    expect(agent.stats.reloads).toBe(reloads);
    expect(agent.stats.runtimeRefused).toBe(0);
  });

  it('serves a wildcard route for hosts one label below its domain; a route naming the host wins', async () => {
    await setService(t.store, 'demo', 'api', [app('api').port]);
    await putRoute(t.store, admission, 'demo', 'wild', { host: '*.wild.example.com', wildcardPolicy: 'Subdomain', to: { name: 'hello' } });
    await agent.refresh();
    expect((await get(httpPort, 'anything.wild.example.com')).body).toBe('hello');
    expect((await get(httpPort, 'a.b.wild.example.com')).status).toBe(503);
    expect((await get(httpPort, 'wild.example.com')).status).toBe(503);
    await putRoute(t.store, admission, 'demo', 'named', { host: 'named.wild.example.com', to: { name: 'api' } });
    await agent.refresh();
    expect((await get(httpPort, 'named.wild.example.com')).body).toBe('api');
    expect((await get(httpPort, 'other.wild.example.com')).body).toBe('hello');
  });

  it('honours the IP allow-list and cookie annotations', async () => {
    await putRoute(t.store, admission, 'demo', 'private', { host: 'private.example.com', to: { name: 'hello' } }, {
      'haproxy.router.openshift.io/ip_whitelist': '10.1.2.3 192.168.0.0/16',
    });
    await putRoute(t.store, admission, 'demo', 'nocookie', { host: 'nocookie.example.com', to: { name: 'hello' } }, {
      'haproxy.router.openshift.io/disable_cookies': 'true',
    });
    await agent.refresh();
    expect((await get(httpPort, 'private.example.com')).status).toBe(403);
    const reply = await get(httpPort, 'nocookie.example.com');
    expect(reply.body).toBe('hello');
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('splits traffic 75/25 between weighted backends within 5% over 2,000 requests', async () => {
    await setService(t.store, 'demo', 'blue', [app('blue').port]);
    await setService(t.store, 'demo', 'green', [app('green').port]);
    await putRoute(t.store, admission, 'demo', 'ab', { host: 'ab.example.com', to: { name: 'blue', weight: 75 }, alternateBackends: [{ name: 'green', weight: 25 }] });
    await agent.refresh();
    // A weighted route has a backend of its own, so it arrives by a reload: count once it serves.
    await eventually(() => get(httpPort, 'ab.example.com'), (x) => x.status === 200);
    const seen = { blue: 0, green: 0 } as Record<string, number>;
    for (let i = 0; i < 200; i++) {
      const replies = await Promise.all(Array.from({ length: 10 }, () => get(httpPort, 'ab.example.com')));
      for (const r of replies) seen[r.body] = (seen[r.body] ?? 0) + 1;
    }
    expect(seen.blue! + seen.green!).toBe(2000);
    expect(Math.abs(seen.blue! / 2000 - 0.75)).toBeLessThanOrEqual(0.05);
  });

  it("refuses a second project's claim on a taken host, and admits it once the owner's route is deleted", async () => {
    await putRoute(t.store, admission, 'demo', 'claimed', { host: 'claimed.example.com', to: { name: 'hello' } });
    await setService(t.store, 'other', 'api', [app('api').port]);
    const refused = await putRoute(t.store, admission, 'other', 'claimed', { host: 'claimed.example.com', to: { name: 'api' } });
    expect(refused.status.ingress[0]!.conditions[0]).toMatchObject({ status: 'False', reason: 'HostAlreadyClaimed' });
    await agent.refresh();
    expect((await get(httpPort, 'claimed.example.com')).body).toBe('hello');

    await t.store.delete({ kind: 'Route', project: 'demo', name: 'claimed' });
    await admission.reconcile({ kind: 'Route', project: 'demo', name: 'claimed' });
    await agent.refresh();
    expect((await get(httpPort, 'claimed.example.com')).body).toBe('api');
  });

  it('under steady load, applies 100 endpoint changes with no reload and 100 route changes, failing no request', async () => {
    await setService(t.store, 'demo', 'xs', [app('x1').port]);
    await putRoute(t.store, admission, 'demo', 'xs', { host: 'xs.example.com', to: { name: 'xs' } });
    await agent.refresh();
    const pool = ['x1', 'x2', 'x3', 'x4'].map((n) => app(n).port);

    const before = { ...agent.stats };
    const endpointLoad = await load(8, 'xs.example.com');
    for (let i = 0; i < 100; i++) {
      const size = 1 + (i % 3);
      await setService(t.store, 'demo', 'xs', Array.from({ length: size }, (_, k) => pool[(i + k) % pool.length]!));
      await agent.refresh();
      await endpointLoad.answered(20);
    }
    const endpointResult = await endpointLoad.stop();
    expect(endpointResult.errors.slice(0, 5)).toEqual([]);
    expect(endpointResult.failed).toBe(0);
    expect(endpointResult.total).toBeGreaterThanOrEqual(2000);
    expect(agent.stats.reloads).toBe(before.reloads);
    expect(agent.stats.runtimeRefused).toBe(0);
    expect(agent.stats.runtimeUpdates).toBeGreaterThanOrEqual(before.runtimeUpdates + 100);

    const routeLoad = await load(8, 'xs.example.com');
    for (let i = 0; i < 100; i++) {
      await putRoute(t.store, admission, 'demo', 'churn', { host: `churn${i % 7}.example.com`, to: { name: 'xs' } }, { 'haproxy.router.openshift.io/timeout': `${10 + i}s` });
      await agent.refresh();
      await routeLoad.answered(20);
    }
    const routeResult = await routeLoad.stop();
    expect(routeResult.errors.slice(0, 5)).toEqual([]);
    expect(routeResult.failed).toBe(0);
    expect(routeResult.total).toBeGreaterThanOrEqual(2000);
    expect(agent.stats.reloads).toBeGreaterThanOrEqual(before.reloads + 100);
    expect((await get(httpPort, 'churn1.example.com')).status).toBe(200);
  }, 240_000);

  it('adds, moves and deletes 100 routes with default settings through the Runtime API: no reload, no failed request', async () => {
    await setService(t.store, 'demo', 'ys', [app('x2').port]);
    await putRoute(t.store, admission, 'demo', 'ys', { host: 'ys.example.com', to: { name: 'ys' } });
    await agent.refresh();
    const reloads = agent.stats.reloads;
    const steady = await load(8, 'ys.example.com');
    for (let i = 0; i < 100; i++) {
      const name = `plain${i % 10}`;
      const ref = { kind: 'Route', project: 'demo', name };
      if (i % 4 === 3) {
        if (await t.store.get(ref)) await t.store.delete(ref);
      } else await putRoute(t.store, admission, 'demo', name, { host: `plain${i}.example.com`, to: { name: 'ys' } });
      await admission.reconcile(ref);
      await agent.refresh();
      await steady.answered(20);
      const answer = await get(httpPort, `plain${i}.example.com`);
      expect(answer.status).toBe(i % 4 === 3 ? 503 : 200);
      if (i >= 10 && i % 4 !== 3) expect((await get(httpPort, `plain${i - 10}.example.com`)).status).toBe(503);
    }
    const result = await steady.stop();
    expect(result.errors.slice(0, 5)).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.total).toBeGreaterThanOrEqual(2000);
    expect(agent.stats.reloads).toBe(reloads);
    expect(agent.stats.runtimeRefused).toBe(0);
  }, 240_000);

  it('reloads when the Runtime API refuses a change, so HAProxy never drifts from the model', async () => {
    await setService(t.store, 'demo', 'drift', [app('hello').port]);
    await putRoute(t.store, admission, 'demo', 'drift', { host: 'drift.example.com', to: { name: 'drift' } });
    await agent.refresh();
    expect((await get(httpPort, 'drift.example.com')).body).toBe('hello');
    // Someone removes the entry behind the agent's back: its own `del map` is then refused.
    expect((await socketCommand(join(routerDir, 'admin.sock'), 'del map http.hosts.map drift.example.com')).trim()).toBe('');
    const before = { ...agent.stats };
    await putRoute(t.store, admission, 'demo', 'drift', { host: 'drift2.example.com', to: { name: 'drift' } });
    await agent.refresh();
    expect(agent.stats.runtimeRefused).toBeGreaterThan(before.runtimeRefused);
    expect(agent.stats.reloads).toBe(before.reloads + 1);
    expect((await get(httpPort, 'drift2.example.com')).body).toBe('hello');
    expect((await get(httpPort, 'drift.example.com')).status).toBe(503);
  });

  it('starts HAProxy again when it crashes, with the routes added through the Runtime API', async () => {
    await setService(t.store, 'demo', 'survivor', [app('hello').port]);
    await agent.refresh();
    const reloads = agent.stats.reloads;
    await putRoute(t.store, admission, 'demo', 'survivor', { host: 'survivor.example.com', to: { name: 'survivor' } });
    await agent.refresh();
    expect((await get(httpPort, 'survivor.example.com')).body).toBe('hello');
    expect(agent.stats.reloads).toBe(reloads);
    const restarts = agent.stats.restarts;
    const worker = (await agent.workerPid())!;
    process.kill(worker, 'SIGKILL');
    const reply = await eventually(() => get(httpPort, 'survivor.example.com'), (r) => r.body === 'hello' && agent.stats.restarts === restarts + 1);
    expect(reply.status).toBe(200);
    expect(await agent.workerPid()).not.toBe(worker);
  }, 60_000);
});
