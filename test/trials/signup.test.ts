// Sign-up through the API on DynamoDB Local: a trial user and one project made from the trial
// plan in one write, logged in; bad input, reserved and taken names refused naming the field
// with nothing written; sign-ups per address limited (429 with Retry-After); off means off.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TRIAL_EXPIRES, TRIAL_LABEL } from '../../shared/trials/settings.ts';
import { DEFAULT_PLAN } from '../../shared/trials/plan.ts';
import { snapshot } from '../support/dynamo.ts';
import { DAY_MS, START, request, trialApi, type TrialApi } from './support.ts';

let api: TrialApi;
beforeAll(async () => {
  api = await trialApi();
});

describe('sign-up', () => {
  it('makes a trial user with one project from the trial plan, logged in', async () => {
    const res = await api.signup({ username: 'alice', password: 'a-long-password' });
    expect(res.status).toBe(201);
    const expires = new Date(START.getTime() + 7 * DAY_MS).toISOString();
    expect(res.body).toMatchObject({ user: 'alice', project: 'alice', trialExpires: expires });

    const me = await request(api, 'GET', '/api/v1/whoami', res.body.token);
    expect(me.body.name).toBe('alice');
    expect(me.headers.get('Berth-Trial-Expires')).toBe(expires);
    expect(me.headers.get('Warning')).toBeNull();

    const project = await request(api, 'GET', '/api/v1/projects/alice', res.body.token);
    expect(project.status).toBe(200);
    expect(project.body.metadata.labels[TRIAL_LABEL]).toBe('true');
    const quota = await request(api, 'GET', '/api/v1/projects/alice/resourcequotas/trial', res.body.token);
    expect(quota.body.spec).toEqual(DEFAULT_PLAN.quota);
    const limits = await request(api, 'GET', '/api/v1/projects/alice/limitranges/trial', res.body.token);
    expect(limits.body.spec.limits[0].max).toEqual({ cpu: '2', memory: '2Gi' });

    const user = await api.call('GET', '/api/v1/users/alice', api.adminToken);
    expect(user.body.metadata.labels[TRIAL_LABEL]).toBe('true');
    expect(user.body.metadata.annotations[TRIAL_EXPIRES]).toBe(expires);
    const audit = await api.call('GET', '/api/v1/audit', api.adminToken);
    expect(audit.body.items.map((e: any) => [e.spec.type, e.spec.user, e.spec.address])).toContainEqual(['SignUp', 'alice', '198.51.100.1']);
  });

  it('names the project as asked', async () => {
    const res = await api.signup({ username: 'bruno', password: 'a-long-password', project: 'bruno-shop' });
    expect(res.status).toBe(201);
    expect(res.body.project).toBe('bruno-shop');
    expect((await request(api, 'GET', '/api/v1/projects/bruno-shop', res.body.token)).status).toBe(200);
  });

  it('a trial plan changed by a cluster admin is what later trials get', async () => {
    const plan = { quota: { hard: { pods: 1 } }, limitRange: { limits: [{ type: 'Container', max: { cpu: '1' } }] } };
    expect((await api.call('PUT', '/api/v1/trialplan', api.adminToken, { spec: plan })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/trialplan', api.adminToken)).body.spec).toEqual(plan);
    const res = await api.signup({ username: 'carla', password: 'a-long-password' });
    expect((await request(api, 'GET', '/api/v1/projects/carla/resourcequotas/trial', res.body.token)).body.spec).toEqual(plan.quota);
    const usage = await api.store.usage('carla');
    expect(usage.hard.trial?.pods).toBe(1);
  });

  it.each([
    [{ username: 'Bad_Name', password: 'a-long-password' }, 'username'],
    [{ username: 'dora', password: 'short' }, 'password'],
    [{ username: 'dora', password: 'a-long-password', project: '-x' }, 'project'],
    [{ username: 'dora', password: 'a-long-password', admin: true }, 'admin'],
    [{ password: 'a-long-password' }, 'username'],
  ])('bad input %j is a 422 naming %s and writes nothing', async (body, field) => {
    const before = await snapshot(api);
    const res = await api.signup(body);
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: any) => d.field).join(' ')).toContain(field);
    expect(await snapshot(api)).toEqual(before);
  });

  it.each([
    [{ username: 'openshift', password: 'a-long-password', project: 'mine' }, 'username'],
    [{ username: 'kube-admin', password: 'a-long-password', project: 'mine' }, 'username'],
    [{ username: 'erin', password: 'a-long-password', project: 'berth' }, 'project'],
    [{ username: 'erin', password: 'a-long-password', project: 'default' }, 'project'],
  ])('reserved name %j is refused naming %s', async (body, field) => {
    const before = await snapshot(api);
    const res = await api.signup(body);
    expect(res.status).toBe(403);
    expect(res.body.details[0].field).toBe(field);
    expect(await snapshot(api)).toEqual(before);
  });

  it("an existing user's name or another tenant's project name is a 409 naming the field, and nothing is written but the address's count", async () => {
    const tables = async () => (await snapshot(api)).filter((row) => !row.includes('SignupWindow'));
    const before = await tables();
    const taken = await api.signup({ username: 'alice', password: 'another-password', project: 'fresh' });
    expect(taken.status).toBe(409);
    expect(taken.body.details[0].field).toBe('username');
    const project = await api.signup({ username: 'fred', password: 'a-long-password', project: 'bruno-shop' });
    expect(project.status).toBe(409);
    expect(project.body.details[0].field).toBe('project');
    const implicit = await api.signup({ username: 'bruno-shop', password: 'a-long-password' });
    expect(implicit.status).toBe(409);
    expect(implicit.body.details[0].field).toBe('username');
    expect(await tables()).toEqual(before);
  });
});

describe('sign-up settings', () => {
  let other: TrialApi | undefined;
  afterEach(() => void (other = undefined));

  it('sign-ups from one address past the hour’s allowance get 429 with Retry-After; another address may still', async () => {
    other = await trialApi({ signupsPerHour: 2 });
    expect((await other.signup({ username: 'r1', password: 'a-long-password' }, '203.0.113.5')).status).toBe(201);
    expect((await other.signup({ username: 'r2', password: 'a-long-password' }, '203.0.113.5')).status).toBe(201);
    const refused = await other.signup({ username: 'r3', password: 'a-long-password' }, '203.0.113.5');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3000);
    expect((await other.call('GET', '/api/v1/users/r3', other.adminToken)).status).toBe(404);
    expect((await other.signup({ username: 'r3', password: 'a-long-password' }, '203.0.113.6')).status).toBe(201);
    other.advance(3601 * 1000);
    expect((await other.signup({ username: 'r4', password: 'a-long-password' }, '203.0.113.5')).status).toBe(201);
  });

  it('with PAAS_SIGNUP=off sign-up is a 403 saying so, and nothing is written', async () => {
    other = await trialApi({ signup: 'off' });
    const before = await snapshot(other);
    const res = await other.signup({ username: 'gina', password: 'a-long-password' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'SignupDisabled', message: 'sign-up is off on this platform' });
    expect(await snapshot(other)).toEqual(before);
  });
});
