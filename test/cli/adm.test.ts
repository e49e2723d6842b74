// adm: users, groups and project policy, proved by what the users can then do through the CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
const configMap = (project: string, name: string) =>
  h.api.call('POST', `/api/v1/projects/${project}/configmaps`, h.api.adminToken, { metadata: { name }, spec: { data: { k: 'v' } } });
const binding = async (project: string, role: string) => (await h.api.call('GET', `/api/v1/projects/${project}/rolebindings/${role}`, h.api.adminToken)).body;

beforeAll(async () => {
  h = await startCli();
  await h.login('admin');
  await h.berth(['new-project', 'team']);
  await configMap('team', 'one');
  await configMap('team', 'two');
  await configMap('team', 'three');
});
afterAll(() => h.close());

describe('berth adm create-user and create-group', () => {
  it('creates a user who can then log in', async () => {
    const r = await h.berth(['adm', 'create-user', 'bob', '--password', 'password-bob', '--full-name', 'Bob Builder']);

    expect(r).toEqual({ code: 0, stdout: 'user "bob" created\n', stderr: '' });
    expect((await h.login('bob')).code).toBe(0);
    expect((await h.berth(['whoami'], 'bob')).stdout).toBe('bob\n');
    expect((await h.berth(['get', 'user', 'bob'])).stdout).toMatch(/\nbob\s+Bob Builder\s+\d+s\n$/);
  });

  it('creates a group with members', async () => {
    await h.berth(['adm', 'create-user', 'gina', '-p', 'password-gina']);

    const r = await h.berth(['adm', 'create-group', 'testers', 'gina']);

    expect(r.stdout).toBe('group "testers" created with "gina"\n');
    expect((await h.berth(['get', 'groups'])).stdout).toMatch(/\ntesters\s+gina\s+\d+s\n$/);
  });

  it('is refused to users who are not cluster-admins', async () => {
    await h.api.user('mallory');
    await h.login('mallory');

    const r = await h.berth(['adm', 'create-user', 'eve', '-p', 'password-eve'], 'mallory');

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: user "mallory" is not a cluster administrator\nhint: [^\n]+\n$/);
    expect((await h.api.call('GET', '/api/v1/users/eve', h.api.adminToken)).status).toBe(404);
  });
});

describe('berth adm policy', () => {
  it('add-role-to-user edit lets the user read and change objects', async () => {
    const r = await h.berth(['adm', 'policy', 'add-role-to-user', 'edit', 'bob', '-n', 'team']);

    expect(r.stdout).toBe('role "edit" added to user "bob" in project "team"\n');
    expect((await binding('team', 'edit')).spec).toEqual({ role: 'edit', subjects: [{ kind: 'User', name: 'bob' }] });
    await h.login('bob');
    expect((await h.berth(['get', 'cm', '-n', 'team'], 'bob')).stdout).toMatch(/^NAME\s+DATA\s+AGE\none\s/);
    expect((await h.berth(['delete', 'cm', 'three', '-n', 'team'], 'bob')).code).toBe(0);
    expect((await h.api.call('GET', '/api/v1/projects/team/configmaps/three', h.api.adminToken)).status).toBe(404);
  });

  it('says so when the user already has the role, and changes nothing', async () => {
    const before = await binding('team', 'edit');

    const r = await h.berth(['adm', 'policy', 'add-role-to-user', 'edit', 'bob', '-n', 'team']);

    expect(r).toEqual({ code: 0, stdout: 'user "bob" already has role "edit" in project "team"\n', stderr: '' });
    expect((await binding('team', 'edit')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('a view user can read but not delete', async () => {
    await h.api.user('carol');
    await h.berth(['adm', 'policy', 'add-role-to-user', 'view', 'carol', '-n', 'team']);
    await h.login('carol');

    expect((await h.berth(['get', 'cm', 'one', '-n', 'team'], 'carol')).code).toBe(0);
    const r = await h.berth(['delete', 'cm', 'one', '-n', 'team'], 'carol');

    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: user "carol" cannot delete objects in project "team"\nhint: ask a project admin for a role binding\n',
    });
    expect((await h.api.call('GET', '/api/v1/projects/team/configmaps/one', h.api.adminToken)).status).toBe(200);
  });

  it('remove-role-from-user takes the access away, and deletes a binding left empty', async () => {
    const r = await h.berth(['adm', 'policy', 'remove-role-from-user', 'view', 'carol', '-n', 'team']);

    expect(r.stdout).toBe('role "view" removed from user "carol" in project "team"\n');
    expect((await h.api.call('GET', '/api/v1/projects/team/rolebindings/view', h.api.adminToken)).status).toBe(404);
    expect((await h.berth(['get', 'cm', '-n', 'team'], 'carol')).stderr).toMatch(/^error: user "carol" cannot list objects in project "team"\n/);
  });

  it('remove-role-from-user of a role the user does not have is an error', async () => {
    const r = await h.berth(['adm', 'policy', 'remove-role-from-user', 'admin', 'carol', '-n', 'team']);

    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: user "carol" does not have role "admin" in project "team"\nhint: see the bindings with `berth get rolebindings -n team`\n',
    });
    expect((await binding('team', 'admin')).spec.subjects).toEqual([{ kind: 'User', name: 'admin' }]);
  });

  it('add-role-to-group gives the role to the group\'s members; remove-role-from-group takes it back', async () => {
    await h.login('gina');
    expect((await h.berth(['get', 'cm', '-n', 'team'], 'gina')).code).toBe(1);

    await h.berth(['adm', 'policy', 'add-role-to-group', 'view', 'testers', '-n', 'team']);
    expect((await h.berth(['get', 'cm', '-n', 'team'], 'gina')).code).toBe(0);

    await h.berth(['adm', 'policy', 'remove-role-from-group', 'view', 'testers', '-n', 'team']);
    expect((await h.berth(['get', 'cm', '-n', 'team'], 'gina')).code).toBe(1);
  });

  it('concurrent grants on one binding all land: conflicts are re-read and retried', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];

    const results = await Promise.all(users.map((u) => h.berth(['adm', 'policy', 'add-role-to-user', 'edit', u, '-n', 'team'])));

    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
    const names = (await binding('team', 'edit')).spec.subjects.map((s: { name: string }) => s.name);
    expect(names.sort()).toEqual(['bob', ...users]);
  });

  it('concurrent grants of a role nobody has yet create the binding once and keep every subject', async () => {
    const users = ['c1', 'c2', 'c3'];

    const results = await Promise.all(users.map((u) => h.berth(['adm', 'policy', 'add-role-to-user', 'view', u, '-n', 'team'])));

    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect((await binding('team', 'view')).spec.subjects.map((s: { name: string }) => s.name).sort()).toEqual(users);
  });

  it('only admins of the project may change its policy', async () => {
    const r = await h.berth(['adm', 'policy', 'add-role-to-user', 'admin', 'bob', '-n', 'team'], 'bob');

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: user "bob" cannot \w+ role bindings in project "team"\nhint: ask a project admin for a role binding\n$/);
    expect((await binding('team', 'admin')).spec.subjects).toEqual([{ kind: 'User', name: 'admin' }]);
  });
});
