/** @jsxImportSource hono/jsx */
// Creating from a template: the templates of the project and of the shared `openshift` project,
// one template's parameters as a form (description, required, default, generated when left
// blank), and, once its objects are made, the template's message (generated credentials), shown once.
import type { Obj, Rights } from '../data.ts';
import type { PlainError } from '../errors.ts';
import type { TemplateParameter } from '../../shared/templates/types.ts';
import { Csrf, Head, type Viewer } from './layout.tsx';
import { ProjectFrame } from './more.tsx';
import { projectUrl } from './projects.tsx';

/** A template as the pages show it: where it lives and its fields (a stored Template keeps them under spec). */
export interface TemplateView {
  source: string;
  name: string;
  displayName: string;
  description: string;
  parameters: TemplateParameter[];
}

export function templateView(source: string, t: Obj): TemplateView {
  const annotations = t.metadata.annotations ?? {};
  return {
    source,
    name: t.metadata.name,
    displayName: annotations['openshift.io/display-name'] ?? t.metadata.name,
    description: annotations.description ?? '',
    parameters: t.spec?.parameters ?? [],
  };
}

export const templateUrl = (project: string, t: { source: string; name: string }): string =>
  projectUrl(project, `/templates/${encodeURIComponent(t.source)}/${encodeURIComponent(t.name)}`);

/** The form field of a parameter (its name is letters, digits and `_`). */
export const paramField = (name: string): string => `p_${name}`;

export function TemplatesPage({ viewer, project, rights, templates }: { viewer: Viewer; project: string; rights: Rights; templates: TemplateView[] }) {
  return (
    <ProjectFrame viewer={viewer} project={project} rights={rights} current="/templates" title="Create from a template">
      <p>A template makes a set of objects (a database with its secret, service and volume, say) from a few parameters.</p>
      {templates.length === 0 ? <p>No templates: neither this project nor the shared project has any.</p> : null}
      <table>
        <Head cols={['Template', 'From', 'Description?']} />
        <tbody>
          {templates.map((t) => (
            <tr data-template={t.name}>
              <td>
                <a href={templateUrl(project, t)}>{t.displayName}</a> <span class="muted">({t.name})</span>
              </td>
              <td>{t.source === project ? 'this project' : t.source}</td>
              <td class="opt">{t.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ProjectFrame>
  );
}

export function TemplateFormPage({ viewer, project, rights, template, values, error, problems }: { viewer: Viewer; project: string; rights: Rights; template: TemplateView; values: Record<string, string>; error?: PlainError; problems?: Record<string, string> }) {
  return (
    <ProjectFrame viewer={viewer} project={project} rights={rights} current="/templates" title={`Create from ${template.displayName}`} error={error}>
      {template.description ? <p>{template.description}</p> : null}
      <form method="post" action={templateUrl(project, template)} class="stack">
        <Csrf viewer={viewer} />
        {template.parameters.length === 0 ? <p>This template has no parameters.</p> : null}
        {template.parameters.map((p) => {
          const id = paramField(p.name);
          const problem = problems?.[p.name];
          const help = [p.description, p.generate ? 'Leave blank to have one generated.' : '', p.required && !p.generate ? 'Required.' : ''].filter(Boolean).join(' ');
          return (
            <label for={id}>
              {p.displayName ?? p.name}
              {p.required && !p.generate ? ' *' : ''} <span class="help">{p.name}{help ? ` — ${help}` : ''}</span>
              {problem ? <span class="field-error" id={`${id}-error`}>{problem}</span> : null}
              <input
                id={id}
                name={id}
                value={values[p.name] ?? (p.generate ? '' : (p.value ?? ''))}
                placeholder={p.generate ? 'generated' : undefined}
                required={Boolean(p.required && !p.generate && !p.value)}
                aria-invalid={problem ? 'true' : undefined}
                aria-describedby={problem ? `${id}-error` : undefined}
              />
            </label>
          );
        })}
        <div>
          <button type="submit">Create</button>
        </div>
      </form>
    </ProjectFrame>
  );
}

export function TemplateDonePage({ viewer, project, rights, template, made, message, generated }: { viewer: Viewer; project: string; rights: Rights; template: TemplateView; made: Obj[]; message?: string; generated: { name: string; value: string }[] }) {
  return (
    <ProjectFrame viewer={viewer} project={project} rights={rights} current="/templates" title={`Created from ${template.displayName}`}>
      <div class="notice" role="status">
        Made {made.length} object{made.length === 1 ? '' : 's'}: {made.map((o) => `${String(o.kind).toLowerCase()}/${o.metadata.name}`).join(', ')}.
      </div>
      {message || generated.length ? (
        <section aria-labelledby="message-title">
          <h2 id="message-title">Keep this now</h2>
          <p class="muted">This is shown once: the console keeps no copy. Generated values are also in the objects the template made (its Secret, say).</p>
          {message ? <pre class="message" data-template-message>{message}</pre> : null}
          {generated.length ? (
            <table>
              <Head cols={['Generated parameter', 'Value']} />
              <tbody>
                {generated.map((g) => (
                  <tr>
                    <td>{g.name}</td>
                    <td>
                      <code>{g.value}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>
      ) : null}
      <p>
        <a href={projectUrl(project)}>Go to the overview</a>
      </p>
    </ProjectFrame>
  );
}
