// Attack surface: the project overview in one call (GET /api/v1/projects/{project}/overview, and
// its watch) and the console's live overview part over it. A stranger who signed up a minute ago
// asks for another tenant's overview through the real API (DynamoDB Local) and the console, with
// and without the owner's cursor: refused exactly as for a project that does not exist, nothing of
// it shown. A `view` member sees the applications but nothing secret: no Secret, no environment.
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../support/dynamo.ts';
import { projectWithViewer, testApi, type TestApi } from '../support/api.ts';
import { ConsoleClient } from '../support/console.ts';

let api: TestApi;
let owner: string;
let viewer: string;
let stranger: string;
const theirs = '/api/v1/projects/victim';
const SECRET_VALUE = 'hunter2-victim-only';

beforeAll(async () => {
  api = await testApi({ watch: { maxSeconds: 2, pollMs: 50 } });
  ({ owner, viewer } = await projectWithViewer(api, 'victim'));
  stranger = await api.user('stranger');
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'strangers-own' }, spec: {} })).status).toBe(201);
  expect((await api.call('POST', `${theirs}/secrets`, owner, { metadata: { name: 'db-password' }, spec: { data: { password: Buffer.from(SECRET_VALUE).toString('base64') } } })).status).toBe(201);
  const env = [{ name: 'API_KEY', value: SECRET_VALUE }, { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-password', key: 'password' } } }];
  const dc = { replicas: 1, selector: { app: 'shop' }, template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'web', image: 'busybox', env }] } } };
  expect((await api.call('POST', `${theirs}/deploymentconfigs`, owner, { metadata: { name: 'shop' }, spec: dc })).status).toBe(201);
}, 60_000);

const same = (a: { status: number; body: unknown }, b: { status: number; body: unknown }) => {
  expect(a.status).toBe(b.status);
  expect([403, 404]).toContain(a.status);
  expect(JSON.stringify(a.body).replaceAll('victim', 'P')).toBe(JSON.stringify(b.body).replaceAll('no-such-project', 'P'));
  expect(JSON.stringify(a.body)).not.toMatch(/shop|db-password|hunter2/);
};

describe("a stranger and another tenant's overview", () => {
  it('is refused the overview and its watch, with or without the owner\'s cursor, as for a project that does not exist, and changes nothing', async () => {
    const cursor = encodeURIComponent((await api.call('GET', `${theirs}/overview`, owner)).body.metadata.resourceVersion);
    const before = await snapshot(api);
    for (const query of ['', '?watch=1', `?watch=1&timeoutSeconds=1&resourceVersion=${cursor}`]) {
      same(await api.call('GET', `${theirs}/overview${query}`, stranger), await api.call('GET', `/api/v1/projects/no-such-project/overview${query}`, stranger));
    }
    expect((await api.call('GET', `${theirs}/overview`)).status).toBe(401);
    expect(await snapshot(api)).toEqual(before);
  });

  it("gets nothing of it through the console's live overview, with the owner's cursor or without", async () => {
    await api.identity.createUser('mallory', 'mallory-password-1');
    const mallory = new ConsoleClient(api.app);
    expect((await mallory.signIn('mallory', 'mallory-password-1')).status).toBe(303);
    const cursor = encodeURIComponent((await api.call('GET', `${theirs}/overview`, owner)).body.metadata.resourceVersion);
    for (const query of ['', `?since=${cursor}`]) {
      const r = await mallory.get(`/console/p/victim/overview${query}`);
      const nowhere = await mallory.get(`/console/p/no-such-project/overview${query}`);
      expect(r.status, query).toBe(nowhere.status);
      expect([403, 404]).toContain(r.status);
      expect(r.html).not.toMatch(/shop|db-password|hunter2|data-since/);
    }
  });

  it("is not woken by the other tenant's changes while watching their own overview", async () => {
    const start = (await api.call('GET', '/api/v1/projects/strangers-own/overview?watch=1', stranger)).body;
    const held = api.call('GET', `/api/v1/projects/strangers-own/overview?watch=1&timeoutSeconds=2&resourceVersion=${encodeURIComponent(start.metadata.resourceVersion)}`, stranger);
    await new Promise((r) => setTimeout(r, 200));
    expect((await api.call('PUT', `${theirs}/deploymentconfigs/shop/scale`, owner, { replicas: 3 })).status).toBe(200);
    const answer = await held;
    expect(answer.body.changed).toBe(false);
    expect(answer.body.apps).toEqual([]);
  });
});

describe('a view member', () => {
  it('sees the applications but no Secret and no environment', async () => {
    const r = await api.call('GET', `${theirs}/overview`, viewer);
    expect(r.status).toBe(200);
    expect(r.body.apps.map((a: { name: string }) => a.name)).toEqual(['shop']);
    expect(JSON.stringify(r.body)).not.toMatch(/hunter2|db-password|API_KEY|secretKeyRef/);
    // What the viewer could not list directly is not in the overview either.
    expect((await api.call('GET', `${theirs}/secrets`, viewer)).status).toBe(403);
  });
});
