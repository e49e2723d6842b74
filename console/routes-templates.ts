// Console pages for creating from a template, as `berth new-app --template NAME -p …` does: the
// template read from the project or the shared `openshift` project, processed by the API
// (processedtemplates: parameters given, defaulted or generated) and its objects made through the
// lists route, all or nothing; then its message, shown once.
import type { Hono } from 'hono';
import { SHARED_PROJECT } from '../shared/images/namespace.ts';
import { projectPath, type ApiAnswer } from './api.ts';
import { failure, render, type ConsoleContext, type ConsoleEnv } from './context.ts';
import { rightsIn, type Obj } from './data.ts';
import { plainError, type PlainError } from './errors.ts';
import { paramField, TemplateDonePage, TemplateFormPage, TemplatesPage, templateView, type TemplateView } from './views/templates.tsx';
import { projectUrl } from './views/projects.tsx';

const enc = encodeURIComponent;

/** Where a project's templates may come from: itself and the shared project. */
const sourcesOf = (project: string): string[] => (project === SHARED_PROJECT ? [SHARED_PROJECT] : [project, SHARED_PROJECT]);

/** The template a page names, read with the user's token; a source other than the project or the shared one is not looked at (404). */
async function loadTemplate(c: ConsoleContext): Promise<{ view: TemplateView; stored: Obj } | Response> {
  const { project, source, template } = c.req.param() as { project: string; source: string; template: string };
  const api = c.get('api');
  // The project itself must be the user's to see, whichever project the template comes from.
  const [target, found] = await Promise.all([api.call('GET', projectPath(project)), sourcesOf(project).includes(source) ? api.call<Obj>('GET', projectPath(source, `/templates/${enc(template)}`)) : undefined]);
  if (!target.ok) return failure(c, plainError(target.status, target.body), '/console/projects');
  const back = projectUrl(project, '/templates');
  if (!found) return failure(c, plainError(404, { message: `templates come from project "${project}" or "${SHARED_PROJECT}", not "${source}"` }), back);
  if (!found.ok) return failure(c, plainError(found.status, found.body), back);
  return { view: templateView(source, found.body), stored: found.body };
}

/**
 * An API refusal of the parameters in words for the form: a missing required parameter (or a
 * generator that failed) is named by its label, and marked at its field.
 */
function parameterProblems(template: TemplateView, answer: ApiAnswer): { error: PlainError; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const details: { field?: string; message?: string }[] = Array.isArray(answer.body?.details) ? answer.body.details : [];
  for (const d of details) {
    const byName = /^parameters\.([A-Za-z0-9_]+)$/.exec(d.field ?? '');
    const byIndex = /^parameters\[(\d+)\]/.exec(d.field ?? '');
    const p = byName ? template.parameters.find((x) => x.name === byName[1]) : byIndex ? template.parameters[Number(byIndex[1])] : undefined;
    if (!p) continue;
    problems[p.name] = byName && /required/.test(d.message ?? '') ? 'required, fill it in.' : (d.message ?? 'not accepted');
  }
  const named = Object.keys(problems).map((name) => {
    const p = template.parameters.find((x) => x.name === name)!;
    return `${p.displayName ?? p.name} (${p.name}): ${problems[name]!.replace(/\.$/, '')}`;
  });
  if (!named.length) return { error: plainError(answer.status, answer.body), problems };
  return { error: { status: answer.status, title: 'Something in the form is not right', detail: named.join('; '), hint: 'Correct the fields marked below and send the form again.' }, problems };
}

export function registerTemplatePages(con: Hono<ConsoleEnv>): void {
  con.get('/p/:project/templates', async (c) => {
    const project = c.req.param('project');
    const api = c.get('api');
    // The project's own list is read with get: a project the user may not see fails the page (403/404).
    const [own, shared, rights] = await Promise.all([
      api.get<{ items: Obj[] }>(projectPath(project, '/templates')),
      project === SHARED_PROJECT ? Promise.resolve([]) : api.items<Obj>(projectPath(SHARED_PROJECT, '/templates')),
      rightsIn(api, project),
    ]);
    const templates = [...own.items.map((t) => templateView(project, t)), ...shared.map((t) => templateView(SHARED_PROJECT, t))];
    return render(c, TemplatesPage({ viewer: c.get('viewer'), project, rights, templates }));
  });

  con.get('/p/:project/templates/:source/:template', async (c) => {
    const project = c.req.param('project');
    const [loaded, rights] = await Promise.all([loadTemplate(c), rightsIn(c.get('api'), project)]);
    if (loaded instanceof Response) return loaded;
    return render(c, TemplateFormPage({ viewer: c.get('viewer'), project, rights, template: loaded.view, values: {} }));
  });

  con.post('/p/:project/templates/:source/:template', async (c) => {
    const project = c.req.param('project');
    const api = c.get('api');
    const [loaded, rights, form] = await Promise.all([loadTemplate(c), rightsIn(api, project), c.req.parseBody()]);
    if (loaded instanceof Response) return loaded;
    const template = loaded.view;
    // Only the template's own parameters are read from the form; a blank field gets the default or a generated value.
    const values: Record<string, string> = {};
    for (const p of template.parameters) {
      const v = form[paramField(p.name)];
      if (typeof v === 'string' && v.trim()) values[p.name] = v.trim();
    }
    const page = (status: number, error: PlainError, problems?: Record<string, string>) => render(c, TemplateFormPage({ viewer: c.get('viewer'), project, rights, template, values, error, problems }), status);

    const processed = await api.call<{ items: Obj[]; parameters: { name: string; value: string }[]; message?: string }>('POST', projectPath(project, '/processedtemplates'), { ...loaded.stored.spec, parameterValues: values });
    if (!processed.ok) {
      const { error, problems } = parameterProblems(template, processed);
      return page(processed.status, error, problems);
    }
    const made = await api.call<{ items: Obj[] }>('POST', projectPath(project, '/lists?mode=create'), { apiVersion: 'v1', kind: 'List', items: processed.body.items });
    if (!made.ok) return page(made.status, plainError(made.status, made.body));
    const generated = processed.body.parameters.filter((p) => template.parameters.some((t) => t.name === p.name && t.generate) && !(p.name in values));
    return render(c, TemplateDonePage({ viewer: c.get('viewer'), project, rights, template, made: made.body.items, message: processed.body.message, generated }));
  });
}
