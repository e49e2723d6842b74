// Attack: a stranger takes another tenant's route host. Their older route is renamed onto the
// victim's host (a claim used to be dated by the route's age), or they squat the victim's
// generated host `<route>-<victim>.<apps domain>` before the victim makes that route. Through
// the real API and the real admission reconciler on DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { routeAdmission } from '../../shared/routing/admission.ts';
import { isAdmitted } from '../../shared/routing/types.ts';
import type { Route } from '../../shared/model/objects.ts';
import { testApi, type TestApi } from '../support/api.ts';

const DOMAIN = 'apps.example.test';
let api: TestApi;
let bare: TestApi;
let victim: string;
let attacker: string;

beforeAll(async () => {
  api = await testApi({ appsDomain: DOMAIN });
  // The same API without the apps domain (an API that cannot tell): admission must refuse on its own.
  bare = await testApi();
  victim = await api.user('victim');
  attacker = await api.user('stranger');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', attacker, { metadata: { name: 'evil' } })).status).toBe(201);
});

const route = (name: string, host?: string) => ({ metadata: { name }, spec: { ...(host ? { host } : {}), to: { kind: 'Service', name: 'web' } } });

async function admit(t: TestApi, project: string, name: string): Promise<Route> {
  await routeAdmission({ store: t.store, domain: DOMAIN }).reconcile({ kind: 'Route', project, name });
  return (await t.store.get<Route>({ kind: 'Route', project, name }))!;
}
const reasonOf = (r: Route) => r.status.ingress?.[0]?.conditions[0]?.reason;

describe('route host hijack', () => {
  it("an older route renamed onto a younger route's host does not take it: the victim keeps serving it", async () => {
    // The stranger's route is made first, on a host of their own.
    expect((await api.call('POST', '/api/v1/projects/evil/routes', attacker, route('old', 'evil-bait.example.com'))).status).toBe(201);
    expect(isAdmitted(await admit(api, 'evil', 'old'))).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect((await api.call('POST', '/api/v1/projects/shop/routes', victim, route('store', 'store.example.com'))).status).toBe(201);
    expect(isAdmitted(await admit(api, 'shop', 'store'))).toBe(true);

    // The stranger moves their older route onto the victim's host.
    const old = (await api.call('GET', '/api/v1/projects/evil/routes/old', attacker)).body;
    const moved = await api.call('PUT', '/api/v1/projects/evil/routes/old', attacker, { ...old, spec: { ...old.spec, host: 'store.example.com' } });
    expect(moved.status).toBe(200);
    const theirs = await admit(api, 'evil', 'old');
    expect(isAdmitted(theirs)).toBe(false);
    expect(reasonOf(theirs)).toBe('HostAlreadyClaimed');
    // Looking again at the victim's route (a resync) changes nothing.
    expect(isAdmitted(await admit(api, 'shop', 'store'))).toBe(true);
    expect(isAdmitted(await admit(api, 'evil', 'old'))).toBe(false);
  });

  it('cannot backdate the claim by writing the claim-time annotation itself', async () => {
    const old = (await api.call('GET', '/api/v1/projects/evil/routes/old', attacker)).body;
    const forged = await api.call('PUT', '/api/v1/projects/evil/routes/old', attacker, {
      ...old,
      metadata: { ...old.metadata, annotations: { ...old.metadata.annotations, 'berth.io/host-claimed-at': '2000-01-01T00:00:00.000Z' } },
    });
    expect(forged.status).toBe(403);
    expect(forged.body.details[0].field).toBe('metadata.annotations.berth.io/host-claimed-at');
    expect(isAdmitted(await admit(api, 'shop', 'store'))).toBe(true);
    expect(isAdmitted(await admit(api, 'evil', 'old'))).toBe(false);
  });

  it('a route that keeps its host keeps its claim through other changes', async () => {
    const store = (await api.call('GET', '/api/v1/projects/shop/routes/store', victim)).body;
    const changed = await api.call('PUT', '/api/v1/projects/shop/routes/store', victim, { ...store, spec: { ...store.spec, to: { kind: 'Service', name: 'web2' } } });
    expect(changed.status).toBe(200);
    expect(changed.body.metadata.annotations['berth.io/host-claimed-at']).toBeUndefined();
    expect(isAdmitted(await admit(api, 'shop', 'store'))).toBe(true);
    expect(isAdmitted(await admit(api, 'evil', 'old'))).toBe(false);
  });

  it("cannot squat the victim's generated host, nor a host below it: 422 naming spec.host", async () => {
    for (const host of [`web-shop.${DOMAIN}`, `x.web-shop.${DOMAIN}`]) {
      const res = await api.call('POST', '/api/v1/projects/evil/routes', attacker, route('squat', host));
      expect(res.status).toBe(422);
      expect(res.body.details[0].field).toBe('spec.host');
    }
    expect(await api.store.get({ kind: 'Route', project: 'evil', name: 'squat' })).toBeUndefined();
    // Its own generated names and plain names stay open to it.
    expect((await api.call('POST', '/api/v1/projects/evil/routes', attacker, route('mine', `mine-evil.${DOMAIN}`))).status).toBe(201);
  });

  it('where the API cannot tell, admission refuses the squat and the victim gets its generated host', async () => {
    const v = await bare.user('victim');
    const a = await bare.user('stranger');
    await bare.call('POST', '/api/v1/projects', v, { metadata: { name: 'shop' } });
    await bare.call('POST', '/api/v1/projects', a, { metadata: { name: 'evil' } });
    expect((await bare.call('POST', '/api/v1/projects/evil/routes', a, route('squat', `web-shop.${DOMAIN}`))).status).toBe(201);
    const squat = await admit(bare, 'evil', 'squat');
    expect(isAdmitted(squat)).toBe(false);
    expect(reasonOf(squat)).toBe('InvalidHost');
    expect((await bare.call('POST', '/api/v1/projects/shop/routes', v, route('web'))).status).toBe(201);
    const web = await admit(bare, 'shop', 'web');
    expect(web.spec.host).toBe(`web-shop.${DOMAIN}`);
    expect(isAdmitted(web)).toBe(true);
  });
});
