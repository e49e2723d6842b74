// Project caps: a trial user has their sign-up project only; another user may create up to their
// cap (PAAS_PROJECTS_PER_USER, or what a cluster admin set for them), counted exactly under
// concurrency; a deleted project gives its slot back. Through the API on DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { eachObject, collect } from '../../shared/store/each.ts';
import { SLOT_KIND } from '../../shared/project/slots.ts';
import { trialApi, type TrialApi } from './support.ts';

let api: TrialApi;
beforeAll(async () => {
  api = await trialApi({ projectsPerUser: 2 });
});

const create = (token: string, name: string) => api.call('POST', '/api/v1/projects', token, { metadata: { name } });

describe('project caps', () => {
  it('a trial user cannot create a second project: 403 with the reason, audited', async () => {
    const { body } = await api.signup({ username: 'tess', password: 'a-long-password' });
    const res = await create(body.token, 'tess-two');
    expect(res.status).toBe(403);
    expect(res.body.details).toEqual({ reason: 'Trial' });
    expect(res.body.message).toContain('trial');
    expect((await api.call('GET', '/api/v1/projects/tess-two', api.adminToken)).status).toBe(404);
    const audit = await api.call('GET', '/api/v1/audit', api.adminToken);
    expect(audit.body.items.map((e: any) => [e.spec.type, e.spec.user, e.spec.project])).toContainEqual(['ProjectCapRefused', 'tess', 'tess-two']);
  });

  it("the trial plan's quota holds in the trial project, and a refusal is audited", async () => {
    const { body } = await api.signup({ username: 'quinn', password: 'a-long-password' });
    const route = (name: string) => api.call('POST', '/api/v1/projects/quinn/routes', body.token, { metadata: { name }, spec: { to: { kind: 'Service', name: 'web' } } });
    expect((await route('one')).status).toBe(201);
    expect((await route('two')).status).toBe(201);
    const third = await route('three');
    expect(third.status).toBe(403);
    expect(third.body.message).toBe('exceeded quota: trial, requested: routes=1, used: routes=2, limited: routes=2');
    const audit = await api.call('GET', '/api/v1/audit', api.adminToken);
    expect(audit.body.items.map((e: any) => [e.spec.type, e.spec.user, e.spec.project])).toContainEqual(['QuotaRefused', 'quinn', 'quinn']);
  });

  it('a normal user creates up to PAAS_PROJECTS_PER_USER, then gets 403 naming the limit', async () => {
    const token = await api.user('nora');
    expect((await create(token, 'nora-1')).status).toBe(201);
    expect((await create(token, 'nora-2')).status).toBe(201);
    const third = await create(token, 'nora-3');
    expect(third.status).toBe(403);
    expect(third.body.details).toEqual({ reason: 'ProjectLimit', limit: 2 });
  });

  it('a deleted project gives its place back once it is finalised', async () => {
    const token = await api.user('otto');
    expect((await create(token, 'otto-1')).status).toBe(201);
    expect((await create(token, 'otto-2')).status).toBe(201);
    expect((await api.call('DELETE', '/api/v1/projects/otto-1', token)).status).toBe(202);
    expect((await create(token, 'otto-3')).status).toBe(403);
    await projectFinalizer(api.store).reconcile({ kind: 'Project', project: '', name: 'otto-1' });
    expect((await create(token, 'otto-3')).status).toBe(201);
  });

  it('20 concurrent creations against a cap a cluster admin set to 5 make exactly 5 projects', async () => {
    const token = await api.user('pia');
    expect((await api.call('PUT', '/api/v1/users/pia/projectlimit', api.adminToken, { projects: 5 })).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => create(token, `pia-${i}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 403)).toBe(true);
    const mine = (await api.call('GET', '/api/v1/projects', token)).body.items.map((p: any) => p.metadata.name);
    expect(mine).toHaveLength(5);
    const slots = (await collect(eachObject(api.store, SLOT_KIND, ''))).filter((s) => s.metadata.name.startsWith('pia.'));
    expect(slots.map((s) => s.metadata.name).sort()).toEqual(['pia.0', 'pia.1', 'pia.2', 'pia.3', 'pia.4']);
  });

  it('a cleared limit falls back to the platform cap; cluster admins are not capped', async () => {
    expect((await api.call('PUT', '/api/v1/users/pia/projectlimit', api.adminToken, { projects: null })).status).toBe(200);
    const user = await api.call('GET', '/api/v1/users/pia', api.adminToken);
    expect(user.body.metadata.annotations['berth.io/project-limit']).toBeUndefined();
    for (let i = 0; i < 3; i++) expect((await create(api.adminToken, `admins-${i}`)).status).toBe(201);
  });

  it.each([[{ projects: -1 }], [{ projects: 1.5 }], [{ projects: 'ten' }]])('a bad limit %j is a 422 naming projects', async (body) => {
    const res = await api.call('PUT', '/api/v1/users/pia/projectlimit', api.adminToken, body);
    expect(res.status).toBe(422);
    expect(res.body.details[0].field).toBe('projects');
  });
});
