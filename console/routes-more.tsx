// Console pages of a project's events and members, and the cluster administrators' pages
// (users, hosts, trials).
import type { Hono } from 'hono';
import { projectPath } from './api.ts';
import { badField, failure, field, outcome, render, type ConsoleContext, type ConsoleEnv } from './context.ts';
import { newestFirst, rightsIn, type Obj } from './data.ts';
import { Action } from './views/app.tsx';
import { AdminPage, EventsPage, MembersPage } from './views/more.tsx';
import { projectUrl } from './views/projects.tsx';

const ROLES = ['admin', 'edit', 'view'];
const enc = encodeURIComponent;

/** Adds a user to (or removes one from) the role binding named after the role, as `berth policy add-role-to-user` does. */
async function changeMember(c: ConsoleContext, change: 'add' | 'remove'): Promise<Response> {
  const project = c.req.param('project')!;
  const back = projectUrl(project, '/members');
  const [role, name, kind] = [await field(c, 'role'), await field(c, 'name'), (await field(c, 'kind')) || 'User'];
  if (!ROLES.includes(role)) return failure(c, badField('Role', 'choose admin, edit or view'), back);
  if (!name) return failure(c, badField('User name', 'give the user to add'), back);
  if (kind !== 'User' && kind !== 'Group') return failure(c, badField('Kind', 'User or Group'), back);
  const api = c.get('api');
  const path = projectPath(project, `/rolebindings/${enc(role)}`);
  const current = await api.call<Obj>('GET', path);
  if (!current.ok && current.status !== 404) return outcome(c, current, back);
  const subjects: { kind: string; name: string }[] = current.ok ? current.body.spec.subjects : [];
  const same = (s: { kind: string; name: string }) => s.kind === kind && s.name === name;
  const next = change === 'add' ? [...subjects.filter((s) => !same(s)), { kind, name }] : subjects.filter((s) => !same(s));
  if (!current.ok) return outcome(c, await api.call('POST', projectPath(project, '/rolebindings'), { metadata: { name: role }, spec: { role, subjects: next } }), back);
  if (next.length === 0) return outcome(c, await api.call('DELETE', `${path}?resourceVersion=${enc(current.body.metadata.resourceVersion ?? '')}`), back);
  return outcome(c, await api.call('PUT', path, { metadata: current.body.metadata, spec: { ...current.body.spec, subjects: next } }), back);
}

export function registerMorePages(con: Hono<ConsoleEnv>): void {
  con.get('/p/:project/events', async (c) => {
    const project = c.req.param('project');
    const api = c.get('api');
    const [events, rights] = await Promise.all([api.get<{ items: Obj[] }>(projectPath(project, '/events')), rightsIn(api, project)]);
    return render(c, EventsPage({ viewer: c.get('viewer'), project, events: events.items.sort(newestFirst).slice(0, 200), rights }));
  });
  con.get('/p/:project/members', async (c) => {
    const project = c.req.param('project');
    const api = c.get('api');
    await api.get(projectPath(project));
    const rights = await rightsIn(api, project);
    const bindings = rights.admin ? await api.items<Obj>(projectPath(project, '/rolebindings')) : [];
    return render(c, MembersPage({ viewer: c.get('viewer'), project, bindings, rights }));
  });
  con.post('/p/:project/members/add', (c) => changeMember(c, 'add'));
  con.post('/p/:project/members/remove', (c) => changeMember(c, 'remove'));

  con.get('/admin/users', async (c) => {
    const viewer = c.get('viewer');
    const users = await c.get('api').get<{ items: Obj[] }>('/api/v1/users');
    const rows = users.items.map((u) => [u.metadata.name, u.spec.fullName ?? '', u.metadata.creationTimestamp ?? '', u.metadata.name === viewer.user ? '' : <Action viewer={viewer} action={`/console/admin/users/${enc(u.metadata.name)}/delete`} label="Delete" danger confirm={`Delete user ${u.metadata.name}?`} />]);
    return render(c, AdminPage({ viewer, title: 'Users', head: ['Name', 'Full name', 'Created', 'Action'], rows }));
  });
  con.post('/admin/users/:name/delete', async (c) => outcome(c, await c.get('api').call('DELETE', `/api/v1/users/${enc(c.req.param('name'))}`), '/console/admin/users'));
  con.get('/admin/hosts', async (c) => {
    const hosts = await c.get('api').get<{ items: Obj[] }>('/api/v1/hosts');
    const rows = hosts.items.map((h) => [h.metadata.name, h.spec.provider, h.spec.address, `${h.spec.capacity?.cpu ?? ''} cpu, ${h.spec.capacity?.memory ?? ''}`, h.spec.unschedulable ? 'no' : 'yes', h.status?.phase ?? h.status?.conditions?.[0]?.type ?? '']);
    return render(c, AdminPage({ viewer: c.get('viewer'), title: 'Hosts', head: ['Name', 'Provider', 'Address', 'Capacity', 'Schedulable', 'State'], rows }));
  });
  con.get('/admin/trials', async (c) => {
    const viewer = c.get('viewer');
    const trials = await c.get('api').get<{ items: { user: string; expires: string; projects: string[] }[] }>('/api/v1/trials');
    const rows = trials.items.map((t) => [
      t.user,
      t.expires,
      t.projects.join(', '),
      <>
        <Action viewer={viewer} action={`/console/admin/trials/${enc(t.user)}/extend`} label="Extend 7 days" />
        <Action viewer={viewer} action={`/console/admin/trials/${enc(t.user)}/expire`} label="End now" danger confirm={`End ${t.user}'s trial and delete their projects?`} />
      </>,
    ]);
    return render(c, AdminPage({ viewer, title: 'Trials', head: ['User', 'Ends', 'Projects', 'Action'], rows }));
  });
  con.post('/admin/trials/:name/extend', async (c) => outcome(c, await c.get('api').call('POST', `/api/v1/trials/${enc(c.req.param('name'))}/extend`, { days: 7 }), '/console/admin/trials'));
  con.post('/admin/trials/:name/expire', async (c) => outcome(c, await c.get('api').call('POST', `/api/v1/trials/${enc(c.req.param('name'))}/expire`), '/console/admin/trials'));
}
