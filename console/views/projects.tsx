/** @jsxImportSource hono/jsx */
// The projects list and a project's overview: every application at a glance (pods and their
// state, last build, route URL) and the quota use, refreshed every few seconds by htmx.
import type { AppView, Obj, ProjectView, Rights } from '../data.ts';
import { Csrf, Head, Page, type Viewer } from './layout.tsx';

const GOOD = new Set(['Running', 'Complete', 'Succeeded']);
const BAD = new Set(['Failed', 'Error', 'Cancelled', 'CrashLoopBackOff']);

/** A phase as a coloured pill (the word itself carries the meaning; colour only helps). */
export function State({ phase }: { phase?: string }) {
  const p = phase ?? 'Unknown';
  return <span class={`pill ${GOOD.has(p) ? 's-ok' : BAD.has(p) ? 's-bad' : 's-wait'}`}>{p}</span>;
}

export const projectUrl = (project: string, rest = ''): string => `/console/p/${encodeURIComponent(project)}${rest}`;

export function ProjectsPage({ viewer, projects }: { viewer: Viewer; projects: Obj[] }) {
  return (
    <Page title="Projects" viewer={viewer}>
      <h1>Projects</h1>
      {projects.length === 0 ? <p>You have no projects yet. Create one to build and run applications in it.</p> : null}
      <table>
        <Head cols={['Name', 'Display name?', 'Created?']} />
        <tbody>
          {projects.map((p) => (
            <tr>
              <td>
                <a href={projectUrl(p.metadata.name)}>{p.metadata.name}</a>
              </td>
              <td class="opt">{p.spec?.displayName ?? ''}</td>
              <td class="opt">{p.metadata.creationTimestamp?.slice(0, 10)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Create a project</h2>
      <form method="post" action="/console/projects" class="stack">
        <Csrf viewer={viewer} />
        <label>
          Name <span class="help">lower-case letters, digits and dashes, e.g. my-shop</span>
          <input name="name" required pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" maxlength={63} />
        </label>
        <label>
          Display name <span class="help">optional</span>
          <input name="displayName" maxlength={256} />
        </label>
        <div>
          <button type="submit">Create project</button>
        </div>
      </form>
    </Page>
  );
}

const TABS = [
  ['', 'Overview'],
  ['/builds', 'Builds'],
  ['/events', 'Events'],
  ['/members', 'Members'],
] as const;

export function ProjectTabs({ project, current, rights }: { project: string; current: string; rights: Rights }) {
  return (
    <nav class="tabs" aria-label="Project">
      {TABS.map(([rest, label]) => (
        <a href={projectUrl(project, rest)} aria-current={rest === current ? 'page' : undefined}>
          {label}
        </a>
      ))}
      {rights.edit ? <a href={projectUrl(project, '/new-app')} aria-current={current === '/new-app' ? 'page' : undefined}>Add an application</a> : null}
      {rights.edit ? <a href={projectUrl(project, '/templates')} aria-current={current === '/templates' ? 'page' : undefined}>From a template</a> : null}
    </nav>
  );
}

function AppCard({ project, app }: { project: string; app: AppView }) {
  const { dc } = app;
  const name = dc.metadata.name;
  const ready = dc.status?.readyReplicas ?? 0;
  return (
    <section class="card" aria-labelledby={`app-${name}`} data-app={name}>
      <h3 id={`app-${name}`}>
        <a href={projectUrl(project, `/apps/${encodeURIComponent(name)}`)}>{name}</a>
      </h3>
      <p>
        <span data-ready>{ready}</span> of {dc.spec.replicas} pods ready · revision {dc.status?.latestVersion ?? 0}
      </p>
      <ul class="pods" aria-label={`Pods of ${name}`}>
        {app.pods.map((pod) => (
          <li data-pod={pod.metadata.name}>
            {pod.metadata.name} <State phase={pod.status?.reason === 'CrashLoopBackOff' ? 'CrashLoopBackOff' : pod.status?.phase} />
          </li>
        ))}
        {app.pods.length === 0 ? <li class="muted">no pods</li> : null}
      </ul>
      <p>
        Last build:{' '}
        {app.lastBuild ? (
          <>
            <a href={projectUrl(project, `/builds/${encodeURIComponent(app.lastBuild.metadata.name)}`)}>{app.lastBuild.metadata.name}</a> <State phase={app.lastBuild.status?.phase} />
          </>
        ) : (
          <span class="muted">none</span>
        )}
      </p>
      <p>
        {app.urls.length ? (
          app.urls.map((u) => (
            <a href={u} target="_blank" rel="noopener" hx-boost="false" data-route-url>
              {u}
            </a>
          ))
        ) : (
          <span class="muted">not exposed</span>
        )}
      </p>
    </section>
  );
}

function Quota({ quotas }: { quotas: Obj[] }) {
  const rows = quotas.flatMap((q) => Object.entries((q.status?.hard ?? {}) as Record<string, string>).map(([k, hard]) => [k, q.status?.used?.[k] ?? '0', hard] as const));
  if (rows.length === 0) return <p class="muted">This project has no quota.</p>;
  return (
    <table>
      <Head cols={['Resource', 'Used', 'Limit']} />
      <tbody>
        {rows.map(([k, used, hard]) => (
          <tr>
            <td>{k}</td>
            <td>{used}</td>
            <td>{hard}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The live part of the overview; htmx fetches it again every 3 s and swaps it in place. */
export function OverviewBody({ view }: { view: ProjectView }) {
  return (
    <div id="overview" hx-get={projectUrl(view.project, '/overview')} hx-trigger="every 3s" hx-target="this" hx-select="unset" hx-swap="outerHTML">
      <h2>Applications</h2>
      {view.apps.length === 0 ? <p>No applications yet.</p> : null}
      <div class="cards">
        {view.apps.map((app) => (
          <AppCard project={view.project} app={app} />
        ))}
      </div>
      <h2>Quota</h2>
      <Quota quotas={view.quotas} />
    </div>
  );
}

export function OverviewPage({ viewer, view, rights }: { viewer: Viewer; view: ProjectView; rights: Rights }) {
  return (
    <Page title={view.project} viewer={viewer}>
      <p class="crumbs">
        <a href="/console/projects">Projects</a> /
      </p>
      <h1>{view.project}</h1>
      <ProjectTabs project={view.project} current="" rights={rights} />
      <OverviewBody view={view} />
      {rights.admin ? (
        <>
          <h2>Delete this project</h2>
          <form method="post" action={projectUrl(view.project, '/delete')} class="inline" data-confirm={`Delete project ${view.project} and everything in it?`}>
            <Csrf viewer={viewer} />
            <button type="submit" class="danger">
              Delete project {view.project}
            </button>
          </form>
        </>
      ) : null}
    </Page>
  );
}
