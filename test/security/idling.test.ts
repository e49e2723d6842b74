// Attack: idling is a way to stop someone else's app, and waking one to make it run. A stranger
// who signed up a minute ago tries to idle or wake the victim's DC through the API (refused, the
// DC unchanged), a viewer of the victim's project tries the same (idling needs edit), the
// stranger forges the idled marks on their own Service to name the victim's DC (refused: system
// annotations), and through the router sends requests to their own idled route with a forged
// backend header naming other backends: only the stranger's own DC wakes; the victim's stays
// idled and no wake is ever asked for it. While the victim's request is held, the stranger's ready
// pod labelled like the victim's is told to the router: the request never goes to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idleDeploymentConfig } from '../../shared/idling/actions.ts';
import { IDLED_AT, PREVIOUS_REPLICAS } from '../../shared/idling/annotations.ts';
import { BACKEND_HEADER } from '../../shared/routing/render.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { eventually, get, startApp, stopApps } from '../routing/support.ts';
import { idlingWorld, readyPodOf, wakingRequest, type IdlingWorld } from '../idling/support.ts';
import { request } from 'node:http';

let api: TestApi;
let victim: string;
let stranger: string;
let viewer: string;
const DC = '/api/v1/projects/shop/deploymentconfigs/web';

beforeAll(async () => {
  api = await testApi();
  victim = await api.user('victim');
  stranger = await api.user('stranger');
  viewer = await api.user('viewer');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'evil' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/shop/rolebindings', victim, { metadata: { name: 'view' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
  const dc = (project: string) => ({
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa' }] } } },
  });
  expect((await api.call('POST', '/api/v1/projects/shop/deploymentconfigs', victim, dc('shop'))).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/evil/services', stranger, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] } })).status).toBe(201);
});

describe('idling through the API', () => {
  it.each([
    ['a stranger idles', () => stranger, 'idle'],
    ['a stranger wakes', () => stranger, 'unidle'],
    ['a viewer idles', () => viewer, 'idle'],
  ])("%s the victim's DC: refused, nothing changes", async (_what, who, action) => {
    const before = (await api.call('GET', DC, victim)).body;
    const r = await api.call('POST', `${DC}/${action}`, who());
    expect([403, 404]).toContain(r.status);
    expect((await api.call('GET', DC, victim)).body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('a tenant may ask for idling on their own DC, but not write what the idler remembers', async () => {
    const dc = (await api.call('GET', DC, victim)).body;
    const ask = await api.call('PUT', DC, victim, { ...dc, metadata: { ...dc.metadata, annotations: { 'idling.berth.io/enabled': 'true' } } });
    expect(ask.status).toBe(200);
    const forged = await api.call('PUT', DC, victim, { ...ask.body, metadata: { ...ask.body.metadata, annotations: { 'idling.berth.io/enabled': 'true', [PREVIOUS_REPLICAS]: '1000' } } });
    expect(forged.status).toBe(403);
    expect(forged.body.message).toContain(PREVIOUS_REPLICAS);
  });

  it("forging the idled marks on one's own Service (naming the victim's DC) is refused", async () => {
    const svc = (await api.call('GET', '/api/v1/projects/evil/services/web', stranger)).body;
    const forged = { ...svc, metadata: { ...svc.metadata, annotations: { [IDLED_AT]: new Date().toISOString(), 'idling.berth.io/unidle-targets': 'web' } } };
    const r = await api.call('PUT', '/api/v1/projects/evil/services/web', stranger, forged);
    expect(r.status).toBe(403);
    expect(r.body.message).toContain(IDLED_AT);
  });
});

describe('waking through the router', () => {
  let w: IdlingWorld;
  beforeAll(async () => {
    w = await idlingWorld([{ name: 'shop', trial: true }, { name: 'evil', trial: true }]);
  }, 60_000);
  afterAll(() => w?.stop());

  /** A GET through the router for `host`, with a forged backend header. */
  const forged = (host: string, backend: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: w.httpPort, path: '/', agent: false, headers: { host, [BACKEND_HEADER]: backend } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it("requests to the stranger's idled route, whatever backend they claim, wake only the stranger's DC", async () => {
    await w.app('shop', 'web', 2);
    const evilHost = await w.app('evil', 'web', 1);
    for (const project of ['shop', 'evil']) {
      await idleDeploymentConfig(w.t.store, { kind: 'DeploymentConfig', project, name: 'web' }, Date.now(), 'test');
      await w.podsFollow(project, 'web');
    }
    await w.agent.refresh();

    const replies = ['be_pool_1', 'be_pool_2', 'be_pool_3', 'be_http_shop_web'].map((be) => forged(evilHost, be));
    await eventually(() => w.dc('evil', 'web'), (d) => d.spec.replicas === 1);
    await w.podsFollow('evil', 'web');
    for (const r of await Promise.all(replies)) expect(r).toEqual({ status: 200, body: 'evil/web' });

    const shop = await w.dc('shop', 'web');
    expect(shop.spec.replicas).toBe(0);
    expect(shop.metadata.annotations).toMatchObject({ [PREVIOUS_REPLICAS]: '2', [IDLED_AT]: expect.any(String) });
    expect(await w.signals.wakeRequested({ project: 'shop', service: 'web' })).toBeUndefined();
    expect(w.agent.unidlerStats!.wakes).toBe(1);
  });

  it("a held request of the victim's never goes to the stranger's ready pod labelled like the victim's", async () => {
    const host = await w.app('shop', 'cart', 1);
    await idleDeploymentConfig(w.t.store, { kind: 'DeploymentConfig', project: 'shop', name: 'cart' }, Date.now(), 'test');
    await w.podsFollow('shop', 'cart');
    await w.agent.refresh();
    const [own, spy] = await Promise.all([startApp('victim pod'), startApp('stranger pod')]);
    try {
      const { reply, answered } = await wakingRequest(w, host, 'shop', 'cart', 1);
      w.agent.podChanged(readyPodOf('evil', 'cart', spy.port, true));
      await new Promise((r) => setTimeout(r, 300));
      expect(answered()).toBe(false);
      w.agent.podChanged(readyPodOf('shop', 'cart', own.port, true));
      expect(await reply).toMatchObject({ status: 200, body: 'victim pod' });
    } finally {
      await stopApps([own, spy]);
    }
  });
});
