// Walks every route the API registers and proves tenancy: a user without a binding in project P
// can neither read nor change anything in P, a viewer cannot write, an editor cannot touch
// policy or the project itself, and only cluster-admins reach cluster-wide routes. Then the
// indirect paths: webhook secrets (a credential: for edit and up), system annotations (no
// tenant writes them through any route), route hosts (no project takes another's), and logs
// (reached only through their own project).
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TABLES } from '../../shared/api/route.ts';
import { KINDS } from '../../shared/model/kinds.ts';
import { REDACTED } from '../../shared/builds/trigger-codec.ts';
import { routeAdmission } from '../../shared/routing/admission.ts';
import { isAdmitted } from '../../shared/routing/types.ts';
import type { Route } from '../../shared/model/objects.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

const P = 'walled';
const DOMAIN = 'apps.example.test';
const WEBHOOK_SECRET = 'walk-webhook-secret';
const TARGET = 'walk-target';
let api: TestApi;
let tokens: Record<'owner' | 'outsider' | 'viewer' | 'editor', string>;
let routes: { method: string; path: string; access: any }[];

const concrete = (path: string) => path.replace(':project', P).replace(':name', TARGET);
/** Specs for kinds that have required fields (every other kind is made from its defaults). */
const SAMPLE_SPECS: Record<string, unknown> = {
  RoleBinding: { role: 'view', subjects: [] },
  BuildConfig: {
    source: { git: { uri: 'file:///nowhere' } },
    strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'berth/python' } } },
    output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } },
    triggers: [{ type: 'Generic', generic: { secret: WEBHOOK_SECRET } }],
  },
  Build: {
    source: { git: { uri: 'file:///nowhere' } },
    strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'berth/python' } } },
    output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } },
  },
  Event: { involvedObject: { kind: 'ConfigMap', name: TARGET }, type: 'Normal', reason: 'Walk', message: 'x', count: 1, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:00:00Z' },
  DeploymentConfig: { selector: { app: 'walk' }, template: { metadata: { labels: { app: 'walk' } }, spec: { containers: [{ name: 'walk', image: 'walk:1' }] } }, triggers: [] },
  ReplicationController: { replicas: 0, selector: { app: 'walk' }, template: { metadata: { labels: { app: 'walk' } }, spec: { containers: [{ name: 'walk', image: 'walk:1' }] } } },
  Pod: { containers: [{ name: 'walk', image: 'walk:1' }] },
  Service: { selector: { app: 'walk' }, ports: [{ port: 8080 }] },
  Route: { host: `walk.${DOMAIN}`, to: { kind: 'Service', name: 'walk' } },
  PersistentVolumeClaim: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
};
const isWrite = (method: string) => method !== 'GET';
/** A walk over every route makes one request per route: seconds alone, minutes on a loaded machine. */
const WALK_MS = 180_000;

beforeAll(async () => {
  api = await testApi({ appsDomain: DOMAIN });
  tokens = {
    owner: await api.user('owner'),
    outsider: await api.user('outsider'),
    viewer: await api.user('viewer'),
    editor: await api.user('editor'),
  };
  expect((await api.call('POST', '/api/v1/projects', tokens.owner, { metadata: { name: P } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', tokens.outsider, { metadata: { name: 'outsiders-own' } })).status).toBe(201);
  for (const [role, who] of [['view', 'viewer'], ['edit', 'editor']] as const) {
    const r = await api.call('POST', `/api/v1/projects/${P}/rolebindings`, tokens.owner, {
      metadata: { name: role },
      spec: { role, subjects: [{ kind: 'User', name: who }] },
    });
    expect(r.status).toBe(201);
  }
  // One object of every project-scoped kind, named TARGET, so that every path names something real.
  for (const def of KINDS.values()) {
    if (def.scope !== 'project') continue;
    const spec = def.spec.safeParse({}).success ? def.spec.parse({}) : def.spec.parse(SAMPLE_SPECS[def.kind]);
    await api.store.create({ kind: def.kind, metadata: { name: TARGET, project: P }, spec });
  }
  await api.store.create({ kind: 'Group', metadata: { name: TARGET, project: '' }, spec: { users: [] } });
  await api.identity.createUser(TARGET, 'a-long-password');

  const table = ACCESS_TABLES.get(api.app)!;
  // The console's pages call these routes with the user's token; test/security/console.test.ts walks them.
  routes = api.app.routes
    .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/console'))
    .map((r) => ({ method: r.method, path: r.path, access: table.get(`${r.method} ${r.path}`) }));
});

describe('the authorisation walk', () => {
  it('finds the routes and every route declares who may call it', () => {
    expect(routes.length).toBeGreaterThan(25);
    const undeclared = routes.filter((r) => !r.access && r.path !== '/healthz' && r.path !== '/openapi.json');
    expect(undeclared).toEqual([]);
    // Every project-scoped kind is reachable through the walk.
    for (const def of KINDS.values()) {
      if (def.scope === 'project') expect(routes.some((r) => r.path === `/api/v1/projects/:project/${def.plural}/:name`)).toBe(true);
    }
  });

  it('a user without a binding in P gets 403 on every route of P and changes nothing', async () => {
    const projectRoutes = routes.filter((r) => r.path.includes(':project'));
    expect(projectRoutes.length).toBeGreaterThan(15);
    const before = await snapshot(api);
    const results = [];
    for (const r of projectRoutes) {
      const res = await api.call(r.method, concrete(r.path), tokens.outsider, r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      results.push({ route: `${r.method} ${r.path}`, status: res.status, leaks: JSON.stringify(res.body).includes(TARGET) });
    }
    expect(results.filter((x) => x.status !== 403 || x.leaks)).toEqual([]);
    expect(await snapshot(api)).toEqual(before);
  }, WALK_MS);

  it('a project that does not exist looks the same to an outsider as one that does', async () => {
    const real = await api.call('GET', `/api/v1/projects/${P}/configmaps`, tokens.outsider);
    const ghost = await api.call('GET', '/api/v1/projects/no-such-project/configmaps', tokens.outsider);
    expect(real.status).toBe(403);
    expect(ghost.status).toBe(403);
    expect(ghost.body.code).toBe(real.body.code);
  });

  it('cluster-wide routes refuse users who are not cluster-admins, and change nothing', async () => {
    const clusterRoutes = routes.filter((r) => r.access?.kind === 'cluster-admin');
    expect(clusterRoutes.length).toBeGreaterThanOrEqual(9);
    const before = await snapshot(api);
    for (const r of clusterRoutes) {
      const res = await api.call(r.method, concrete(r.path), tokens.owner, isWrite(r.method) && r.method !== 'DELETE' ? {} : undefined);
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 403 });
    }
    expect(await snapshot(api)).toEqual(before);
  });

  it('a viewer reads objects, events and the project, but cannot write anything or read bindings or secrets', async () => {
    const before = await snapshot(api);
    for (const r of routes.filter((x) => x.path.includes(':project'))) {
      const res = await api.call(r.method, concrete(r.path), tokens.viewer, isWrite(r.method) && r.method !== 'DELETE' ? {} : undefined);
      const readsPolicy = r.path.includes('/rolebindings') || r.path.includes('/secrets');
      // The walk's pod is on no host, so reading its log is let through and then refused as "not yet" (409).
      const expected = isWrite(r.method) || readsPolicy ? 403 : r.path.endsWith('/pods/:name/log') ? 409 : 200;
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: expected });
    }
    expect(await snapshot(api)).toEqual(before);
  }, WALK_MS);

  it('an editor changes app objects but not bindings, status, or the project', async () => {
    const before = await snapshot(api);
    const refused = routes.filter(
      (r) => r.path.includes(':project') && isWrite(r.method) && (r.path.includes('/rolebindings') || r.path.endsWith('/status') || r.path === '/api/v1/projects/:project'),
    );
    expect(refused.length).toBeGreaterThan(5);
    for (const r of refused) {
      const res = await api.call(r.method, concrete(r.path), tokens.editor, r.method === 'DELETE' ? undefined : {});
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 403 });
    }
    expect(await snapshot(api)).toEqual(before);
    const made = await api.call('POST', `/api/v1/projects/${P}/configmaps`, tokens.editor, { metadata: { name: 'by-editor' }, spec: { data: {} } });
    expect(made.status).toBe(201);
  });

  it('project lists show only the projects a user is bound in', async () => {
    const mine = await api.call('GET', '/api/v1/projects', tokens.outsider);
    expect(mine.body.items.map((p: any) => p.metadata.name)).toEqual(['outsiders-own']);
    const viewer = await api.call('GET', '/api/v1/projects', tokens.viewer);
    expect(viewer.body.items.map((p: any) => p.metadata.name)).toEqual([P]);
  });

  it('a group binding grants its members the role, and only them', async () => {
    await api.user('grouped');
    const g = await api.call('POST', '/api/v1/groups', api.adminToken, { metadata: { name: 'readers' }, spec: { users: ['grouped'] } });
    expect(g.status).toBe(201);
    const b = await api.call('POST', `/api/v1/projects/${P}/rolebindings`, tokens.owner, {
      metadata: { name: 'readers-view' },
      spec: { role: 'view', subjects: [{ kind: 'Group', name: 'readers' }] },
    });
    expect(b.status).toBe(201);
    const grouped = (await api.identity.login('grouped', 'password-grouped')).token;
    expect((await api.call('GET', `/api/v1/projects/${P}/configmaps`, grouped)).status).toBe(200);
    expect((await api.call('POST', `/api/v1/projects/${P}/configmaps`, grouped, { metadata: { name: 'nope' }, spec: {} })).status).toBe(403);
    expect((await api.call('GET', `/api/v1/projects/${P}/configmaps`, tokens.outsider)).status).toBe(403);
  });

  it('a cluster-admin reaches everything', async () => {
    expect((await api.call('GET', `/api/v1/projects/${P}/rolebindings`, api.adminToken)).status).toBe(200);
    expect((await api.call('GET', '/api/v1/users', api.adminToken)).status).toBe(200);
  });
});

describe('the authorisation walk: indirect paths', () => {
  const writable = () => [...KINDS.values()].filter((d) => d.scope === 'project' && d.writable);
  /** What `token` reads of P's object, ready to PUT back (or the project, for kind Project). */
  const readBack = async (path: string, token: string) => {
    const { metadata, spec } = (await api.call('GET', path, token)).body;
    const { project: _, ...rest } = metadata;
    return { metadata: path.endsWith(`/projects/${P}`) ? rest : metadata, spec };
  };

  it('webhooks: a viewer reads every BuildConfig with its webhook secrets redacted; editors and up see them', async () => {
    for (const path of [`/api/v1/projects/${P}/buildconfigs/${TARGET}`, `/api/v1/projects/${P}/buildconfigs`]) {
      const seen = await api.call('GET', path, tokens.viewer);
      expect(seen.status).toBe(200);
      expect(JSON.stringify(seen.body)).not.toContain(WEBHOOK_SECRET);
      expect(JSON.stringify(seen.body)).toContain(REDACTED);
      for (const who of [tokens.editor, tokens.owner, api.adminToken]) expect(JSON.stringify((await api.call('GET', path, who)).body)).toContain(WEBHOOK_SECRET);
    }
    const before = await snapshot(api);
    for (const guess of [REDACTED, 'walk-target', '']) {
      const res = await api.app.request(`/webhooks/${P}/${TARGET}/generic/${encodeURIComponent(guess)}`, { method: 'POST' });
      expect(res.status).toBeGreaterThanOrEqual(403);
      expect(res.status).toBeLessThan(500);
    }
    expect(await snapshot(api)).toEqual(before);
  });

  it('annotations: no tenant, not even the project admin, adds a system annotation or label through any route', async () => {
    // Quotas and limit ranges are left out: the owner may not write them at all (test/security/quota.test.ts).
    const paths = [`/api/v1/projects/${P}`, ...writable().filter((d) => d.category !== 'quota').map((d) => `/api/v1/projects/${P}/${d.plural}/${TARGET}`)];
    const before = await snapshot(api);
    for (const path of paths) {
      for (const map of ['annotations', 'labels'] as const) {
        const body = await readBack(path, tokens.owner);
        const res = await api.call('PUT', path, tokens.owner, { ...body, metadata: { ...body.metadata, [map]: { ...body.metadata[map], 'berth.io/walk': 'x' } } });
        expect({ path, map, status: res.status, field: res.body.details?.[0]?.field }).toEqual({ path, map, status: 403, field: `metadata.${map}.berth.io/walk` });
      }
    }
    for (const d of writable()) {
      const res = await api.call('POST', `/api/v1/projects/${P}/${d.plural}`, tokens.editor, { metadata: { name: 'walk-new', annotations: { 'berth.io/uid-range': '1/1' } }, spec: SAMPLE_SPECS[d.kind] ?? {} });
      expect({ kind: d.kind, status: res.status }).toEqual({ kind: d.kind, status: 403 });
    }
    expect(await snapshot(api)).toEqual(before);
  });

  it("hosts: another project can neither take P's route host nor P's generated names", async () => {
    const admission = routeAdmission({ store: api.store, domain: DOMAIN });
    await admission.reconcile({ kind: 'Route', project: P, name: TARGET });
    const taken = await api.call('POST', '/api/v1/projects/outsiders-own/routes', tokens.outsider, { metadata: { name: 'grab' }, spec: { host: `walk.${DOMAIN}`, to: { kind: 'Service', name: 'x' } } });
    expect(taken.status).toBe(201);
    await admission.reconcile({ kind: 'Route', project: 'outsiders-own', name: 'grab' });
    expect(isAdmitted((await api.store.get<Route>({ kind: 'Route', project: 'outsiders-own', name: 'grab' }))!)).toBe(false);
    expect(isAdmitted((await api.store.get<Route>({ kind: 'Route', project: P, name: TARGET }))!)).toBe(true);
    for (const host of [`${TARGET}-${P}.${DOMAIN}`, `api.${TARGET}-${P}.${DOMAIN}`]) {
      const res = await api.call('POST', '/api/v1/projects/outsiders-own/routes', tokens.outsider, { metadata: { name: 'squat' }, spec: { host, to: { kind: 'Service', name: 'x' } } });
      expect({ host, status: res.status, field: res.body.details?.[0]?.field }).toEqual({ host, status: 422, field: 'spec.host' });
    }
  });

  it("logs: a build's or pod's log is reached only through its own project", async () => {
    await api.builds.logs.append({ kind: 'Build', project: P, name: TARGET }, 'walk-log-line\n');
    expect((await api.call('GET', `/api/v1/projects/${P}/builds/${TARGET}/log`, tokens.viewer)).body).toContain('walk-log-line');
    for (const path of [
      `/api/v1/projects/outsiders-own/builds/..%2F${P}%2F${TARGET}/log`,
      `/api/v1/projects/outsiders-own/builds/${TARGET}/log`,
      `/api/v1/projects/outsiders-own/pods/..%2F${P}%2F${TARGET}/log`,
      `/api/v1/projects/${P}/builds/${TARGET}/log`,
      `/api/v1/projects/${P}/pods/${TARGET}/log`,
    ]) {
      const res = await api.call('GET', path, tokens.outsider);
      expect({ path, status: res.status >= 400 && res.status < 500 }).toEqual({ path, status: true });
      expect(JSON.stringify(res.body)).not.toContain('walk-log-line');
    }
  });
});
