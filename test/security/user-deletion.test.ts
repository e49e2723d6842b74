// Attack: a user the platform deleted keeps acting, or a stranger who later gets the same user
// name inherits what the deleted user was granted. Deleting a user removes its credential,
// tokens, role bindings, group memberships and cluster-admin binding; its tokens stop working at
// once (also one made by a login racing the deletion); and a deletion that fails half-way is
// finished by asking again.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../shared/api/app.ts';
import { Identity } from '../../shared/auth/identity.ts';
import { tokenId } from '../../shared/auth/tokens.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
let victim: string;

beforeAll(async () => {
  api = await testApi();
  victim = await api.user('victim');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' } })).status).toBe(201);
});

/** Makes `name`, lets them edit shop and puts them in group `staff`; their token. */
async function insider(name: string): Promise<string> {
  const token = await api.user(name);
  expect((await api.call('POST', '/api/v1/projects/shop/rolebindings', victim, { metadata: { name: `edit-${name}` }, spec: { role: 'edit', subjects: [{ kind: 'User', name }, { kind: 'User', name: 'victim' }] } })).status).toBe(201);
  const staff = await api.call('GET', '/api/v1/groups/staff', api.adminToken);
  if (staff.status === 404) expect((await api.call('POST', '/api/v1/groups', api.adminToken, { metadata: { name: 'staff' }, spec: { users: [name] } })).status).toBe(201);
  else expect((await api.call('PUT', '/api/v1/groups/staff', api.adminToken, { ...staff.body, metadata: { name: 'staff', resourceVersion: staff.body.metadata.resourceVersion }, spec: { users: [...staff.body.spec.users, name] } })).status).toBe(200);
  expect((await api.call('GET', '/api/v1/projects/shop/configmaps', token)).status).toBe(200);
  return token;
}

describe('deleting a user', () => {
  it('stops its tokens at once, and a stranger who gets the name later inherits nothing', async () => {
    const token = await insider('leaver');
    const second = (await api.identity.login('leaver', 'password-leaver')).token;
    expect((await api.call('DELETE', '/api/v1/users/leaver', api.adminToken)).status).toBe(204);
    for (const t of [token, second]) expect((await api.call('GET', '/api/v1/whoami', t)).status).toBe(401);
    expect((await api.call('POST', '/api/v1/login', undefined, { username: 'leaver', password: 'password-leaver' })).status).toBe(401);

    // A stranger is given the same name.
    const stranger = await api.user('leaver');
    expect((await api.call('GET', '/api/v1/projects/shop/configmaps', stranger)).status).toBe(403);
    expect((await api.call('GET', '/api/v1/whoami', stranger)).body.groups).toEqual([]);
    const binding = (await api.call('GET', '/api/v1/projects/shop/rolebindings/edit-leaver', victim)).body;
    expect(binding.spec.subjects).toEqual([{ kind: 'User', name: 'victim' }]);
  });

  it('a token made by a login racing the deletion dies with the user', async () => {
    await insider('racer');
    expect((await api.call('DELETE', '/api/v1/users/racer', api.adminToken)).status).toBe(204);
    // The login read the credential before it went, and writes its token after the tokens were revoked.
    const late = 'berth_late-token-of-a-racing-login';
    await api.store.create({ kind: 'Token', metadata: { name: tokenId(late), project: '', labels: { user: 'racer' }, expiresAt: new Date(Date.now() + 3600_000).toISOString() }, spec: { user: 'racer' } });
    expect((await api.call('GET', '/api/v1/projects/shop/configmaps', late)).status).toBe(401);
  });

  it('a deletion that fails half-way is finished by asking again, and tokens never outlive it', async () => {
    const token = await insider('halfway');
    // The store fails once while the tokens are revoked (a throttled or lost request).
    let failures = 1;
    const flaky: ObjectStore = new Proxy(api.store, {
      get(target, prop, receiver) {
        if (prop === 'delete') {
          return async (ref: { kind: string }, opts?: { resourceVersion?: string }) => {
            if (ref.kind === 'Token' && failures-- > 0) throw new Error('ProvisionedThroughputExceededException');
            return target.delete(ref as never, opts);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const app = createApi({ store: api.store, identity: new Identity(flaky) });
    const del = () => app.request('/api/v1/users/halfway', { method: 'DELETE', headers: { Authorization: `Bearer ${api.adminToken}` } });
    expect((await del()).status).toBe(500);
    expect((await api.call('GET', '/api/v1/whoami', token)).status).toBe(401);
    expect((await api.call('POST', '/api/v1/login', undefined, { username: 'halfway', password: 'password-halfway' })).status).toBe(401);
    expect((await del()).status).toBe(204);
    expect((await api.call('GET', '/api/v1/whoami', token)).status).toBe(401);
    expect((await api.store.list('Token', '', { labels: { user: 'halfway' } })).items).toEqual([]);
    expect((await api.call('DELETE', '/api/v1/users/halfway', api.adminToken)).status).toBe(404);
  });

  it('a deleted cluster-admin is no cluster-admin when the name comes back', async () => {
    await api.user('ops');
    const crb = (await api.store.get<any>({ kind: 'ClusterRoleBinding', project: '', name: 'cluster-admin' }))!;
    await api.store.update({ ...crb, spec: { ...crb.spec, subjects: [...crb.spec.subjects, { kind: 'User', name: 'ops' }] } });
    expect((await api.call('DELETE', '/api/v1/users/ops', api.adminToken)).status).toBe(204);
    const stranger = await api.user('ops');
    expect((await api.call('GET', '/api/v1/users', stranger)).status).toBe(403);
    expect((await api.call('GET', '/api/v1/users', api.adminToken)).status).toBe(200);
  });
});
