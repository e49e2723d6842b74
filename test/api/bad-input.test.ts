// Bad input gets a clear 4xx naming the field at fault, never a 500, and nothing is written.
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenId } from '../../shared/auth/tokens.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

let api: TestApi;
let token: string;
const base = '/api/v1/projects/inputs/configmaps';

beforeAll(async () => {
  api = await testApi();
  token = await api.user('dev');
  expect((await api.call('POST', '/api/v1/projects', token, { metadata: { name: 'inputs' } })).status).toBe(201);
  expect((await api.call('POST', base, token, { metadata: { name: 'existing' }, spec: { data: { k: 'v' } } })).status).toBe(201);
});

describe('bad input', () => {
  it.each([
    ['wrong type in spec', { metadata: { name: 'a' }, spec: { data: { k: 1 } } }, 'spec.data.k'],
    ['unknown top-level field', { metadata: { name: 'a' }, spec: {}, extra: true }, 'extra'],
    ['unknown nested field', { metadata: { name: 'a', colour: 'red' }, spec: {} }, 'metadata.colour'],
    ['name with capitals', { metadata: { name: 'Hello' }, spec: {} }, 'metadata.name'],
    ['name with underscore', { metadata: { name: 'a_b' }, spec: {} }, 'metadata.name'],
    ['name too long', { metadata: { name: 'a'.repeat(64) }, spec: {} }, 'metadata.name'],
    ['empty name', { metadata: { name: '' }, spec: {} }, 'metadata.name'],
    ['missing metadata', { spec: {} }, 'metadata'],
    ['bad label key', { metadata: { name: 'a', labels: { 'not ok': 'x' } }, spec: {} }, 'metadata.labels.not ok'],
    ['project mismatch', { metadata: { name: 'a', project: 'other' }, spec: {} }, 'metadata.project'],
    ['body is an array', [], '(body)'],
  ])('%s → 422 naming %s, nothing written', async (_, body, field) => {
    const before = await snapshot(api);
    const res = await api.call('POST', base, token, body);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('Invalid');
    expect(res.body.details.map((d: any) => d.field)).toContain(field);
    expect(res.body.message).toContain(field);
    expect(await snapshot(api)).toEqual(before);
  });

  it('malformed JSON → 400 MalformedJSON', async () => {
    const before = await snapshot(api);
    const res = await api.call('POST', base, token, '{"metadata": {"name": "x"');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'MalformedJSON' });
    expect(await snapshot(api)).toEqual(before);
  });

  it('a body over 1 MiB → 413', async () => {
    const res = await api.call('POST', base, token, { metadata: { name: 'big' }, spec: { data: { k: 'x'.repeat(1024 * 1024) } } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PayloadTooLarge');
    expect(await api.store.get({ kind: 'ConfigMap', project: 'inputs', name: 'big' })).toBeUndefined();
  });

  it('a body that is not JSON → 415', async () => {
    const res = await api.app.request(base, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain', 'Content-Length': '5' },
      body: 'hello',
    });
    expect(res.status).toBe(415);
  });

  it.each([
    ['no token', undefined],
    ['an unknown token', 'berth_not-a-real-token'],
    ['a malformed header', 'two words'],
  ])('%s → 401', async (_, t) => {
    const res = await api.call('GET', base, t);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('Unauthorized');
  });

  it('an expired token → 401, even before it is swept away', async () => {
    const { token: t } = await api.identity.login('dev', 'password-dev');
    const stored = (await api.store.get({ kind: 'Token', project: '', name: tokenId(t) }))!;
    await api.store.update({ ...stored, metadata: { ...stored.metadata, expiresAt: new Date(Date.now() - 1000).toISOString() } });
    const res = await api.call('GET', base, t);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/expired/);
  });

  it('a token is stored only as its hash', async () => {
    const { token: t } = await api.identity.login('dev', 'password-dev');
    const rows = await snapshot(api);
    expect(rows.some((r) => r.includes(t))).toBe(false);
    expect(rows.some((r) => r.includes(tokenId(t)))).toBe(true);
  });

  it('a logged-out token no longer works', async () => {
    const { token: t } = await api.identity.login('dev', 'password-dev');
    expect((await api.call('POST', '/api/v1/logout', t)).status).toBe(204);
    expect((await api.call('GET', '/api/v1/whoami', t)).status).toBe(401);
  });

  it('a wrong password → 401 and no token (only the failure is counted, for login throttling, and audited)', async () => {
    const notCounts = (rows: string[]) => rows.filter((r) => !r.includes('LoginThrottle') && !r.includes('C#AuditEvent'));
    const before = await snapshot(api);
    const res = await api.call('POST', '/api/v1/login', undefined, { username: 'dev', password: 'wrong' });
    expect(res.status).toBe(401);
    const nobody = await api.call('POST', '/api/v1/login', undefined, { username: 'nobody', password: 'wrong' });
    expect(nobody.status).toBe(401);
    expect(nobody.body.message).toBe(res.body.message);
    const after = await snapshot(api);
    expect(notCounts(after)).toEqual(notCounts(before));
    expect(after.filter((r) => r.includes('LoginThrottle'))).toHaveLength(3);
    expect(after.filter((r) => r.includes('"LoginFailed"'))).toHaveLength(2);
  });

  it('passwords are stored as scrypt hashes', async () => {
    const rows = await snapshot(api);
    expect(rows.some((r) => r.includes('password-dev'))).toBe(false);
    expect(rows.filter((r) => r.includes('scrypt$')).length).toBeGreaterThanOrEqual(2);
  });

  it('an update without resourceVersion → 422; with a stale one → 409 and nothing changes', async () => {
    const current = (await api.call('GET', `${base}/existing`, token)).body;
    const missing = await api.call('PUT', `${base}/existing`, token, { metadata: { name: 'existing' }, spec: { data: { k: 'new' } } });
    expect(missing.status).toBe(422);
    expect(missing.body.details[0].field).toBe('metadata.resourceVersion');
    const ok = await api.call('PUT', `${base}/existing`, token, { metadata: current.metadata, spec: { data: { k: 'v2' } } });
    expect(ok.status).toBe(200);
    expect(ok.body.metadata.generation).toBe(2);
    const stale = await api.call('PUT', `${base}/existing`, token, { metadata: current.metadata, spec: { data: { k: 'v3' } } });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('Conflict');
    expect((await api.call('GET', `${base}/existing`, token)).body.spec).toEqual({ data: { k: 'v2' } });
  });

  it('20 concurrent updates through the API with one resourceVersion: one 200, nineteen 409', async () => {
    const current = (await api.call('POST', base, token, { metadata: { name: 'contended' }, spec: { data: {} } })).body;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.call('PUT', `${base}/contended`, token, { metadata: current.metadata, spec: { data: { n: String(i) } } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it('a name in the body that differs from the path → 422', async () => {
    const current = (await api.call('GET', `${base}/existing`, token)).body;
    const res = await api.call('PUT', `${base}/existing`, token, { metadata: { ...current.metadata, name: 'other' }, spec: {} });
    expect(res.status).toBe(422);
    expect(res.body.details[0].field).toBe('metadata.name');
  });

  it.each([
    ['a continue token it never issued', '?continue=bogus', 400],
    ['a malformed label selector', '?labelSelector=novalue', 422],
    ['a limit out of range', '?limit=0', 422],
    ['an unknown query parameter', '?colour=red', 422],
  ])('%s → %i', async (_, query, status) => {
    const res = await api.call('GET', base + query, token);
    expect(res.status).toBe(status);
    expect(res.body.code).toBeTruthy();
  });

  it('missing objects → 404; unknown routes → 404 JSON', async () => {
    expect((await api.call('GET', `${base}/nope`, token)).status).toBe(404);
    const res = await api.call('GET', '/api/v1/nothing-here', token);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NotFound');
  });

  it('creating an existing name → 409 AlreadyExists, the original kept', async () => {
    const res = await api.call('POST', base, token, { metadata: { name: 'existing' }, spec: { data: { k: 'overwrite' } } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('AlreadyExists');
    expect((await api.call('GET', `${base}/existing`, token)).body.spec.data.k).not.toBe('overwrite');
  });

  it('a project whose name is taken → 409 and no binding is written for the second requester', async () => {
    const other = await api.user('late-comer');
    const before = await snapshot(api);
    const res = await api.call('POST', '/api/v1/projects', other, { metadata: { name: 'inputs' } });
    expect(res.status).toBe(409);
    expect(await snapshot(api)).toEqual(before);
  });
});
