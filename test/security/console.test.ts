// Attacks on the web console: a stranger who just signed up uses their own session on the first
// tenant's pages and actions (every console route of a project), a cross-site page posts forms,
// the session cookie's flags, and a signed-out session used again.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSharedProject } from '../../shared/project/openshift.ts';
import { ensureSharedTemplates } from '../../shared/templates/shared-templates.ts';
import { snapshot } from '../support/dynamo.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { CONSOLE_ORIGIN, ConsoleClient } from '../support/console.ts';

let api: TestApi;
let alice: ConsoleClient;
let mallory: ConsoleClient;
const SECRET_APP = 'alices-secret-app';
const SECRET_TEMPLATE = 'alices-secret-template';
/** Alice's own template: its name, parameters and default are hers alone. */
const aliceTemplate = {
  apiVersion: 'template.openshift.io/v1',
  kind: 'Template',
  metadata: { name: SECRET_TEMPLATE },
  parameters: [{ name: 'ALICE_PRIVATE_PARAMETER', description: 'alices-parameter-description', value: 'alice-only-value' }],
  objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alices-config' }, data: { v: '${ALICE_PRIVATE_PARAMETER}' } }],
};
const SHARED_TEMPLATE = 'redis-persistent';

/** A console route's path with this test's names in it. */
const concrete = (path: string) =>
  path.replace(':project', 'alice').replace(':app', SECRET_APP).replace(':build', `${SECRET_APP}-1`).replace(':pod', `${SECRET_APP}-1-abcde`).replace(':name', 'alice').replace(':file', 'x.js').replace(':source', 'alice').replace(':template', SECRET_TEMPLATE);

beforeAll(async () => {
  api = await testApi({ trials: { signup: 'open', trialDays: 7, projectsPerUser: 3, signupsPerHour: 100, now: () => new Date() } });
  await ensureSharedProject(api.store);
  await ensureSharedTemplates(api.store);
  alice = new ConsoleClient(api.app);
  expect((await alice.request('POST', '/console/signup', { form: { username: 'alice', password: 'alice-password-1' }, headers: { Origin: CONSOLE_ORIGIN } })).status).toBe(303);
  expect((await alice.signIn('alice', 'alice-password-1')).status).toBe(303);
  const dc = { replicas: 1, selector: { app: SECRET_APP }, template: { metadata: { labels: { app: SECRET_APP } }, spec: { containers: [{ name: 'web', image: 'busybox', env: [{ name: 'API_KEY', value: 'alice-only-value' }] }] } } };
  expect((await api.call('POST', '/api/v1/projects/alice/deploymentconfigs', api.adminToken, { metadata: { name: SECRET_APP }, spec: dc })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/alice/templates', api.adminToken, aliceTemplate)).status).toBe(201);
  mallory = new ConsoleClient(api.app);
  expect((await mallory.request('POST', '/console/signup', { form: { username: 'mallory', password: 'mallory-password-1' }, headers: { Origin: CONSOLE_ORIGIN } })).status).toBe(303);
  expect((await mallory.signIn('mallory', 'mallory-password-1')).status).toBe(303);
});

describe("a stranger's session on another tenant's console pages", () => {
  it('every page of the project answers 403 or 404 and shows none of its data', async () => {
    const pages = api.app.routes.filter((r) => r.method === 'GET' && r.path.startsWith('/console/p/:project'));
    expect(pages.length).toBeGreaterThanOrEqual(10);
    const results = [];
    for (const r of pages) {
      const res = await mallory.get(concrete(r.path));
      results.push({ path: r.path, status: res.status, leaks: [SECRET_APP, SECRET_TEMPLATE, 'alice-only-value', 'ALICE_PRIVATE_PARAMETER', 'alices-parameter-description'].some((s) => res.html.includes(s)) });
    }
    expect(results.filter((x) => ![403, 404].includes(x.status) || x.leaks)).toEqual([]);
    // Alice herself sees them.
    expect((await alice.get(`/console/p/alice/apps/${SECRET_APP}`)).html).toContain('alice-only-value');
  });

  it("every action on the project is refused with 403 and changes nothing, though the stranger's CSRF token is valid", async () => {
    const actions = api.app.routes.filter((r) => r.method === 'POST' && r.path.startsWith('/console/p/:project'));
    expect(actions.length).toBeGreaterThanOrEqual(9);
    const before = await snapshot(api);
    const results = [];
    for (const r of actions) {
      const res = await mallory.post(concrete(r.path), { replicas: '0', env: 'X=1', name: 'mallory', role: 'admin', kind: 'User', toRevision: '1', host: 'steal.example.com' });
      results.push({ path: r.path, status: res.status, leaks: res.html.includes('alice-only-value') });
    }
    expect(results.filter((x) => ![400, 403, 404].includes(x.status) || x.leaks)).toEqual([]);
    expect(results.filter((x) => x.status === 403).length).toBeGreaterThanOrEqual(actions.length - 1);
    expect(await snapshot(api)).toEqual(before);
  });

  it('the administrators\' pages are refused to a tenant', async () => {
    for (const path of ['/console/admin/users', '/console/admin/hosts', '/console/admin/trials']) expect((await mallory.get(path)).status, path).toBe(403);
    const before = await snapshot(api);
    expect((await mallory.post('/console/admin/users/alice/delete')).status).toBe(403);
    expect((await mallory.post('/console/admin/trials/alice/expire')).status).toBe(403);
    expect(await snapshot(api)).toEqual(before);
  });
});

describe("a stranger and the victim's templates through the console", () => {
  const configMaps = async () => (await api.call('GET', '/api/v1/projects/alice/configmaps', api.adminToken)).body.items.map((c: { metadata: { name: string } }) => c.metadata.name);

  it("cannot list, open or fill in the victim's templates, even from the stranger's own project", async () => {
    for (const path of ['/console/p/alice/templates', `/console/p/alice/templates/alice/${SECRET_TEMPLATE}`, `/console/p/mallory/templates/alice/${SECRET_TEMPLATE}`]) {
      const r = await mallory.get(path);
      expect([403, 404], path).toContain(r.status);
      for (const s of [SECRET_TEMPLATE, 'ALICE_PRIVATE_PARAMETER', 'alice-only-value', 'alices-parameter-description']) expect(r.html, `${path} ${s}`).not.toContain(s);
    }
    // The stranger's own list shows the shared templates and nothing of hers.
    const own = await mallory.get('/console/p/mallory/templates');
    expect(own.status).toBe(200);
    expect(own.html).toContain(`/console/p/mallory/templates/openshift/${SHARED_TEMPLATE}`);
    expect(own.html).not.toContain(SECRET_TEMPLATE);
  });

  it("cannot instantiate a template into the victim's project, a shared one or hers, nor hers into his own", async () => {
    const before = await snapshot(api);
    const attempts = [
      [`/console/p/alice/templates/openshift/${SHARED_TEMPLATE}`, { p_DATABASE_SERVICE_NAME: 'mallorys-redis' }],
      [`/console/p/alice/templates/alice/${SECRET_TEMPLATE}`, { p_ALICE_PRIVATE_PARAMETER: 'pwned' }],
      [`/console/p/mallory/templates/alice/${SECRET_TEMPLATE}`, {}],
    ] as const;
    for (const [path, fields] of attempts) {
      const r = await mallory.post(path, fields);
      expect([403, 404], path).toContain(r.status);
      expect(r.html).not.toContain('alice-only-value');
    }
    expect(await snapshot(api)).toEqual(before);
    expect(await configMaps()).not.toContain('alices-config');
  });

  it('a cross-site post of the template form, or one without the CSRF token, is refused and makes nothing', async () => {
    const path = `/console/p/alice/templates/alice/${SECRET_TEMPLATE}`;
    const before = await snapshot(api);
    const crossSite = await alice.request('POST', path, { form: { _csrf: alice.csrf!, p_ALICE_PRIVATE_PARAMETER: 'forged' }, headers: { Origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    const noToken = await alice.request('POST', path, { form: { p_ALICE_PRIVATE_PARAMETER: 'forged' }, headers: { Origin: CONSOLE_ORIGIN } });
    expect(noToken.status).toBe(403);
    const strangersToken = await alice.request('POST', path, { form: { _csrf: mallory.csrf!, p_ALICE_PRIVATE_PARAMETER: 'forged' }, headers: { Origin: CONSOLE_ORIGIN } });
    expect(strangersToken.status).toBe(403);
    expect(await snapshot(api)).toEqual(before);
    // From her own page it goes through.
    expect((await alice.post(path, {})).status).toBe(200);
    expect(await configMaps()).toContain('alices-config');
  });
});

describe('cross-site requests', () => {
  const scale = `/console/p/alice/apps/${SECRET_APP}/scale`;
  const replicas = async () => (await api.call('GET', `/api/v1/projects/alice/deploymentconfigs/${SECRET_APP}`, api.adminToken)).body.spec.replicas;

  it.each([
    ['another Origin, with the right token', (c: ConsoleClient) => ({ Origin: 'https://evil.example' }), true],
    ['the right Origin, no token', () => ({ Origin: CONSOLE_ORIGIN }), false],
    ['the right Origin, a wrong token', () => ({ Origin: CONSOLE_ORIGIN }), 'wrong'],
    ['no Origin, but the browser says cross-site', () => ({ 'Sec-Fetch-Site': 'cross-site' }), true],
  ] as const)('a form post with %s is refused (403) and changes nothing', async (_, headers, token) => {
    const csrf = token === true ? alice.csrf! : token === 'wrong' ? 'A'.repeat(43) : undefined;
    const r = await alice.request('POST', scale, { form: { ...(csrf ? { _csrf: csrf } : {}), replicas: '0' }, headers: headers(alice) });
    expect(r.status).toBe(403);
    expect(r.html).toMatch(/another site|did not come from this console/);
    expect(await replicas()).toBe(1);
  });

  it("the same post from the console's own page goes through", async () => {
    expect((await alice.post(scale, { replicas: '1' })).status).toBe(303);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, scoped to /console, Secure over HTTPS, and its token never appears in a page', async () => {
    await api.user('carl');
    const plain = await api.app.request('http://localhost/console/signin', { method: 'POST', headers: { Origin: 'http://localhost', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'username=carl&password=password-carl' });
    const cookie = plain.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^berth_console=[^;]+;/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/console/);
    expect(cookie).not.toMatch(/Secure/);
    const tls = await api.app.request('https://console.example/console/signin', { method: 'POST', headers: { Origin: 'https://console.example', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'username=carl&password=password-carl' });
    expect(tls.headers.get('Set-Cookie')).toMatch(/; Secure/);
    const token = /berth_console=([^;]+)/.exec(cookie)![1]!;
    const page = await api.app.request('http://localhost/console/projects', { headers: { Cookie: `berth_console=${token}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(token);
  });

  it('signing out revokes the token: the old cookie opens nothing and the API refuses it', async () => {
    await api.user('sam');
    const sam = new ConsoleClient(api.app);
    await sam.signIn('sam', 'password-sam');
    const old = sam.cookie!;
    const token = old.split('=')[1]!;
    expect((await api.call('GET', '/api/v1/whoami', token)).status).toBe(200);
    const out = await sam.post('/console/signout');
    expect(out.status).toBe(303);
    expect(out.setCookie).toMatch(/berth_console=;/);
    expect((await api.call('GET', '/api/v1/whoami', token)).status).toBe(401);
    const again = await api.app.request('http://localhost/console/projects', { headers: { Cookie: old } });
    expect(again.status).toBe(303);
    expect(again.headers.get('Location')).toMatch(/^\/console\/signin/);
  });
});
