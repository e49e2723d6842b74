/** @jsxImportSource hono/jsx */
// One application (DeploymentConfig): its pods with their logs, revisions with roll back, builds,
// routes; and, for users who may change it, scale, roll out, environment and expose forms.
import type { Child } from 'hono/jsx';
import type { Obj, Rights } from '../data.ts';
import { Csrf, Head, Page, type Viewer } from './layout.tsx';
import { ProjectTabs, State, projectUrl } from './projects.tsx';

export interface AppDetail {
  project: string;
  dc: Obj;
  pods: Obj[];
  revisions: Obj[];
  builds: Obj[];
  routes: { route: Obj; url?: string }[];
  services: Obj[];
}

/** A POST form of one button (and optional fields), shown only to whoever may change things. */
export function Action({ viewer, action, label, children, danger, confirm }: { viewer: Viewer; action: string; label: string; children?: Child; danger?: boolean; confirm?: string }) {
  return (
    <form method="post" action={action} class="inline" data-confirm={confirm}>
      <Csrf viewer={viewer} />
      {children}
      <button type="submit" class={danger ? 'danger' : undefined}>
        {label}
      </button>
    </form>
  );
}

const revisionOf = (rc: Obj): number => Number(rc.metadata.annotations?.['berth.io/revision'] ?? rc.metadata.name.slice(rc.metadata.name.lastIndexOf('-') + 1));

export function AppPods({ project, app, pods }: { project: string; app: string; pods: Obj[] }) {
  return (
    <div id="pods" hx-get={projectUrl(project, `/apps/${encodeURIComponent(app)}/pods`)} hx-trigger="every 3s" hx-target="this" hx-select="unset" hx-swap="outerHTML" hx-sync="this:drop">
      <table>
        <Head cols={['Pod', 'State', 'Restarts?', 'Started?']} />
        <tbody>
          {pods.map((pod) => (
            <tr data-pod={pod.metadata.name}>
              <td>
                <a href={projectUrl(project, `/pods/${encodeURIComponent(pod.metadata.name)}`)}>{pod.metadata.name}</a>
              </td>
              <td>
                <State phase={pod.status?.phase} /> {pod.status?.reason ?? ''}
              </td>
              <td class="opt">{pod.status?.restartCount ?? 0}</td>
              <td class="opt">{pod.status?.startTime ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pods.length === 0 ? <p class="muted">No pods.</p> : null}
    </div>
  );
}

function EnvForm({ viewer, project, dc }: { viewer: Viewer; project: string; dc: Obj }) {
  const container = dc.spec.template.spec.containers[0];
  const env: { name: string; value?: string; valueFrom?: unknown }[] = container?.env ?? [];
  const text = env.filter((e) => e.valueFrom === undefined).map((e) => `${e.name}=${e.value ?? ''}`).join('\n');
  return (
    <form method="post" action={projectUrl(project, `/apps/${encodeURIComponent(dc.metadata.name)}/env`)} class="stack">
      <Csrf viewer={viewer} />
      <label>
        Environment of container {container?.name} <span class="help">one NAME=value a line; saving rolls out a new revision</span>
        <textarea name="env" rows={Math.max(3, env.length + 1)}>{text}</textarea>
      </label>
      <div>
        <button type="submit">Save environment</button>
      </div>
    </form>
  );
}

export function AppPage({ viewer, detail, rights }: { viewer: Viewer; detail: AppDetail; rights: Rights }) {
  const { project, dc } = detail;
  const name = dc.metadata.name;
  const base = projectUrl(project, `/apps/${encodeURIComponent(name)}`);
  const latest = dc.status?.latestVersion ?? 0;
  return (
    <Page title={`${name} · ${project}`} viewer={viewer}>
      <p class="crumbs">
        <a href="/console/projects">Projects</a> / <a href={projectUrl(project)}>{project}</a> /
      </p>
      <h1>{name}</h1>
      <ProjectTabs project={project} current="/apps" rights={rights} />
      <p>
        {dc.spec.replicas} replicas wanted · revision {latest}
        {dc.status?.details?.cause ? ` (${dc.status.details.cause})` : ''}
      </p>
      {rights.edit ? (
        <div>
          <Action viewer={viewer} action={`${base}/scale`} label="Scale">
            <label>
              Replicas
              <input name="replicas" type="number" min={0} max={1000} value={String(dc.spec.replicas)} required style="width:6rem" />
            </label>
          </Action>
          <Action viewer={viewer} action={`${base}/rollout`} label="Roll out latest" />
        </div>
      ) : null}
      <h2>Pods</h2>
      <AppPods project={project} app={name} pods={detail.pods} />
      <h2>Revisions</h2>
      <table>
        <Head cols={['Revision', 'State', 'Cause?', ...(rights.edit ? ['Action'] : [])]} />
        <tbody>
          {detail.revisions.map((rc) => {
            const n = revisionOf(rc);
            return (
              <tr data-revision={n}>
                <td>#{n}</td>
                <td>
                  <State phase={rc.status?.phase} /> {rc.status?.readyReplicas ?? 0}/{rc.spec.replicas} ready
                </td>
                <td class="opt">{rc.metadata.annotations?.['berth.io/cause'] ?? ''}</td>
                {rights.edit ? (
                  <td>
                    {n !== latest && rc.status?.phase === 'Complete' ? (
                      <Action viewer={viewer} action={`${base}/rollback`} label={`Roll back to #${n}`}>
                        <input type="hidden" name="toRevision" value={String(n)} />
                      </Action>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Builds</h2>
      <ul>
        {detail.builds.map((b) => (
          <li>
            <a href={projectUrl(project, `/builds/${encodeURIComponent(b.metadata.name)}`)}>{b.metadata.name}</a> <State phase={b.status?.phase} />
          </li>
        ))}
        {detail.builds.length === 0 ? <li class="muted">none</li> : null}
      </ul>
      <h2>Routes</h2>
      <ul>
        {detail.routes.map(({ route, url }) => (
          <li>
            {route.metadata.name}: {url ? <a href={url} hx-boost="false" data-route-url>{url}</a> : <span class="muted">waiting for a host</span>}
            {route.spec.tls ? ` (TLS ${route.spec.tls.termination})` : ''}
          </li>
        ))}
        {detail.routes.length === 0 ? <li class="muted">not exposed</li> : null}
      </ul>
      {rights.edit && detail.services.length ? (
        <form method="post" action={`${base}/expose`} class="stack">
          <Csrf viewer={viewer} />
          <label>
            Host name <span class="help">leave empty for a generated one</span>
            <input name="host" maxlength={253} />
          </label>
          <label>
            TLS
            <select name="tls">
              <option value="">none (plain HTTP)</option>
              <option value="edge">edge: the router terminates TLS with the platform's certificate</option>
            </select>
          </label>
          <div>
            <button type="submit">Expose {name}</button>
          </div>
        </form>
      ) : null}
      {rights.edit ? (
        <>
          <h2>Environment</h2>
          <EnvForm viewer={viewer} project={project} dc={dc} />
        </>
      ) : null}
    </Page>
  );
}
