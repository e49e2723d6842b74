// Attack: a stranger who just signed up goes after another tenant through templates and Lists:
// writing or deleting templates in the shared `openshift` project or in the victim's, reading the
// victim's templates or processing them, making objects in the victim's project through a List
// of their own whose items name the victim's namespace, following the victim's image streams from
// a template's DeploymentConfig, a `view` member making objects through a List, and an `edit`
// member granting roles or lifting quotas through one.
// Every attempt is refused and leaves nothing behind.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSharedTemplates } from '../../shared/templates/shared-templates.ts';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
let victim: string, stranger: string, viewer: string;
const template = { apiVersion: 'template.openshift.io/v1', kind: 'Template', metadata: { name: 'private' }, parameters: [{ name: 'SECRET', value: 'victim-only-7d1e' }], objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { v: '${SECRET}' } }] };
const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { a: 'b' } });

beforeAll(async () => {
  api = await testApi();
  victim = await api.user('victim');
  stranger = await api.user('stranger');
  viewer = await api.user('viewer');
  await ensureSharedTemplates(api.store);
  for (const [who, name] of [[victim, 'bank'], [stranger, 'evil']] as const) expect((await api.call('POST', '/api/v1/projects', who, { metadata: { name } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/bank/rolebindings', victim, { metadata: { name: 'view' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/bank/templates', victim, template)).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/bank/imagestreams', victim, { metadata: { name: 'app' } })).status).toBe(201);
});

describe('templates of the shared project', () => {
  it('cannot be written, replaced or deleted by a tenant', async () => {
    const stored = (await api.call('GET', '/api/v1/projects/openshift/templates/postgresql-persistent', api.adminToken)).body;
    expect((await api.call('POST', '/api/v1/projects/openshift/templates', stranger, { ...template, metadata: { name: 'trojan' } })).status).toBe(403);
    expect((await api.call('PUT', '/api/v1/projects/openshift/templates/postgresql-persistent', stranger, { ...stored, spec: { ...stored.spec, message: 'pwned' } })).status).toBe(403);
    expect((await api.call('DELETE', '/api/v1/projects/openshift/templates/postgresql-persistent', stranger)).status).toBe(403);
    expect((await api.call('POST', '/api/v1/projects/openshift/lists?mode=apply', stranger, { kind: 'List', items: [{ ...template, metadata: { name: 'postgresql-persistent' } }] })).status).toBe(403);
    const after = (await api.call('GET', '/api/v1/projects/openshift/templates/postgresql-persistent', api.adminToken)).body;
    expect(after.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    expect((await api.call('GET', '/api/v1/projects/openshift/templates/trojan', api.adminToken)).status).toBe(404);
  });
});

describe("another tenant's templates", () => {
  it('cannot be read, listed, processed in place, changed or deleted', async () => {
    const reads = await Promise.all([
      api.call('GET', '/api/v1/projects/bank/templates/private', stranger),
      api.call('GET', '/api/v1/projects/bank/templates', stranger),
      api.call('POST', '/api/v1/projects/bank/processedtemplates', stranger, { ...template, parameterValues: {} }),
      api.call('POST', '/api/v1/projects/bank/templates', stranger, { ...template, metadata: { name: 'mine' } }),
      api.call('DELETE', '/api/v1/projects/bank/templates/private', stranger),
    ]);
    expect(reads.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(JSON.stringify(reads)).not.toContain('victim-only-7d1e');
    expect((await api.call('GET', '/api/v1/projects/bank/templates/private', victim)).status).toBe(200);
  });
});

describe('Lists aimed at another project', () => {
  it('posted to the victim\'s project are refused before any item is looked at', async () => {
    const res = await api.call('POST', '/api/v1/projects/bank/lists', stranger, { kind: 'List', items: [cm('planted')] });
    expect(res.status).toBe(403);
    expect((await api.call('GET', '/api/v1/projects/bank/configmaps/planted', victim)).status).toBe(404);
  });

  it("posted to the stranger's own project with items naming the victim's namespace (or project) make nothing anywhere", async () => {
    for (const meta of [{ namespace: 'bank' }, { project: 'bank' }]) {
      const res = await api.call('POST', '/api/v1/projects/evil/lists?mode=apply', stranger, { kind: 'List', items: [cm('fine'), cm('planted', meta)] });
      expect(res.status).toBe(422);
      expect(res.body.details[0].field).toBe(`items[1].metadata.${Object.keys(meta)[0]}`);
    }
    expect((await api.call('GET', '/api/v1/projects/bank/configmaps/planted', victim)).status).toBe(404);
    expect((await api.call('GET', '/api/v1/projects/evil/configmaps/fine', stranger)).status).toBe(404);
  });

  it("cannot make a DeploymentConfig follow the victim's image stream (only its own project's or openshift's)", async () => {
    const dc = {
      apiVersion: 'apps.openshift.io/v1',
      kind: 'DeploymentConfig',
      metadata: { name: 'thief' },
      spec: {
        selector: { app: 'thief' },
        template: { metadata: { labels: { app: 'thief' } }, spec: { containers: [{ name: 'c', image: '' }] } },
        triggers: [{ type: 'ImageChange', imageChangeParams: { containerNames: ['c'], from: { kind: 'ImageStreamTag', name: 'app:latest', namespace: 'bank' } } }],
      },
    };
    const res = await api.call('POST', '/api/v1/projects/evil/lists', stranger, { kind: 'List', items: [dc] });
    expect(res.status).toBe(422);
    expect(res.body.details[0].field).toBe('items[0].spec.triggers[0].imageChangeParams.from.namespace');
    const direct = await api.call('POST', '/api/v1/projects/evil/deploymentconfigs', stranger, dc);
    expect(direct.status).toBe(422);
    const bc = { apiVersion: 'build.openshift.io/v1', kind: 'BuildConfig', metadata: { name: 'thief' }, spec: { source: { git: { uri: 'https://git.example.com/x.git' } }, strategy: { type: 'Source', sourceStrategy: { from: { kind: 'ImageStreamTag', name: 'app:latest', namespace: 'bank' } } }, output: { to: { kind: 'ImageStreamTag', name: 'thief:latest' } } } };
    const build = await api.call('POST', '/api/v1/projects/evil/buildconfigs', stranger, bc);
    expect([build.status, build.body.details[0].field]).toEqual([422, 'spec.strategy.sourceStrategy.from.namespace']);
    expect((await api.call('GET', '/api/v1/projects/evil/deploymentconfigs/thief', stranger)).status).toBe(404);
  });

  it('a view member of the project cannot make objects through a List, nor process templates there', async () => {
    const res = await api.call('POST', '/api/v1/projects/bank/lists', viewer, { kind: 'List', items: [cm('from-viewer')] });
    expect(res.status).toBe(403);
    expect((await api.call('GET', '/api/v1/projects/bank/configmaps/from-viewer', victim)).status).toBe(404);
    expect((await api.call('POST', '/api/v1/projects/bank/processedtemplates', viewer, template)).status).toBe(403);
  });

  it('an editor cannot grant roles or lift quotas through a List: each item is authorised as itself', async () => {
    expect((await api.call('POST', '/api/v1/projects/bank/rolebindings', victim, { metadata: { name: 'edit' }, spec: { role: 'edit', subjects: [{ kind: 'User', name: 'stranger' }] } })).status).toBe(201);
    const binding = { apiVersion: 'v1', kind: 'RoleBinding', metadata: { name: 'takeover' }, spec: { role: 'admin', subjects: [{ kind: 'User', name: 'stranger' }] } };
    const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'unlimited' }, spec: { hard: { pods: '1000' } } };
    for (const item of [binding, quota]) {
      const res = await api.call('POST', '/api/v1/projects/bank/lists', stranger, { kind: 'List', items: [cm('decoy'), item] });
      expect(res.status).toBe(403);
      expect(res.body.message).toContain(`items[1] (${item.kind}`);
    }
    expect((await api.call('GET', '/api/v1/projects/bank/rolebindings/takeover', victim)).status).toBe(404);
    expect((await api.call('GET', '/api/v1/projects/bank/configmaps/decoy', victim)).status).toBe(404);
    expect((await api.call('DELETE', '/api/v1/projects/bank/rolebindings/edit', victim)).status).toBe(204);
  });
});
