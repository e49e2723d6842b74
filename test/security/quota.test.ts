// Attack: a tenant under a quota tries to get more than it was given. It cannot write its own
// quota or limit range (create, raise, delete, status), cannot read another project's quota,
// and cannot get past the count by scaling a DC through its spec, by firing many creations at
// once, or by deleting and recreating quickly: what it holds never passes hard, and used always
// equals what exists.
import { beforeAll, describe, expect, it } from 'vitest';
import { replicationReconciler } from '../../shared/deploy/replication.ts';
import { DC_LABEL, RC_LABEL } from '../../shared/model/deploy-kinds.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

let api: TestApi;
let tenant: string;
let stranger: string;
const P = 'tenant';
const call = (method: string, path: string, token: string, body?: unknown) => api.call(method, `/api/v1/projects/${P}${path}`, token, body);
const used = async () => (await call('GET', '/resourcequotas/plan', api.adminToken)).body.status.used;

const podSpec = { containers: [{ name: 'web', image: 'r/web@sha256:1', env: [], ports: [], resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 };
const dc = (replicas: number) => ({
  metadata: { name: 'web' },
  spec: { replicas, selector: { [DC_LABEL]: 'web' }, template: { metadata: { labels: { [DC_LABEL]: 'web' } }, spec: { containers: [{ name: 'web', image: 'r/web@sha256:1' }] } }, triggers: [] },
});

beforeAll(async () => {
  api = await testApi();
  tenant = await api.user('tenant');
  stranger = await api.user('stranger');
  expect((await api.call('POST', '/api/v1/projects', tenant, { metadata: { name: P } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'other' } })).status).toBe(201);
  const quota = { metadata: { name: 'plan' }, spec: { hard: { pods: 2, configmaps: 3, 'requests.cpu': '2' } } };
  expect((await call('POST', '/resourcequotas', api.adminToken, quota)).status).toBe(201);
  expect((await call('POST', '/limitranges', api.adminToken, { metadata: { name: 'plan' }, spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } })).status).toBe(201);
});

describe('the quota is not the tenant\'s to change', () => {
  it.each([
    ['create another quota', 'POST', '/resourcequotas', { metadata: { name: 'mine' }, spec: { hard: { pods: 1000 } } }],
    ['raise its quota', 'PUT', '/resourcequotas/plan', { metadata: { name: 'plan' }, spec: { hard: { pods: 1000 } } }],
    ['delete its quota', 'DELETE', '/resourcequotas/plan', undefined],
    ['write its quota\'s status', 'PUT', '/resourcequotas/plan/status', { metadata: { resourceVersion: '1' }, status: { used: { pods: '0' } } }],
    ['delete its limit range', 'DELETE', '/limitranges/plan', undefined],
    ['widen its limit range', 'PUT', '/limitranges/plan', { metadata: { name: 'plan' }, spec: { limits: [{ type: 'Container', max: { cpu: '16' } }] } }],
    ['create a limit range', 'POST', '/limitranges', { metadata: { name: 'mine' }, spec: { limits: [] } }],
  ])('%s: 403, nothing written', async (_, method, path, body) => {
    const stored = (await call('GET', '/resourcequotas/plan', tenant)).body;
    const fresh = body && method === 'PUT' && path === '/resourcequotas/plan' ? { ...body, metadata: stored.metadata } : body;
    const before = await snapshot(api);
    const r = await call(method, path, tenant, fresh);
    expect(r.status).toBe(403);
    expect(await snapshot(api)).toEqual(before);
  });

  it('the tenant may read its own quota (view)', async () => {
    expect((await call('GET', '/resourcequotas/plan', tenant)).status).toBe(200);
    expect((await call('GET', '/resourcequotas', tenant)).body.items.map((q: any) => q.metadata.name)).toEqual(['plan']);
  });

  it('a stranger cannot read it, nor list the project\'s quotas', async () => {
    for (const path of ['/resourcequotas/plan', '/resourcequotas', '/limitranges']) {
      const r = await call('GET', path, stranger);
      expect(r.status).toBe(403);
      expect(JSON.stringify(r.body)).not.toContain('pods');
    }
  });
});

describe('the count cannot be dodged', () => {
  it('many concurrent creations admit exactly what the quota leaves', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => call('POST', '/configmaps', tenant, { metadata: { name: `cm-${i}` }, spec: { data: {} } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status === 403);
    expect(refused).toHaveLength(27);
    expect(refused[0]!.body.message).toBe('exceeded quota: plan, requested: configmaps=1, used: configmaps=3, limited: configmaps=3');
    expect((await call('GET', '/configmaps', tenant)).body.items).toHaveLength(3);
    expect((await used()).configmaps).toBe('3');
  });

  it('scaling a DC through its spec instead of the scale API still makes no more pods than the quota', async () => {
    expect((await call('POST', '/deploymentconfigs', tenant, dc(0))).status).toBe(201);
    expect((await api.call('PUT', `/api/v1/projects/${P}/deploymentconfigs/web/scale`, tenant, { replicas: 50 })).status).toBe(403);
    const stored = (await call('GET', '/deploymentconfigs/web', tenant)).body;
    expect((await call('PUT', '/deploymentconfigs/web', tenant, { ...dc(50), metadata: stored.metadata })).status).toBe(200);
    await api.store.create({
      kind: 'ReplicationController',
      metadata: { name: 'web-1', project: P, labels: { [DC_LABEL]: 'web' } },
      spec: { replicas: 50, selector: { [RC_LABEL]: 'web-1' }, template: { metadata: { labels: {} }, spec: podSpec }, minReadySeconds: 0 },
      status: { phase: 'Running', replicas: 0, readyReplicas: 0, availableReplicas: 0 },
    });
    const rec = replicationReconciler({ store: api.store });
    await Promise.all(Array.from({ length: 5 }, () => rec.reconcile({ kind: 'ReplicationController', project: P, name: 'web-1' }).catch(() => undefined)));
    expect((await api.store.list<Pod>('Pod', P)).items).toHaveLength(2);
    expect((await used()).pods).toBe('2');
  });

  it('deleting and recreating quickly never holds more than the quota, and used stays what exists', async () => {
    const rec = replicationReconciler({ store: api.store });
    for (let round = 0; round < 4; round++) {
      const pods = (await api.store.list<Pod>('Pod', P)).items;
      await Promise.all([
        ...pods.map((p) => call('DELETE', `/pods/${p.metadata.name}`, tenant)),
        ...pods.map((p) => call('DELETE', `/pods/${p.metadata.name}`, tenant)),
        ...Array.from({ length: 4 }, () => rec.reconcile({ kind: 'ReplicationController', project: P, name: 'web-1' }).catch(() => undefined)),
      ]);
      const now = (await api.store.list<Pod>('Pod', P)).items;
      expect(now.length).toBeLessThanOrEqual(2);
      expect((await used()).pods).toBe(String(now.length));
      expect((await used())['requests.cpu']).toBe(now.length ? `${now.length * 100}m` : '0');
    }
  });
});
