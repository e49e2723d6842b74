/** @jsxImportSource hono/jsx */
// Adding an application: a builder image and either an uploaded archive of the source directory
// or a git URL; the console then does what `berth new-app` does.
import type { Rights } from '../data.ts';
import type { PlainError } from '../errors.ts';
import { Csrf, Page, type Viewer } from './layout.tsx';
import { ProjectTabs, projectUrl } from './projects.tsx';

export function NewAppPage({ viewer, project, builders, rights, error }: { viewer: Viewer; project: string; builders: { name: string; image: string; description?: string }[]; rights: Rights; error?: PlainError }) {
  return (
    <Page title={`Add an application · ${project}`} viewer={viewer} error={error}>
      <p class="crumbs">
        <a href="/console/projects">Projects</a> / <a href={projectUrl(project)}>{project}</a> /
      </p>
      <h1>Add an application</h1>
      <ProjectTabs project={project} current="/new-app" rights={rights} />
      {builders.length === 0 ? <p>This platform offers no builder images; ask its administrator to configure one.</p> : null}
      <form method="post" action={projectUrl(project, '/new-app')} enctype="multipart/form-data" class="stack" hx-boost="false">
        <Csrf viewer={viewer} />
        <label>
          Name <span class="help">names the build, the deployment and the service</span>
          <input name="name" required pattern="[a-z]([a-z0-9-]*[a-z0-9])?" maxlength={58} />
        </label>
        <label>
          Builder
          <select name="builder">
            {builders.map((b) => (
              <option value={b.name}>
                {b.name} ({b.image})
              </option>
            ))}
          </select>
        </label>
        <fieldset class="stack">
          <legend>Source: one of</legend>
          <label>
            Archive of your source directory <span class="help">.tar or .tar.gz, e.g. made with tar czf app.tgz -C mydir .</span>
            <input name="archive" type="file" accept=".tar,.tgz,.tar.gz,application/gzip,application/x-tar" />
          </label>
          <label>
            Git repository URL <span class="help">https://…, optionally #branch</span>
            <input name="git" type="url" placeholder="https://github.com/org/repo.git" />
          </label>
        </fieldset>
        <div>
          <button type="submit">Create and build</button>
        </div>
      </form>
    </Page>
  );
}
