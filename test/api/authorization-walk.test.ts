// Walks every route the API registers and proves tenancy: a user without a binding in project P
// can neither read nor change anything in P, a viewer cannot write, an editor cannot touch
// policy or the project itself, and only cluster-admins reach cluster-wide routes.
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TABLES } from '../../shared/api/route.ts';
import { KINDS } from '../../shared/model/kinds.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

const P = 'walled';
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
  Route: { host: 'walk.apps.example.test', to: { kind: 'Service', name: 'walk' } },
};
const isWrite = (method: string) => method !== 'GET';

beforeAll(async () => {
  api = await testApi();
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
    const spec = def.spec.safeParse({}).success ? def.spec.parse({}) : SAMPLE_SPECS[def.kind];
    expect(def.spec.safeParse(spec).success, `a valid sample spec for ${def.kind}`).toBe(true);
    await api.store.create({ kind: def.kind, metadata: { name: TARGET, project: P }, spec });
  }
  await api.store.create({ kind: 'Group', metadata: { name: TARGET, project: '' }, spec: { users: [] } });
  await api.identity.createUser(TARGET, 'a-long-password');

  const table = ACCESS_TABLES.get(api.app)!;
  routes = api.app.routes
    .filter((r) => r.method !== 'ALL')
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
  });

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

  it('a viewer reads objects, events and the project, but cannot write anything or read bindings', async () => {
    const before = await snapshot(api);
    for (const r of routes.filter((x) => x.path.includes(':project'))) {
      const res = await api.call(r.method, concrete(r.path), tokens.viewer, isWrite(r.method) && r.method !== 'DELETE' ? {} : undefined);
      const readsPolicy = r.path.includes('/rolebindings');
      // The walk's pod is on no host, so reading its log is let through and then refused as "not yet" (409).
      const expected = isWrite(r.method) || readsPolicy ? 403 : r.path.endsWith('/pods/:name/log') ? 409 : 200;
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: expected });
    }
    expect(await snapshot(api)).toEqual(before);
  });

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
