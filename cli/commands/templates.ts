// process, create -f, apply -f, and the template half of new-app: a Template (from a file, or by
// name from the project or the shared `openshift` project) is processed by the API into a List,
// and a List (or any manifest) is made through the API's lists route, all or nothing.
import { Option, type Command } from 'commander';
import type { ApiClient } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { collectParam, itemsOf, paramsFromFile, readManifests, type Manifest } from '../manifests.ts';
import { outputOption, projectOption } from '../options.ts';
import { serialize, type Format } from '../output.ts';
import { SHARED_PROJECT } from '../../shared/model/reserved-names.ts';

interface ParamOptions {
  param: Record<string, string>;
  paramFile?: string;
}

export interface Processed {
  items: Manifest[];
  parameters: { name: string; value: string }[];
  message?: string;
  template: Manifest;
}

export const paramOption = () => new Option('-p, --param <NAME=VALUE>', 'a template parameter (repeat for more)').argParser(collectParam).default({}, 'none');
export const paramFileOption = () => new Option('--param-file <FILE>', 'template parameters from a file of NAME=VALUE lines');

const encode = encodeURIComponent;

/** A Template by name: `NAME` in `project`, else in the shared project; `PROJECT//NAME` in that one. */
async function templateByName(client: ApiClient, project: string, ref: string): Promise<Manifest> {
  const [inProject, name] = ref.includes('//') ? (ref.split('//', 2) as [string, string]) : [undefined, ref];
  const places = inProject ? [inProject] : [project, SHARED_PROJECT];
  for (const p of places) {
    try {
      return await client.get<Manifest>(`/api/v1/projects/${encode(p)}/templates/${encode(name)}`);
    } catch (err) {
      if (err instanceof CliError && (err.status === 404 || (err.status === 403 && p !== places[0]))) continue;
      throw err;
    }
  }
  throw new CliError(`template "${name}" not found in ${places.map((p) => `project "${p}"`).join(' or ')}`, `list them with \`berth get templates -n ${SHARED_PROJECT}\``);
}

/** The Template of a file (its one Template document). */
async function templateFromFile(ctx: Context, file: string): Promise<Manifest> {
  const docs = itemsOf(await readManifests(ctx, file));
  const templates = docs.filter((d) => d.kind === 'Template');
  if (templates.length !== 1) throw new CliError(`${file === '-' ? 'standard input' : file} holds ${templates.length} templates`, 'give a file with exactly one object of kind Template', { exitCode: EXIT_USAGE });
  return templates[0]!;
}

/** Processes a Template (from `file`, or by `name`) in `project` with the parameters given. */
export async function processTemplate(ctx: Context, client: ApiClient, project: string, source: { file?: string; name?: string }, opts: ParamOptions): Promise<Processed> {
  const template = source.file ? await templateFromFile(ctx, source.file) : await templateByName(client, project, source.name!);
  const parameterValues = paramsFromFile(opts.paramFile, opts.param);
  // A stored Template keeps its fields under spec; a manifest gives them at the top level.
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, spec, ...top } = template;
  const out = await client.post<Processed>(`/api/v1/projects/${encode(project)}/processedtemplates`, { ...spec, ...top, parameterValues });
  return { ...out, template };
}

export type ListAction = 'created' | 'configured';

/** Makes (or applies) `items` in `project`, printing a line per object; all or nothing. */
export async function makeObjects(ctx: Context, client: ApiClient, project: string, items: Manifest[], mode: 'create' | 'apply'): Promise<void> {
  const res = await client.post<{ items: Manifest[]; actions: ListAction[] }>(`/api/v1/projects/${encode(project)}/lists?mode=${mode}`, { apiVersion: 'v1', kind: 'List', items });
  res.items.forEach((o, i) => ctx.out(`${String(o.kind).toLowerCase()}/${o.metadata?.name} ${res.actions[i]}`));
}

async function objectsCommand(ctx: Context, mode: 'create' | 'apply', opts: { filename?: string; project?: string }): Promise<void> {
  if (!opts.filename) throw new CliError(`${mode} needs -f FILE (or -f - for standard input)`, `e.g. \`berth ${mode} -f app.yaml\`; for a Secret or ConfigMap see \`berth create --help\``, { exitCode: EXIT_USAGE });
  const items = itemsOf(await readManifests(ctx, opts.filename));
  if (!items.length) throw new CliError('the List has no items', 'give a file with objects to make');
  await makeObjects(ctx, ctx.client(), ctx.project(opts.project), items, mode);
}

export function registerTemplateCommands(program: Command, ctx: Context): void {
  program
    .command('process')
    .description('process a template into the List of its objects (printed, not made): parameters given, defaulted or generated')
    .argument('[TEMPLATE]', 'a template by name, in the project or in "openshift" (or PROJECT//NAME)')
    .option('-f, --filename <FILE>', 'a template file (JSON or YAML; - for standard input)')
    .addOption(paramOption())
    .addOption(paramFileOption())
    .addOption(outputOption().default('json'))
    .addOption(projectOption())
    .action(async (name: string | undefined, opts: ParamOptions & { filename?: string; output: Format; project?: string }) => {
      if (!name === !opts.filename) throw new CliError('give a template name or -f FILE', 'e.g. `berth process -f template.yaml -p NAME=web` or `berth process postgresql-persistent`', { exitCode: EXIT_USAGE });
      const client = ctx.client();
      const out = await processTemplate(ctx, client, ctx.project(opts.project), { file: opts.filename, name }, opts);
      ctx.out(await serialize({ kind: 'List', apiVersion: 'v1', metadata: {}, items: out.items }, opts.output));
    });

  // `create` is shared with `create secret` and `create configmap` (config.ts), which find it here;
  // a -n given after their arguments is parsed as this command's, so they read it from here too.
  const create = program.commands.find((c) => c.name() === 'create') ?? program.command('create').description('create objects from a file, or an object of a kind that needs more than a name');
  create
    .option('-f, --filename <FILE>', 'objects to make: JSON or YAML, one object or a List (- for standard input); nothing is made if any is refused')
    .addOption(projectOption())
    .action((opts: { filename?: string; project?: string }) => objectsCommand(ctx, 'create', opts));

  program
    .command('apply')
    .description('make the objects of a file, or update those that exist by name (their labels, annotations and spec are replaced; no three-way merge)')
    .option('-f, --filename <FILE>', 'JSON or YAML, one object or a List (- for standard input)')
    .addOption(projectOption())
    .action((opts: { filename?: string; project?: string }) => objectsCommand(ctx, 'apply', opts));
}
