// Trial expiry on DynamoDB Local with the trials' clock moved by the test: the last day warns
// (an Event on the project, a Warning header on answers); the end deletes the tenant's projects
// through the project deletion, then the user, and revokes the tokens, so that afterwards no
// item of the tenant is left in the table (its audit events excepted, which expire on their
// own) while another tenant is untouched. Cluster admins extend, convert and end trials.
import { beforeAll, describe, expect, it } from 'vitest';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { trialExpiry, trialStep } from '../../shared/trials/expiry.ts';
import { TRIAL_EXPIRES, TRIAL_LABEL } from '../../shared/trials/settings.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { DAY_MS, START, itemsNaming, request, trialApi, type TrialApi } from './support.ts';

let api: TrialApi;
let expiry: Reconciler;
beforeAll(async () => {
  api = await trialApi();
  expiry = trialExpiry(api.store, api.settings.now);
});

const userRef = (name: string) => ({ kind: 'User', project: '', name });

/** Runs the trial reconciler on `user`, and the project finalizer on its projects, until both are done. */
async function settle(user: string, projects: string[]): Promise<void> {
  const finalizer = projectFinalizer(api.store);
  for (let i = 0; i < 20; i++) {
    const r = await expiry.reconcile(userRef(user));
    for (const p of projects) await finalizer.reconcile({ kind: 'Project', project: '', name: p });
    if (r.requeueAfter === undefined || r.requeueAfter > 60_000) return;
  }
  throw new Error('trial expiry did not settle');
}

async function signupWithApp(username: string) {
  const { status, body } = await api.signup({ username, password: 'a-long-password' });
  expect(status).toBe(201);
  const token: string = body.token;
  const p = `/api/v1/projects/${username}`;
  expect((await api.call('POST', `${p}/configmaps`, token, { metadata: { name: 'settings' }, spec: { data: { a: '1' } } })).status).toBe(201);
  expect((await api.call('POST', `${p}/services`, token, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] } })).status).toBe(201);
  expect((await api.call('POST', `${p}/routes`, token, { metadata: { name: 'web' }, spec: { to: { kind: 'Service', name: 'web' } } })).status).toBe(201);
  return token;
}

describe('trial expiry', () => {
  it('plans: wait until the last day, warn once, expire at the end', () => {
    const end = new Date(START.getTime() + 7 * DAY_MS).toISOString();
    expect(trialStep(end, false, START)).toEqual({ do: 'wait', ms: 3600_000 });
    expect(trialStep(end, false, new Date(START.getTime() + 6 * DAY_MS - 1000))).toEqual({ do: 'wait', ms: 1000 });
    expect(trialStep(end, false, new Date(START.getTime() + 6.5 * DAY_MS))).toEqual({ do: 'warn', ms: 3600_000 });
    expect(trialStep(end, true, new Date(START.getTime() + 7 * DAY_MS - 5000))).toEqual({ do: 'wait', ms: 5000 });
    expect(trialStep(end, true, new Date(START.getTime() + 7 * DAY_MS))).toEqual({ do: 'expire' });
  });

  it('warns in the last day, then leaves nothing of the tenant and revokes its tokens; the other tenant stays', async () => {
    const token = await signupWithApp('tina');
    const other = await signupWithApp('olga');
    expect((await expiry.reconcile(userRef('tina'))).requeueAfter).toBe(3600_000);
    expect((await request(api, 'GET', '/api/v1/whoami', token)).headers.get('Warning')).toBeNull();

    api.advance(6.5 * DAY_MS);
    await expiry.reconcile(userRef('tina'));
    const events = await api.call('GET', '/api/v1/projects/tina/events', token);
    const warnings = events.body.items.filter((e: any) => e.spec.reason === 'TrialExpiring');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].spec.message).toContain(new Date(START.getTime() + 7 * DAY_MS).toISOString());
    await expiry.reconcile(userRef('tina'));
    expect((await api.call('GET', '/api/v1/projects/tina/events', token)).body.items.filter((e: any) => e.spec.reason === 'TrialExpiring')).toHaveLength(1);
    expect((await request(api, 'GET', '/api/v1/whoami', token)).headers.get('Warning')).toMatch(/^299 berth "your trial ends at /);

    api.advance(0.5 * DAY_MS);
    expect((await itemsNaming(api, ['tina'])).length).toBeGreaterThan(10);
    await settle('tina', ['tina']);

    expect((await api.call('GET', '/api/v1/whoami', token)).status).toBe(401);
    expect((await api.call('POST', '/api/v1/login', undefined, { username: 'tina', password: 'a-long-password' })).status).toBe(401);
    const left = await itemsNaming(api, ['tina']);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((row) => row.includes('"pk":{"S":"C#AuditEvent"}') && row.includes('"ttl"'))).toBe(true);
    const audit = await api.call('GET', '/api/v1/audit', api.adminToken);
    expect(audit.body.items.map((e: any) => [e.spec.type, e.spec.user])).toContainEqual(['TrialExpired', 'tina']);

    // The other tenant, who signed up at the same moment, is ended by its own reconcile only.
    expect((await api.call('GET', '/api/v1/projects/olga/routes/web', other)).status).toBe(200);
  });

  it('a cluster admin extends a trial: the end moves, answers carry it, and the old end passes unharmed', async () => {
    api.advance(-7 * DAY_MS);
    const { body } = await api.signup({ username: 'ulla', password: 'a-long-password' });
    const res = await api.call('POST', '/api/v1/trials/ulla/extend', api.adminToken, { days: 3 });
    expect(res.status).toBe(200);
    const end = new Date(START.getTime() + 10 * DAY_MS).toISOString();
    expect(res.body.expires).toBe(end);
    expect((await request(api, 'GET', '/api/v1/whoami', body.token)).headers.get('Berth-Trial-Expires')).toBe(end);
    api.advance(8 * DAY_MS);
    await expiry.reconcile(userRef('ulla'));
    expect((await api.call('GET', '/api/v1/users/ulla', api.adminToken)).status).toBe(200);
    const trials = await api.call('GET', '/api/v1/trials', api.adminToken);
    expect(trials.body.items).toContainEqual({ user: 'ulla', expires: end, projects: ['ulla'] });
    api.advance(-8 * DAY_MS);
  });

  it('a converted trial user keeps the project (and its quota), loses the trial marks and is never expired', async () => {
    const { body } = await api.signup({ username: 'vera', password: 'a-long-password' });
    expect((await api.call('POST', '/api/v1/trials/vera/convert', api.adminToken)).status).toBe(200);
    const user = (await api.call('GET', '/api/v1/users/vera', api.adminToken)).body;
    expect(user.metadata.labels[TRIAL_LABEL]).toBeUndefined();
    expect(user.metadata.annotations[TRIAL_EXPIRES]).toBeUndefined();
    expect((await api.call('GET', '/api/v1/projects/vera', body.token)).body.metadata.labels[TRIAL_LABEL]).toBeUndefined();
    expect((await api.call('GET', '/api/v1/projects/vera/resourcequotas/trial', body.token)).status).toBe(200);
    expect((await request(api, 'GET', '/api/v1/whoami', body.token)).headers.get('Berth-Trial-Expires')).toBeNull();
    expect((await api.call('POST', '/api/v1/projects', body.token, { metadata: { name: 'vera-two' } })).status).toBe(201);
    api.advance(30 * DAY_MS);
    expect(await expiry.reconcile(userRef('vera'))).toEqual({});
    expect((await api.call('GET', '/api/v1/whoami', body.token)).status).toBe(200);
    expect((await api.call('POST', '/api/v1/trials/vera/convert', api.adminToken)).status).toBe(409);
    api.advance(-30 * DAY_MS);
  });

  it('a cluster admin ends a trial now: the next reconcile removes it', async () => {
    const { body } = await api.signup({ username: 'wanda', password: 'a-long-password' });
    expect((await api.call('POST', '/api/v1/trials/wanda/expire', api.adminToken)).status).toBe(200);
    await settle('wanda', ['wanda']);
    expect((await api.call('GET', '/api/v1/whoami', body.token)).status).toBe(401);
    expect((await api.call('GET', '/api/v1/projects/wanda', api.adminToken)).status).toBe(404);
    expect((await itemsNaming(api, ['wanda'])).every((row) => row.includes('C#AuditEvent'))).toBe(true);
  });

  it('the resync finds trials in their last day or past their end, and no others', async () => {
    await api.signup({ username: 'xena', password: 'a-long-password' });
    const refs = async () => {
      const names: string[] = [];
      for await (const r of expiry.resync!()) names.push(r.name);
      return names;
    };
    expect(await refs()).not.toContain('xena');
    api.advance(6.5 * DAY_MS);
    expect(await refs()).toContain('xena');
    api.advance(-6.5 * DAY_MS);
  });
});
