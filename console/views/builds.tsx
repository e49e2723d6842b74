/** @jsxImportSource hono/jsx */
// Builds (list, and one build with its log streaming as it is written) and one pod with its log.
import type { Obj, Rights } from '../data.ts';
import { Action } from './app.tsx';
import { Head, Page, type Viewer } from './layout.tsx';
import { ProjectTabs, State, projectUrl } from './projects.tsx';
import { projectPath as apiProjectPath } from '../api.ts';

const Crumbs = ({ project }: { project: string }) => (
  <p class="crumbs">
    <a href="/console/projects">Projects</a> / <a href={projectUrl(project)}>{project}</a> /
  </p>
);

export function BuildsPage({ viewer, project, builds, rights }: { viewer: Viewer; project: string; builds: Obj[]; rights: Rights }) {
  return (
    <Page title={`Builds · ${project}`} viewer={viewer}>
      <Crumbs project={project} />
      <h1>Builds</h1>
      <ProjectTabs project={project} current="/builds" rights={rights} />
      <table>
        <Head cols={['Build', 'State', 'Started?', 'Why?']} />
        <tbody>
          {builds.map((b) => (
            <tr>
              <td>
                <a href={projectUrl(project, `/builds/${encodeURIComponent(b.metadata.name)}`)}>{b.metadata.name}</a>
              </td>
              <td>
                <State phase={b.status?.phase} />
              </td>
              <td class="opt">{b.metadata.creationTimestamp ?? ''}</td>
              <td class="opt">{b.spec?.triggeredBy?.[0]?.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {builds.length === 0 ? <p>No builds yet.</p> : null}
    </Page>
  );
}

export function BuildPage({ viewer, project, build, rights }: { viewer: Viewer; project: string; build: Obj; rights: Rights }) {
  const name = build.metadata.name;
  const base = projectUrl(project, `/builds/${encodeURIComponent(name)}`);
  const running = !['Complete', 'Failed', 'Error', 'Cancelled'].includes(build.status?.phase ?? 'New');
  return (
    <Page title={`${name} · ${project}`} viewer={viewer}>
      <Crumbs project={project} />
      <h1>
        Build {name} <State phase={build.status?.phase} />
      </h1>
      <ProjectTabs project={project} current="/builds" rights={rights} />
      {build.status?.message ? <p>{build.status.message}</p> : null}
      {rights.edit && running ? <Action viewer={viewer} action={`${base}/cancel`} label="Cancel build" danger /> : null}
      <h2 id="log-title">Log</h2>
      <p id="log-status" role="status" class="muted">
        {running ? 'Streaming while the build runs…' : ''}
      </p>
      {/* Where the server cannot keep the log's response open, the script waits to be told of more (the log) or of the build's end (its builds) on a push connection. */}
      <pre class="log" aria-labelledby="log-title" tabindex={0} data-stream={`${base}/log`} data-resume="offset" data-status="log-status" data-topics={`${apiProjectPath(project, `/builds/${encodeURIComponent(name)}/log`)} ${apiProjectPath(project, '/builds')}`}></pre>
    </Page>
  );
}

export function PodPage({ viewer, project, pod, rights }: { viewer: Viewer; project: string; pod: Obj; rights: Rights }) {
  return (
    <Page title={`${pod.metadata.name} · ${project}`} viewer={viewer}>
      <Crumbs project={project} />
      <h1>
        Pod {pod.metadata.name} <State phase={pod.status?.phase} />
      </h1>
      <ProjectTabs project={project} current="/pods" rights={rights} />
      <p>
        {pod.status?.reason ?? ''} {pod.status?.message ?? ''} Restarts: {pod.status?.restartCount ?? 0}.
      </p>
      <h2 id="log-title">Log</h2>
      <p id="log-status" role="status" class="muted">
        The last 500 lines, then new ones as they come.
      </p>
      <pre class="log" aria-labelledby="log-title" tabindex={0} data-stream={projectUrl(project, `/pods/${encodeURIComponent(pod.metadata.name)}/log`)} data-status="log-status"></pre>
    </Page>
  );
}
