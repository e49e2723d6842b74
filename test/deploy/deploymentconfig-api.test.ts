// The DeploymentConfig actions of the API: instantiate (rollout latest), rollback and scale,
// with their authorisation (a viewer gets 403) and bad input (404/409/422 naming the field).
import { beforeAll, describe, expect, it } from 'vitest';
import { patchStatus } from '../../shared/store/patch.ts';
import type { ReplicationController } from '../../shared/model/objects.ts';
import { projectWithViewer, testApi, type TestApi } from '../support/api.ts';

const P = 'dapi';
let api: TestApi;
let owner: string;
let viewer: string;
const base = `/api/v1/projects/${P}/deploymentconfigs`;

const dcBody = (name: string, env: { name: string; value: string }[] = [], triggers: unknown[] = [{ type: 'ConfigChange' }]) => ({
  metadata: { name },
  spec: {
    replicas: 2,
    selector: { deploymentconfig: name },
    template: { metadata: { labels: { deploymentconfig: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:1', env }] } },
    triggers,
  },
});

async function setPhase(name: string, phase: 'Complete' | 'Failed'): Promise<void> {
  await patchStatus<ReplicationController>(api.store, { kind: 'ReplicationController', project: P, name }, (rc) => ({ ...rc.status, phase }));
}

beforeAll(async () => {
  api = await testApi();
  ({ owner, viewer } = await projectWithViewer(api, P));
  expect((await api.call('POST', base, owner, dcBody('web', [{ name: 'V', value: '1' }]))).status).toBe(201);
});

describe('POST …/deploymentconfigs/{name}/instantiate', () => {
  it('makes the next revision with cause Manual, even with no change', async () => {
    const first = await api.call('POST', `${base}/web/instantiate`, owner);
    const second = await api.call('POST', `${base}/web/instantiate`, owner);

    expect(first.status).toBe(201);
    expect(first.body.metadata.name).toBe('web-1');
    expect(second.body.metadata.name).toBe('web-2');
    expect(second.body.metadata.annotations).toMatchObject({ 'berth.io/revision': '2', 'berth.io/cause': 'Manual' });
    expect(second.body.spec).toMatchObject({ replicas: 0, selector: { deploymentconfig: 'web', deployment: 'web-2' } });
    expect(second.body.spec.template.metadata.labels).toEqual({ deploymentconfig: 'web', deployment: 'web-2' });
    const dc = await api.call('GET', `${base}/web`, owner);
    expect(dc.body.status).toMatchObject({ latestVersion: 2, details: { cause: 'Manual', message: 'manual rollout by owner' } });
  });

  it('a viewer gets 403 and nothing is made', async () => {
    const r = await api.call('POST', `${base}/web/instantiate`, viewer);

    expect(r.status).toBe(403);
    expect((await api.call('GET', `${base}/web`, owner)).body.status.latestVersion).toBe(2);
  });

  it('a DeploymentConfig that does not exist is 404', async () => {
    const r = await api.call('POST', `${base}/nope/instantiate`, owner);

    expect(r.status).toBe(404);
    expect(r.body.message).toBe('DeploymentConfig "nope" not found');
  });

  it('a paused DeploymentConfig is 409 with a hint to resume it', async () => {
    const body = dcBody('paused');
    await api.call('POST', base, owner, { ...body, spec: { ...body.spec, paused: true } });

    const r = await api.call('POST', `${base}/paused/instantiate`, owner);

    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'Conflict', message: 'deployment config "paused" is paused', suggestion: expect.stringMatching(/resume/) });
  });
});

describe('POST …/deploymentconfigs/{name}/rollback', () => {
  it('copies the previous complete revision\'s template, turns automatic image triggers off and starts a Rollback revision', async () => {
    const trigger = { type: 'ImageChange', imageChangeParams: { automatic: true, containerNames: ['web'], from: { kind: 'ImageStreamTag', name: 'web:latest' } } };
    expect((await api.call('POST', base, owner, dcBody('rb', [{ name: 'V', value: 'old' }], [{ type: 'ConfigChange' }, trigger]))).status).toBe(201);
    await api.call('POST', `${base}/rb/instantiate`, owner);
    await setPhase('rb-1', 'Complete');
    const dc = (await api.call('GET', `${base}/rb`, owner)).body;
    dc.spec.template.spec.containers[0].env = [{ name: 'V', value: 'new' }];
    expect((await api.call('PUT', `${base}/rb`, owner, { metadata: dc.metadata, spec: dc.spec })).status).toBe(200);
    await api.call('POST', `${base}/rb/instantiate`, owner);
    await setPhase('rb-2', 'Complete');

    const r = await api.call('POST', `${base}/rb/rollback`, owner, {});

    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toBe('rb-3');
    expect(r.body.metadata.annotations['berth.io/cause']).toBe('Rollback');
    expect(r.body.spec.template.spec.containers[0].env).toEqual([{ name: 'V', value: 'old' }]);
    const after = (await api.call('GET', `${base}/rb`, owner)).body;
    expect(after.spec.template.spec.containers[0].env).toEqual([{ name: 'V', value: 'old' }]);
    expect(after.spec.template.metadata.labels).toEqual({ deploymentconfig: 'rb' });
    expect(after.spec.triggers[1].imageChangeParams.automatic).toBe(false);
    expect(after.status.details).toEqual({ cause: 'Rollback', message: 'rollback to revision 1 by owner' });
  });

  it('rolls back to a named revision', async () => {
    const r = await api.call('POST', `${base}/rb/rollback`, owner, { toRevision: 2 });

    expect(r.status).toBe(201);
    expect(r.body.spec.template.spec.containers[0].env).toEqual([{ name: 'V', value: 'new' }]);
  });

  it.each([
    ['a revision that does not exist', { toRevision: 99 }, 404, undefined],
    ['a revision that is not a number', { toRevision: 'two' }, 422, 'toRevision'],
    ['an unknown field', { revision: 1 }, 422, undefined],
  ])('%s is refused and nothing changes', async (_, body, status, field) => {
    const before = (await api.call('GET', `${base}/rb`, owner)).body;

    const r = await api.call('POST', `${base}/rb/rollback`, owner, body);

    expect(r.status).toBe(status);
    if (field) expect(r.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect((await api.call('GET', `${base}/rb`, owner)).body).toEqual(before);
  });

  it('with no earlier complete revision it is 422 on toRevision', async () => {
    await api.call('POST', base, owner, dcBody('fresh'));
    await api.call('POST', `${base}/fresh/instantiate`, owner);

    const r = await api.call('POST', `${base}/fresh/rollback`, owner, {});

    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([{ field: 'toRevision', message: 'no earlier complete revision; name one with toRevision' }]);
  });

  it('a viewer gets 403', async () => {
    expect((await api.call('POST', `${base}/rb/rollback`, viewer, {})).status).toBe(403);
  });
});

describe('PUT …/deploymentconfigs/{name}/scale', () => {
  it('sets spec.replicas', async () => {
    const r = await api.call('PUT', `${base}/web/scale`, owner, { replicas: 5 });

    expect(r.status).toBe(200);
    expect(r.body.spec.replicas).toBe(5);
    expect((await api.call('GET', `${base}/web`, owner)).body.spec.replicas).toBe(5);
  });

  it.each([
    [{ replicas: -1 }, 'replicas'],
    [{ replicas: 1.5 }, 'replicas'],
    [{}, 'replicas'],
  ])('refuses %j naming the field', async (body, field) => {
    const r = await api.call('PUT', `${base}/web/scale`, owner, body);

    expect(r.status).toBe(422);
    expect(r.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect((await api.call('GET', `${base}/web`, owner)).body.spec.replicas).toBe(5);
  });

  it('a viewer gets 403 and the count stays', async () => {
    expect((await api.call('PUT', `${base}/web/scale`, viewer, { replicas: 1 })).status).toBe(403);
    expect((await api.call('GET', `${base}/web`, owner)).body.spec.replicas).toBe(5);
  });
});
