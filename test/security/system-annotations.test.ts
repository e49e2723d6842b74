// Attack: a project admin (any stranger who made a project) rewrites what the platform decided
// about their project or objects: the UID block (`berth.io/uid-range`, which picks the UIDs
// their pods run as, so another project's files on a volume), who asked for the project, a
// build's number, a route's claim time. System labels and annotations are read-only to
// tenants on create and on update, and a PUT that leaves them out keeps them.
import { beforeAll, describe, expect, it } from 'vitest';
import { UID_RANGE_ANNOTATION, uidOfProject } from '../../shared/project/uid-blocks.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

let api: TestApi;
let victim: string;
let stranger: string;
let victimRange: string;

beforeAll(async () => {
  api = await testApi();
  victim = await api.user('victim');
  stranger = await api.user('stranger');
  const v = await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' } });
  victimRange = v.body.metadata.annotations[UID_RANGE_ANNOTATION];
  expect(victimRange).toMatch(/^\d+\/\d+$/);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'evil' } })).status).toBe(201);
});

/** The project as read, ready to PUT back (a Project's metadata has no project field). */
const project = async (token = stranger) => {
  const { metadata: { project: _, ...metadata }, ...rest } = (await api.call('GET', '/api/v1/projects/evil', token)).body;
  return { ...rest, metadata };
};

describe('system labels and annotations', () => {
  it("a project admin cannot move their project onto the victim's UID block: 403 naming the field, nothing changes", async () => {
    const p = await project();
    const before = await snapshot(api);
    const res = await api.call('PUT', '/api/v1/projects/evil', stranger, { ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, [UID_RANGE_ANNOTATION]: victimRange } } });
    expect(res.status).toBe(403);
    expect(res.body.details[0].field).toBe(`metadata.annotations.${UID_RANGE_ANNOTATION}`);
    expect(await snapshot(api)).toEqual(before);
    const stored = (await api.store.get<BerthObject>({ kind: 'Project', project: '', name: 'evil' }))!;
    expect(uidOfProject(stored)).not.toBe(Number(victimRange.split('/')[0]));
  });

  it('a PUT that leaves system annotations out keeps them, and other annotations change', async () => {
    const p = await project();
    const res = await api.call('PUT', '/api/v1/projects/evil', stranger, { ...p, metadata: { ...p.metadata, annotations: { note: 'mine' } } });
    expect(res.status).toBe(200);
    expect(res.body.metadata.annotations).toEqual({ ...p.metadata.annotations, note: 'mine' });
    expect(res.body.metadata.annotations[UID_RANGE_ANNOTATION]).toBe(p.metadata.annotations[UID_RANGE_ANNOTATION]);
  });

  it('cannot set system keys when creating a project or an object', async () => {
    const cases = [
      ['/api/v1/projects', { metadata: { name: 'evil2', annotations: { [UID_RANGE_ANNOTATION]: victimRange } } }, `metadata.annotations.${UID_RANGE_ANNOTATION}`],
      ['/api/v1/projects', { metadata: { name: 'evil3', labels: { 'berth.io/managed': 'true' } } }, 'metadata.labels.berth.io/managed'],
      ['/api/v1/projects/evil/configmaps', { metadata: { name: 'c', annotations: { 'openshift.io/requester': 'victim' } }, spec: {} }, 'metadata.annotations.openshift.io/requester'],
      ['/api/v1/projects/evil/configmaps', { metadata: { name: 'c', labels: { 'build.berth.io/x': 'y' } }, spec: {} }, 'metadata.labels.build.berth.io/x'],
    ] as const;
    for (const [path, body, field] of cases) {
      const before = await snapshot(api);
      const res = await api.call('POST', path, stranger, body);
      expect({ path, status: res.status, field: res.body.details?.[0]?.field }).toEqual({ path, status: 403, field });
      expect(await snapshot(api)).toEqual(before);
    }
  });

  it("cannot pose as someone else's request, nor remove or change a system label on an object", async () => {
    const p = await project();
    const requester = await api.call('PUT', '/api/v1/projects/evil', stranger, { ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, 'berth.io/requester': 'victim' } } });
    expect(requester.status).toBe(403);
    // A system label the platform put on an object stays, whatever the tenant sends.
    await api.store.create({ kind: 'ConfigMap', metadata: { name: 'marked', project: 'evil', labels: { 'berth.io/buildconfig': 'web', app: 'web' } }, spec: { data: {} } });
    const cm = (await api.call('GET', '/api/v1/projects/evil/configmaps/marked', stranger)).body;
    const changed = await api.call('PUT', '/api/v1/projects/evil/configmaps/marked', stranger, { ...cm, metadata: { ...cm.metadata, labels: { 'berth.io/buildconfig': 'other' } } });
    expect(changed.status).toBe(403);
    const dropped = await api.call('PUT', '/api/v1/projects/evil/configmaps/marked', stranger, { ...cm, metadata: { ...cm.metadata, labels: {} } });
    expect(dropped.status).toBe(200);
    expect(dropped.body.metadata.labels).toEqual({ 'berth.io/buildconfig': 'web' });
  });

  it("keys tenants own stay theirs: the router's annotations and new-app's mark", async () => {
    const res = await api.call('POST', '/api/v1/projects/evil/configmaps', stranger, {
      metadata: { name: 'ok', annotations: { 'haproxy.router.openshift.io/timeout': '5s', 'berth.io/generated-by': 'BerthNewApp', 'example.com/x': 'y' } },
      spec: {},
    });
    expect(res.status).toBe(201);
  });

  it('a cluster-admin may write them', async () => {
    const p = await project(api.adminToken);
    const res = await api.call('PUT', '/api/v1/projects/evil', api.adminToken, { ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, 'berth.io/note': 'ops' } } });
    expect(res.status).toBe(200);
    expect(res.body.metadata.annotations['berth.io/note']).toBe('ops');
  });
});
