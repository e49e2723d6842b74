// Attack: a stranger who signed up a minute ago goes after the trial machinery. They try to lift
// their own quota, limit range or the trial plan, make a second project (one at a time and all
// at once), read the audit log, extend or convert their own trial or end another's, drop the
// trial label from their project, sign up under an existing user's name (the admin's), a reserved
// name or another tenant's project, and learn from the login lockout whether a user exists. All
// through the API on DynamoDB Local; each refusal changes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { FREE_FAILURES } from '../../shared/auth/login-throttle.ts';
import { TRIAL_LABEL } from '../../shared/trials/settings.ts';
import { snapshot } from '../support/dynamo.ts';
import { trialApi, type TrialApi } from '../trials/support.ts';

let api: TrialApi;
let victim: string;
let stranger: string;

beforeAll(async () => {
  api = await trialApi();
  victim = (await api.signup({ username: 'victim', password: 'victims-password' }, '192.0.2.10')).body.token;
  stranger = (await api.signup({ username: 'stranger', password: 'strangers-password' }, '192.0.2.66')).body.token;
});

/** Asserts the request is refused with `status` and that the table (login counts aside) is unchanged. */
async function refused(status: number, method: string, path: string, token: string | undefined, body?: unknown) {
  const rows = async () => (await snapshot(api)).filter((r) => !/C#(AuditEvent|LoginThrottle|SignupWindow)/.test(r));
  const before = await rows();
  const res = await api.call(method, path, token, body);
  expect(res.status).toBe(status);
  expect(await rows()).toEqual(before);
  return res;
}

describe('a trial tenant against its own limits', () => {
  it('cannot raise, replace or remove its quota or limit range', async () => {
    const quota = (await api.call('GET', '/api/v1/projects/stranger/resourcequotas/trial', stranger)).body;
    await refused(403, 'PUT', '/api/v1/projects/stranger/resourcequotas/trial', stranger, { metadata: { name: 'trial', resourceVersion: quota.metadata.resourceVersion }, spec: { hard: { pods: 1000 } } });
    await refused(403, 'DELETE', '/api/v1/projects/stranger/resourcequotas/trial', stranger);
    await refused(403, 'DELETE', '/api/v1/projects/stranger/limitranges/trial', stranger);
    await refused(403, 'POST', '/api/v1/projects/stranger/resourcequotas', stranger, { metadata: { name: 'mine' }, spec: { hard: {} } });
  });

  it('cannot read or change the trial plan', async () => {
    await refused(403, 'GET', '/api/v1/trialplan', stranger);
    await refused(403, 'PUT', '/api/v1/trialplan', stranger, { spec: { quota: { hard: { pods: 1000 } } } });
  });

  it('cannot make a second project, one at a time or ten at once', async () => {
    await refused(403, 'POST', '/api/v1/projects', stranger, { metadata: { name: 'stranger-two' } });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => api.call('POST', '/api/v1/projects', stranger, { metadata: { name: `burst-${i}` } })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(403));
    const mine = (await api.call('GET', '/api/v1/projects', stranger)).body.items.map((p: any) => p.metadata.name);
    expect(mine).toEqual(['stranger']);
  });

  it('cannot raise its own project limit, extend or convert its trial, or end the victim’s', async () => {
    await refused(403, 'PUT', '/api/v1/users/stranger/projectlimit', stranger, { projects: 100 });
    await refused(403, 'POST', '/api/v1/trials/stranger/extend', stranger, { days: 365 });
    await refused(403, 'POST', '/api/v1/trials/stranger/convert', stranger);
    await refused(403, 'POST', '/api/v1/trials/victim/expire', stranger);
    await refused(403, 'GET', '/api/v1/trials', stranger);
  });

  it('cannot drop the trial label from its project (the idler and expiry read it)', async () => {
    const project = (await api.call('GET', '/api/v1/projects/stranger', stranger)).body;
    const { [TRIAL_LABEL]: _dropped, ...labels } = project.metadata.labels;
    const res = await refused(403, 'PUT', '/api/v1/projects/stranger', stranger, { metadata: { name: 'stranger', resourceVersion: project.metadata.resourceVersion, labels: { ...labels, [TRIAL_LABEL]: 'false' } }, spec: {} });
    expect(res.body.details[0].field).toBe(`metadata.labels.${TRIAL_LABEL}`);
  });

  it('cannot read the audit log (which names who signed up from where)', async () => {
    await refused(403, 'GET', '/api/v1/audit', stranger);
  });
});

describe('a sign-up against other tenants', () => {
  it("cannot take the admin's name: 409, and the admin's password still works", async () => {
    const res = await api.signup({ username: 'admin', password: 'attackers-password', project: 'takeover' }, '192.0.2.66');
    expect(res.status).toBe(409);
    expect(res.body.details[0].field).toBe('username');
    expect((await api.call('POST', '/api/v1/login', undefined, { username: 'admin', password: 'attackers-password' })).status).toBe(401);
    expect((await api.call('POST', '/api/v1/login', undefined, { username: 'admin', password: 'admin-password' })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/projects/takeover', api.adminToken)).status).toBe(404);
  });

  it("cannot take the victim's project: 409, and the project is the victim's alone", async () => {
    const res = await api.signup({ username: 'squatter', password: 'a-long-password', project: 'victim' }, '192.0.2.66');
    expect(res.status).toBe(409);
    expect(res.body.details[0].field).toBe('project');
    expect((await api.call('GET', '/api/v1/users/squatter', api.adminToken)).status).toBe(404);
    const bindings = (await api.call('GET', '/api/v1/projects/victim/rolebindings', victim)).body.items;
    expect(bindings.flatMap((b: any) => b.spec.subjects.map((s: any) => s.name))).toEqual(['victim']);
  });

  it('cannot take a reserved name for its user or its project', async () => {
    expect((await api.signup({ username: 'system', password: 'a-long-password', project: 'ok-name' })).status).toBe(403);
    expect((await api.signup({ username: 'ok-name', password: 'a-long-password', project: 'openshift' })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/projects/openshift', api.adminToken)).status).toBe(404);
  });
});

describe('login lockout', () => {
  it('answers a trial user and a name nobody has exactly alike, lock included', async () => {
    const answers = async (username: string) => {
      const out: unknown[] = [];
      for (let i = 0; i <= FREE_FAILURES.user; i++) {
        const r = await api.call('POST', '/api/v1/login', undefined, { username, password: `guess-${i}` });
        out.push({ status: r.status, body: { ...r.body, message: r.body.message.replace(/\d+ s/, 'N s') } });
      }
      return out;
    };
    const [real, ghost] = [await answers('victim'), await answers('nobody-here')];
    expect(ghost).toEqual(real);
    expect(real.at(-1)).toMatchObject({ status: 429 });
    const audit = (await api.call('GET', '/api/v1/audit', api.adminToken)).body.items.map((e: any) => [e.spec.type, e.spec.user]);
    expect(audit).toContainEqual(['LoginLocked', 'victim']);
    expect(audit).toContainEqual(['LoginFailed', 'nobody-here']);
  });
});
