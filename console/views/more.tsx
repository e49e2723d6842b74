/** @jsxImportSource hono/jsx */
// A project's events and members (role bindings), and the cluster administrators' pages: users,
// hosts and trials.
import type { Child } from 'hono/jsx';
import type { Obj, Rights } from '../data.ts';
import type { PlainError } from '../errors.ts';
import { Action } from './app.tsx';
import { Csrf, Head, Page, type Viewer } from './layout.tsx';
import { ProjectTabs, projectUrl } from './projects.tsx';

function Table({ head, rows }: { head: string[]; rows: Child[][] }) {
  return (
    <table>
      <Head cols={head} />
      <tbody>
        {rows.map((r) => (
          <tr>
            {r.map((cell) => (
              <td>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A project's page: crumbs, title, the project's tabs, and the error of the last action if any. */
export function ProjectFrame({ viewer, project, rights, current, title, error, children }: { viewer: Viewer; project: string; rights: Rights; current: string; title: string; error?: PlainError; children?: Child }) {
  return (
    <Page title={`${title} · ${project}`} viewer={viewer} error={error}>
      <p class="crumbs">
        <a href="/console/projects">Projects</a> / <a href={projectUrl(project)}>{project}</a> /
      </p>
      <h1>{title}</h1>
      <ProjectTabs project={project} current={current} rights={rights} />
      {children}
    </Page>
  );
}

export function EventsPage({ viewer, project, events, rights }: { viewer: Viewer; project: string; events: Obj[]; rights: Rights }) {
  const rows = events.map((e) => [e.spec.lastTimestamp ?? e.metadata.creationTimestamp ?? '', e.spec.type, `${e.spec.involvedObject.kind}/${e.spec.involvedObject.name}`, e.spec.reason, e.spec.message]);
  return (
    <ProjectFrame viewer={viewer} project={project} rights={rights} current="/events" title="Events">
      {events.length ? <Table head={['When', 'Type', 'Object', 'Reason', 'Message']} rows={rows} /> : <p>No events.</p>}
    </ProjectFrame>
  );
}

export function MembersPage({ viewer, project, bindings, rights }: { viewer: Viewer; project: string; bindings: Obj[]; rights: Rights }) {
  const base = projectUrl(project, '/members');
  const rows = bindings.flatMap((b) =>
    (b.spec.subjects as { kind: string; name: string }[]).map((s) => [
      s.name,
      s.kind,
      b.spec.role,
      <Action viewer={viewer} action={`${base}/remove`} label="Remove" danger confirm={`Remove ${s.name}'s ${b.spec.role} role?`}>
        <input type="hidden" name="role" value={b.spec.role} />
        <input type="hidden" name="kind" value={s.kind} />
        <input type="hidden" name="name" value={s.name} />
      </Action>,
    ]),
  );
  return (
    <ProjectFrame viewer={viewer} project={project} rights={rights} current="/members" title="Members">
      {!rights.admin ? (
        <p>Only the project's admins see and change its members.</p>
      ) : (
        <>
          <Table head={['Name', 'Kind', 'Role', 'Action']} rows={rows} />
          <h2>Add a member</h2>
          <form method="post" action={`${base}/add`} class="stack">
            <Csrf viewer={viewer} />
            <label>
              User name
              <input name="name" required />
            </label>
            <label>
              Role
              <select name="role">
                <option value="view">view: sees everything but secrets, changes nothing</option>
                <option value="edit">edit: builds, deploys and changes applications</option>
                <option value="admin">admin: also members and the project itself</option>
              </select>
            </label>
            <input type="hidden" name="kind" value="User" />
            <div>
              <button type="submit">Add member</button>
            </div>
          </form>
        </>
      )}
    </ProjectFrame>
  );
}

export function AdminPage({ viewer, title, head, rows, children }: { viewer: Viewer; title: string; head: string[]; rows: Child[][]; children?: Child }) {
  return (
    <Page title={title} viewer={viewer}>
      <h1>{title}</h1>
      <Table head={head} rows={rows} />
      {children}
    </Page>
  );
}

export function ErrorPage({ viewer, back, error }: { viewer?: Viewer; back: string; error: PlainError }) {
  return (
    <Page title={error.title} viewer={viewer} error={error}>
      <p>
        <a href={back}>Go back</a>
      </p>
    </Page>
  );
}
