// A project's overview in one call (GET /api/v1/projects/{project}/overview), against DynamoDB
// Local: each application with its pods (newest first), last build and route URL with the routers'
// ports, the quota's use; and as a watch (a long poll from its resourceVersion) that answers as
// soon as anything shown changes, deletions included, and otherwise at its timeout.
import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import type { ProjectOverview } from '../../shared/overview/types.ts';

let api: TestApi;
let owner: string;
const P = 'glance';
const base = `/api/v1/projects/${P}`;

const dc = (name: string) => ({ metadata: { name }, spec: { replicas: 2, selector: { deploymentconfig: name }, template: { metadata: { labels: { deploymentconfig: name } }, spec: { containers: [{ name, image: `${name}:latest`, env: [{ name: 'GREETING', value: 'hello' }] }] } } } });
const pod = (name: string, app: string, phase: string, created: string) =>
  api.store.create({ kind: 'Pod', metadata: { name, project: P, labels: { deploymentconfig: app } }, spec: { containers: [{ name: app, image: `${app}:latest` }] }, status: { phase, restartCount: 0 } } as never).then(async (made: any) => {
    // Newest first is by creation time: give each its own.
    const stored = (await api.store.get({ kind: 'Pod', project: P, name }))!;
    return api.store.updateStatus({ ...stored, metadata: { ...stored.metadata, creationTimestamp: created }, status: { phase, restartCount: 0 } } as never).then(() => made);
  });
const overview = (query = '', token = owner) => api.call('GET', `${base}/overview${query}`, token);

beforeAll(async () => {
  api = await testApi({ router: { httpPort: 18080, httpsPort: 443 }, watch: { maxSeconds: 5, pollMs: 50 } });
  owner = await api.user('owner');
  expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: P }, spec: {} })).status).toBe(201);
  for (const name of ['web', 'api']) expect((await api.call('POST', `${base}/deploymentconfigs`, owner, dc(name))).status).toBe(201);
  expect((await api.call('POST', `${base}/services`, owner, { metadata: { name: 'web' }, spec: { selector: { deploymentconfig: 'web' }, ports: [{ port: 8080 }] } })).status).toBe(201);
  expect((await api.call('POST', `${base}/routes`, owner, { metadata: { name: 'web' }, spec: { host: 'web.apps.test', to: { name: 'web' } } })).status).toBe(201);
  expect((await api.call('POST', `${base}/routes`, owner, { metadata: { name: 'web-tls' }, spec: { host: 'secure.apps.test', to: { name: 'web' }, tls: { termination: 'edge' } } })).status).toBe(201);
  expect((await api.call('POST', `${base}/resourcequotas`, api.adminToken, { metadata: { name: 'q' }, spec: { hard: { pods: 4 } } })).status).toBe(201);
  for (const [n, phase] of [[1, 'Complete'], [2, 'Running']] as const) {
    await api.store.create({ kind: 'Build', metadata: { name: `web-${n}`, project: P, labels: { 'berth.io/buildconfig': 'web' } }, spec: {}, status: { phase } } as never);
    await new Promise((r) => setTimeout(r, 5));
  }
  await pod('web-1-a', 'web', 'Running', '2026-01-01T00:00:00Z');
  await pod('web-1-b', 'web', 'Pending', '2026-01-01T00:00:05Z');
}, 30_000);

describe('the project overview', () => {
  it("shows each application's pods, last build, route URLs and the quota's use", async () => {
    const r = await overview();
    expect(r.status).toBe(200);
    const o = r.body as ProjectOverview;
    expect(o.kind).toBe('ProjectOverview');
    expect(o.metadata.project).toBe(P);
    expect(o.changed).toBeUndefined();
    expect(o.apps.map((a) => a.name)).toEqual(['api', 'web']);
    const web = o.apps.find((a) => a.name === 'web')!;
    expect(web.replicas).toBe(2);
    expect(web.pods.map((p) => `${p.name} ${p.phase}`)).toEqual(['web-1-b Pending', 'web-1-a Running']);
    expect(web.lastBuild).toMatchObject({ name: 'web-2', phase: 'Running' });
    expect(web.routes.map((x) => x.url).sort()).toEqual(['http://web.apps.test:18080/', 'https://secure.apps.test/']);
    const other = o.apps.find((a) => a.name === 'api')!;
    expect(other).toMatchObject({ pods: [], routes: [] });
    expect(other.lastBuild).toBeUndefined();
    expect(o.quotas).toEqual([{ name: 'q', hard: { pods: '4' }, used: expect.objectContaining({ pods: expect.any(String) }) }]);
    // Summaries only: no template, no environment.
    expect(JSON.stringify(o)).not.toContain('GREETING');
  });

  it('as a watch, answers at once without a cursor, at its timeout when nothing changed, and as soon as a pod changes', async () => {
    const first = await overview('?watch=1');
    expect(first.body.changed).toBe(true);
    const since = encodeURIComponent(first.body.metadata.resourceVersion);
    const began = Date.now();
    const idle = await overview(`?watch=1&timeoutSeconds=1&resourceVersion=${since}`);
    expect(idle.status).toBe(200);
    expect(idle.body.changed).toBe(false);
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    expect(idle.body.apps).toEqual(first.body.apps);

    const held = overview(`?watch=1&timeoutSeconds=5&resourceVersion=${since}`);
    await new Promise((r) => setTimeout(r, 300));
    const a = (await api.store.get({ kind: 'Pod', project: P, name: 'web-1-b' }))!;
    await api.store.updateStatus({ ...a, status: { phase: 'Running', restartCount: 0 } } as never);
    const woke = await held;
    expect(woke.body.changed).toBe(true);
    expect(woke.body.apps.find((x: any) => x.name === 'web').pods.map((p: any) => p.phase)).toEqual(['Running', 'Running']);
    expect(woke.body.metadata.resourceVersion).not.toBe(first.body.metadata.resourceVersion);
  });

  it('as a watch, answers a deletion with the overview without what was deleted', async () => {
    const start = (await overview('?watch=1')).body;
    const held = overview(`?watch=1&timeoutSeconds=5&resourceVersion=${encodeURIComponent(start.metadata.resourceVersion)}`);
    await new Promise((r) => setTimeout(r, 200));
    expect((await api.call('DELETE', `${base}/routes/web-tls`, owner)).status).toBeLessThan(300);
    const woke = await held;
    expect(woke.status).toBe(200);
    expect(woke.body.changed).toBe(true);
    expect(woke.body.apps.find((x: any) => x.name === 'web').routes.map((x: any) => x.name)).toEqual(['web']);
    // The cursor of that answer is a good one to go on from.
    const next = await overview(`?watch=1&timeoutSeconds=1&resourceVersion=${encodeURIComponent(woke.body.metadata.resourceVersion)}`);
    expect(next.body.changed).toBe(false);
  });

  it.each([
    ['?resourceVersion=abc', 'resourceVersion'],
    ['?timeoutSeconds=3', 'timeoutSeconds'],
    ['?watch=1&resourceVersion=not-a-cursor', 'resourceVersion'],
    ['?watch=1&timeoutSeconds=3600', 'timeoutSeconds'],
    ['?watch=yes', 'watch'],
    ['?labelSelector=a%3Db', 'labelSelector'],
  ])('refuses %s with a 422 naming %s', async (query, field) => {
    const r = await overview(query);
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toContain(field);
  });
});
