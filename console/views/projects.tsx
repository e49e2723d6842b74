/** @jsxImportSource hono/jsx */
// The projects list and a project's overview: every application at a glance (pods and their
// state, last build, route URL) and the quota use, kept live by a watch of the overview (console.js).
import type { Obj, Rights } from '../data.ts';
import type { OverviewApp, OverviewQuota, ProjectOverview } from '../../shared/overview/types.ts';
import { Csrf, Head, Page, type Viewer } from './layout.tsx';
import { projectPath as apiProjectPath } from '../api.ts';

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

function AppCard({ project, app }: { project: string; app: OverviewApp }) {
  const { name } = app;
  const urls = app.routes.flatMap((r) => (r.url ? [r.url] : []));
  return (
    <section class="card" aria-labelledby={`app-${name}`} data-app={name}>
      <h3 id={`app-${name}`}>
        <a href={projectUrl(project, `/apps/${encodeURIComponent(name)}`)}>{name}</a>
      </h3>
      <p>
        <span data-ready>{app.readyReplicas}</span> of {app.replicas} pods ready · revision {app.latestVersion}
      </p>
      <ul class="pods" aria-label={`Pods of ${name}`}>
        {app.pods.map((pod) => (
          <li data-pod={pod.name}>
            {pod.name} <State phase={pod.reason === 'CrashLoopBackOff' ? 'CrashLoopBackOff' : pod.phase} />
          </li>
        ))}
        {app.pods.length === 0 ? <li class="muted">no pods</li> : null}
      </ul>
      <p>
        Last build:{' '}
        {app.lastBuild ? (
          <>
            <a href={projectUrl(project, `/builds/${encodeURIComponent(app.lastBuild.name)}`)}>{app.lastBuild.name}</a> <State phase={app.lastBuild.phase} />
          </>
        ) : (
          <span class="muted">none</span>
        )}
      </p>
      <p>
        {urls.length ? (
          urls.map((u) => (
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

function Quota({ quotas }: { quotas: OverviewQuota[] }) {
  const rows = quotas.flatMap((q) => Object.entries(q.hard).map(([k, hard]) => [k, q.used[k] ?? '0', hard] as const));
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

/**
 * The live part of the overview. The console's script watches it: it asks `data-watch` with the
 * overview's resourceVersion (`data-since`), a long poll the server holds until something shown
 * changed, and swaps in the answer, which carries the next one; it stops while the tab is hidden.
 * Where the server cannot hold the poll, the script waits to be told of a change to the API path
 * `data-topic` on a push connection instead.
 */
export function OverviewBody({ view }: { view: ProjectOverview }) {
  const project = view.metadata.project;
  return (
    <div id="overview" data-watch={projectUrl(project, '/overview')} data-since={view.metadata.resourceVersion} data-topic={apiProjectPath(project, '/overview')} aria-live="polite">
      <h2>Applications</h2>
      {view.apps.length === 0 ? <p>No applications yet.</p> : null}
      <div class="cards">
        {view.apps.map((app) => (
          <AppCard project={project} app={app} />
        ))}
      </div>
      <h2>Quota</h2>
      <Quota quotas={view.quotas} />
    </div>
  );
}

export function OverviewPage({ viewer, view, rights }: { viewer: Viewer; view: ProjectOverview; rights: Rights }) {
  const project = view.metadata.project;
  return (
    <Page title={project} viewer={viewer}>
      <p class="crumbs">
        <a href="/console/projects">Projects</a> /
      </p>
      <h1>{project}</h1>
      <ProjectTabs project={project} current="" rights={rights} />
      <OverviewBody view={view} />
      {rights.admin ? (
        <>
          <h2>Delete this project</h2>
          <form method="post" action={projectUrl(project, '/delete')} class="inline" data-confirm={`Delete project ${project} and everything in it?`}>
            <Csrf viewer={viewer} />
            <button type="submit" class="danger">
              Delete project {project}
            </button>
          </form>
        </>
      ) : null}
    </Page>
  );
}
