// get, describe, delete: any kind the registry knows, project-scoped or cluster-scoped.
import type { Command } from 'commander';
import { buildsOf } from '../builds.ts';
import type { ApiClient, ApiObject } from '../client.ts';
import { objectTable } from '../columns.ts';
import type { Context } from '../context.ts';
import { buildConfigSections } from '../describe-build.ts';
import { describeObject } from '../describe.ts';
import { CliError } from '../errors.ts';
import { intBetween, outputOption, projectOption } from '../options.ts';
import { serialize, type Format } from '../output.ts';
import { collectionPath, kindLabel, objectPath, resource, type Resource } from '../resources.ts';

interface Target {
  r: Resource;
  project?: string;
  client: ApiClient;
}

function target(ctx: Context, kind: string, projectOpt: string | undefined): Target {
  const r = resource(kind);
  const client = ctx.client();
  return { r, client, project: r.scope === 'project' ? ctx.project(projectOpt) : undefined };
}

/** Sends a request about one named object; a 404 gets a hint naming the command that lists what exists. */
async function onObject<T>(t: Target, name: string, send: (path: string) => Promise<T>): Promise<T> {
  try {
    return await send(objectPath(t.r, t.project, name));
  } catch (err) {
    if (err instanceof CliError && err.status === 404) throw err.withHint(`list them with \`berth get ${t.r.plural}${t.project ? ` -n ${t.project}` : ''}\``);
    throw err;
  }
}

/** The Events in `project` about `o`; undefined when the user may not read events there. */
async function eventsAbout(client: ApiClient, project: string, o: ApiObject): Promise<ApiObject[] | undefined> {
  try {
    const { items } = await client.list(collectionPath(resource('Event'), project));
    return items.filter((e) => e.spec?.involvedObject?.kind === o.kind && e.spec?.involvedObject?.name === o.metadata.name);
  } catch (err) {
    if (err instanceof CliError && err.status === 403) return undefined;
    throw err;
  }
}

/** A BuildConfig's webhooks and recent builds. */
async function buildConfigDetails(t: Target, bc: ApiObject): Promise<string[]> {
  return buildConfigSections(bc, await buildsOf(t.client, t.project ?? '', bc.metadata.name), t.client.server);
}

export function registerObjectCommands(program: Command, ctx: Context): void {
  program
    .command('get')
    .description('list objects of a kind, or show one')
    .argument('<KIND>', 'e.g. configmaps, rolebindings, events, projects, users, groups')
    .argument('[NAME]', 'one object by name')
    .addOption(projectOption())
    .addOption(outputOption())
    .option('-l, --selector <k=v,…>', 'only objects with these labels')
    .option('--chunk-size <n>', 'objects per request when listing', intBetween(1, 1000), 500)
    .action(async (kind: string, name: string | undefined, opts: { project?: string; output?: Format; selector?: string; chunkSize: number }) => {
      const t = target(ctx, kind, opts.project);
      if (name !== undefined) {
        const o = await onObject(t, name, (path) => t.client.get<ApiObject>(path));
        ctx.out(opts.output ? serialize(o, opts.output) : objectTable(t.r.kind, [o]));
        return;
      }
      const list = await t.client.list(collectionPath(t.r, t.project), { labelSelector: opts.selector, chunkSize: opts.chunkSize });
      if (opts.output) ctx.out(serialize(list, opts.output));
      else if (list.items.length === 0) ctx.note(`No ${t.r.plural} found${t.project ? ` in project "${t.project}"` : ''}.`);
      else ctx.out(objectTable(t.r.kind, list.items));
    });

  program
    .command('describe')
    .description('show one object in detail, with its recent events')
    .argument('<KIND>', 'the kind')
    .argument('<NAME>', 'the object name')
    .addOption(projectOption())
    .action(async (kind: string, name: string, opts: { project?: string }) => {
      const t = target(ctx, kind, opts.project);
      const o = await onObject(t, name, (path) => t.client.get<ApiObject>(path));
      const eventsProject = t.project ?? (t.r.kind === 'Project' ? name : undefined);
      const events = eventsProject ? await eventsAbout(t.client, eventsProject, o) : undefined;
      const extra = t.r.kind === 'BuildConfig' ? await buildConfigDetails(t, o) : [];
      ctx.out(describeObject(o, events, extra));
    });

  program
    .command('delete')
    .description('delete objects by name')
    .argument('<KIND>', 'the kind')
    .argument('<NAME...>', 'one or more object names')
    .addOption(projectOption())
    .action(async (kind: string, names: string[], opts: { project?: string }) => {
      const t = target(ctx, kind, opts.project);
      if (!t.r.writable) throw new CliError(`${t.r.plural} cannot be deleted through the API`, "the platform's controllers write them; users only read them");
      for (const name of names) {
        await onObject(t, name, (path) => t.client.delete(path));
        ctx.out(t.r.kind === 'Project' ? `project "${name}" is being deleted: it stays Terminating until its contents are gone` : `${kindLabel(t.r)} "${name}" deleted`);
      }
    });
}
