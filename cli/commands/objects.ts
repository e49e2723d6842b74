// get, describe, delete: any kind the registry knows, project-scoped or cluster-scoped.
import type { Command } from 'commander';
import { buildsOf } from '../builds.ts';
import type { ApiClient, ApiObject } from '../client.ts';
import { objectTable } from '../columns.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { intBetween, outputOption, projectOption } from '../options.ts';
import { serialize, type Format } from '../output.ts';
import { collectionPath, kindLabel, objectPath, resource, type Resource } from '../resources.ts';
import { parseTargets, qualified } from '../targets.ts';
import { quotaDetails } from '../describe-quota.ts';
import { secretForDescribe } from './config.ts';

interface Target {
  r: Resource;
  project?: string;
  client: ApiClient;
}

function target(ctx: Context, r: Resource, projectOpt: string | undefined): Target {
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
  const { buildConfigSections } = await import('../describe-build.ts');
  return buildConfigSections(bc, await buildsOf(t.client, t.project ?? '', bc.metadata.name), t.client.server);
}

/** The objects of `t`: the named ones, or every one (by label selector). */
async function objectsOf(t: Target, names: string[], opts: { selector?: string; chunkSize: number }): Promise<ApiObject[]> {
  if (names.length) return Promise.all(names.map((name) => onObject(t, name, (path) => t.client.get<ApiObject>(path))));
  return (await t.client.list(collectionPath(t.r, t.project), { labelSelector: opts.selector, chunkSize: opts.chunkSize })).items;
}

/** One kind's table; with several kinds, each object is named kind/name, as oc prints them. */
function kindTable(kind: string, items: ApiObject[], several: boolean): string {
  const named = several ? items.map((o) => ({ ...o, metadata: { ...o.metadata, name: qualified(kind, o.metadata.name) } })) : items;
  return objectTable(kind, named);
}

export function registerObjectCommands(program: Command, ctx: Context): void {
  program
    .command('get')
    .description('list objects of a kind, or show some; `all` lists the application kinds of a project')
    .argument('<KIND>', 'e.g. configmaps, dc, dc/web, dc,svc, all (the application kinds), projects, users')
    .argument('[NAME...]', 'objects by name (or more KIND/NAME)')
    .addOption(projectOption())
    .addOption(outputOption())
    .option('-l, --selector <k=v,…>', 'only objects with these labels')
    .option('--chunk-size <n>', 'objects per request when listing', intBetween(1, 1000), 500)
    .option('-w, --watch', 'after the list, print objects as they are added, changed or deleted (until interrupted)')
    .option('--poll-interval <ms>', 'how often -w looks where the server cannot hold a watch, in milliseconds', intBetween(100, 60_000), 1000)
    .action(async (kind: string, names: string[], opts: { project?: string; output?: Format; selector?: string; chunkSize: number; watch?: boolean; pollInterval: number }) => {
      const targets = parseTargets([kind, ...names]);
      if (opts.watch && (targets.length > 1 || targets[0]!.names.length || opts.output)) throw new CliError('-w watches one kind, as a table', 'e.g. `berth get pods -w`', { exitCode: EXIT_USAGE });
      const several = targets.length > 1;
      const found: { t: Target; items: ApiObject[] }[] = [];
      for (const { r, names } of targets) {
        const t = target(ctx, r, opts.project);
        found.push({ t, items: await objectsOf(t, names, opts) });
      }
      const only = found[0]!;
      // One object asked for by name prints as itself; anything else as a list.
      const single = !several && targets[0]!.names.length === 1 ? only.items[0] : undefined;
      if (opts.output) {
        const listed = several ? { kind: 'List', items: found.flatMap((f) => f.items) } : single ?? { kind: `${only.t.r.kind}List`, items: only.items, metadata: {} };
        ctx.out(await serialize(listed, opts.output));
        return;
      }
      const shown = found.filter((f) => f.items.length);
      if (!shown.length) {
        const where = only.t.project ? ` in project "${only.t.project}"` : '';
        ctx.note(several ? `No resources found${where}.` : `No ${only.t.r.plural} found${where}.`);
      } else ctx.out(shown.map((f) => kindTable(f.t.r.kind, f.items, several)).join('\n'));
      if (opts.watch) {
        const { pollChanges, printChanges } = await import('../watch.ts');
        // A project's kinds are watched (the server holds each request until something changes); cluster kinds are polled.
        if (only.t.r.scope === 'cluster') await pollChanges(ctx, only.t.r.kind, only.items, () => objectsOf(only.t, [], opts), opts.pollInterval);
        else await printChanges(ctx, only.t.client, only.t.r.kind, only.items, { path: collectionPath(only.t.r, only.t.project), labelSelector: opts.selector }, opts.pollInterval);
      }
    });

  program
    .command('describe')
    .description('show one object in detail, with its recent events')
    .argument('<KIND>', 'the kind, or kind/name (dc/web)')
    .argument('[NAME]', 'the object name')
    .addOption(projectOption())
    .action(async (kind: string, name: string | undefined, opts: { project?: string }) => {
      const [one] = parseTargets(name === undefined ? [kind] : [kind, name]);
      if (!one || one.names.length !== 1) throw new CliError('describe shows one object', 'give KIND NAME or KIND/NAME, e.g. `berth describe dc/web`', { exitCode: EXIT_USAGE });
      const t = target(ctx, one.r, opts.project);
      const objectName = one.names[0]!;
      const read = await onObject(t, objectName, (path) => t.client.get<ApiObject>(path));
      // A Secret is described by its keys and sizes: its values are never printed.
      const secret = t.r.kind === 'Secret' ? secretForDescribe(read) : undefined;
      const o = secret?.shown ?? read;
      const eventsProject = t.project ?? (t.r.kind === 'Project' ? objectName : undefined);
      const events = eventsProject ? await eventsAbout(t.client, eventsProject, o) : undefined;
      const extra = t.r.kind === 'BuildConfig' ? await buildConfigDetails(t, o) : t.r.kind === 'ResourceQuota' ? quotaDetails(o) : secret?.extra ?? [];
      // describe prints YAML: its module (and the YAML library) loads only for this command.
      const { describeObject } = await import('../describe.ts');
      ctx.out(describeObject(o, events, extra));
    });

  program
    .command('delete')
    .description('delete objects by name')
    .argument('<KIND>', 'the kind (dc web api), or kind/name of each (dc/web svc/web)')
    .argument('[NAME...]', 'the object names')
    .addOption(projectOption())
    .action(async (kind: string, names: string[], opts: { project?: string }) => {
      const targets = parseTargets([kind, ...names]);
      if (targets.some((x) => x.names.length === 0)) throw new CliError('name what to delete', 'e.g. `berth delete dc web` or `berth delete dc/web svc/web`', { exitCode: EXIT_USAGE });
      for (const { r, names } of targets) {
        const t = target(ctx, r, opts.project);
        if (!t.r.deletable) throw new CliError(`${t.r.plural} cannot be deleted through the API`, "the platform's controllers write them; users only read them");
        for (const name of names) {
          await onObject(t, name, (path) => t.client.delete(path));
          ctx.out(t.r.kind === 'Project' ? `project "${name}" is being deleted: it stays Terminating until its contents are gone` : `${kindLabel(t.r)} "${name}" deleted`);
        }
      }
    });
}
