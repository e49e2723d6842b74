// rollout (latest, status, history, undo), scale, set env and logs pod/NAME: working with
// DeploymentConfigs and their pods, after `oc`.
import type { Command } from 'commander';
import type { EnvVar } from '../../shared/model/build-kinds.ts';
import type { ApiClient, ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE, orListHint } from '../errors.ts';
import { intBetween, projectOption } from '../options.ts';
import { table } from '../output.ts';
import { collectionPath, objectPath, resource } from '../resources.ts';
import { PREVIOUS_REPLICAS } from '../../shared/idling/annotations.ts';

const REVISION = 'berth.io/revision';
const CAUSE = 'berth.io/cause';
const dcRef = (name: string) => `deploymentconfig.apps.berth.io/${name}`;
const dcPath = (project: string, name: string) => objectPath(resource('DeploymentConfig'), project, name);

/** `dc/web`, `deploymentconfig/web` or a bare name → the DeploymentConfig's name. */
export function dcTarget(arg: string): string {
  const at = arg.indexOf('/');
  if (at < 0 && arg) return arg;
  const kind = resolved(arg.slice(0, at));
  const name = arg.slice(at + 1);
  if (kind !== 'DeploymentConfig' || !name) throw new CliError(`"${arg}" does not name a deploymentconfig`, 'give dc/NAME', { exitCode: EXIT_USAGE });
  return name;
}

function resolved(typed: string): string | undefined {
  try {
    return resource(typed).kind;
  } catch {
    return undefined;
  }
}

const orDcHint = <T>(project: string, send: () => Promise<T>): Promise<T> => orListHint('dc', project, send);

async function revisions(client: ApiClient, project: string, dc: string): Promise<ApiObject[]> {
  const { items } = await client.list(collectionPath(resource('ReplicationController'), project), { labelSelector: `deploymentconfig=${dc}` });
  return byRevision(items);
}

const byRevision = (rcs: ApiObject[]): ApiObject[] => rcs.sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));

/** `K=V` sets, `K-` removes; anything else is a usage error. */
export function parseEnvChanges(args: string[]): { set: (EnvVar | ContainerEnv)[]; unset: string[] } {
  const set: (EnvVar | ContainerEnv)[] = [];
  const unset: string[] = [];
  for (const a of args) {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(0, -1) : a.slice(0, eq);
    const ok = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && (eq >= 0 || a.endsWith('-'));
    if (!ok) throw new CliError(`"${a}" is neither NAME=VALUE nor NAME-`, 'e.g. `berth set env dc/web DEBUG=1 OLD_SETTING-`', { exitCode: EXIT_USAGE });
    if (eq < 0) unset.push(name);
    else set.push({ name, value: a.slice(eq + 1) });
  }
  return { set, unset };
}

function applyEnv<T extends { name: string }>(env: T[], { set, unset }: { set: T[]; unset: string[] }): T[] {
  const names = new Set([...unset, ...set.map((e) => e.name)]);
  return [...env.filter((e) => !names.has(e.name)), ...set];
}

/**
 * The replicas a revision's rollout heads for: as the rollout wrote them on the RC
 * (status.desiredReplicas), or, for an RC made before they were recorded there, the DC's.
 */
async function desiredOf(rc: ApiObject, readDc: () => Promise<ApiObject>): Promise<number> {
  const told = rc.status?.desiredReplicas;
  return typeof told === 'number' ? told : ((await readDc()).spec?.replicas ?? 0);
}

/**
 * Follows the latest revision until it is Complete (resolves) or Failed (throws, exit 1), told
 * of each change to the DC's replication controllers by a watch; the DC is read once at the
 * start (that it exists), and again at a step only for an RC that does not carry its count.
 */
async function followRollout(ctx: Context, client: ApiClient, project: string, dc: string, pollMs: number): Promise<void> {
  let said = '';
  const say = (line: string) => {
    if (line !== said) ctx.out(line);
    said = line;
  };
  const config = await orDcHint(project, () => client.get<ApiObject>(dcPath(project, dc)));
  const { watchUntil } = await import('../watch.ts');
  await watchUntil(
    client,
    { path: collectionPath(resource('ReplicationController'), project), labelSelector: `deploymentconfig=${dc}` },
    async ({ objects }) => {
      const latest = byRevision([...objects.values()]).at(-1);
      if (!latest) {
        say(`Waiting for the first rollout of "${dc}" to start...`);
        return false;
      }
      if (latest.status?.phase === 'Complete') {
        ctx.out(`replication controller "${latest.metadata.name}" successfully rolled out`);
        return true;
      }
      if (latest.status?.phase === 'Failed') {
        throw new CliError(`replication controller "${latest.metadata.name}" failed: ${latest.status.message ?? latest.status.reason ?? 'rollout failed'}`, `see \`berth describe dc ${dc} -n ${project}\` and \`berth get events -n ${project}\``);
      }
      const desired = await desiredOf(latest, () => client.get<ApiObject>(dcPath(project, dc)).catch(() => config));
      say(`Waiting for rollout to finish: ${latest.status?.availableReplicas ?? 0} of ${desired} updated replicas are available...`);
      return false;
    },
    pollMs,
  );
}

/** Registers the deployment commands; call after the build commands (it extends `logs`). */
export function registerDeployCommands(program: Command, ctx: Context): void {
  const rollout = program.command('rollout').description('start, watch, list and undo rollouts of a deploymentconfig');

  rollout
    .command('latest')
    .description('roll out the current template as a new revision')
    .argument('<DC>', 'dc/NAME')
    .addOption(projectOption())
    .action(async (arg: string, opts: { project?: string }) => {
      const name = dcTarget(arg);
      const project = ctx.project(opts.project);
      await orDcHint(project, () => ctx.client().post(`${dcPath(project, name)}/instantiate`));
      ctx.out(`${dcRef(name)} rolled out`);
    });

  rollout
    .command('status')
    .description('follow the latest rollout until it completes (exit 0) or fails (exit 1)')
    .argument('<DC>', 'dc/NAME')
    .option('--poll-interval <ms>', 'how often to look where the server cannot hold a watch, in milliseconds', intBetween(10, 60_000), 1000)
    .addOption(projectOption())
    .action(async (arg: string, opts: { project?: string; pollInterval: number }) => {
      const name = dcTarget(arg);
      const project = ctx.project(opts.project);
      await followRollout(ctx, ctx.client(), project, name, opts.pollInterval);
    });

  rollout
    .command('history')
    .description('list the revisions: status, cause and image')
    .argument('<DC>', 'dc/NAME')
    .addOption(projectOption())
    .action(async (arg: string, opts: { project?: string }) => {
      const name = dcTarget(arg);
      const project = ctx.project(opts.project);
      const client = ctx.client();
      await orDcHint(project, () => client.get(dcPath(project, name)));
      const rcs = await revisions(client, project, name);
      if (rcs.length === 0) return ctx.note(`deploymentconfig "${name}" has no revisions yet`);
      ctx.out(`${dcRef(name)}\n${table(
        ['REVISION', 'STATUS', 'CAUSE', 'IMAGE'],
        rcs.map((rc) => [rc.metadata.annotations?.[REVISION] ?? '?', rc.status?.phase ?? 'New', rc.metadata.annotations?.[CAUSE] ?? '<unknown>', rc.spec?.template?.spec?.containers?.[0]?.image || '<none>']),
      )}`);
    });

  rollout
    .command('undo')
    .description("roll back to an earlier revision's template (default: the previous complete one)")
    .argument('<DC>', 'dc/NAME')
    .option('--to-revision <n>', 'the revision to go back to', intBetween(1, 1_000_000))
    .addOption(projectOption())
    .action(async (arg: string, opts: { project?: string; toRevision?: number }) => {
      const name = dcTarget(arg);
      const project = ctx.project(opts.project);
      await orDcHint(project, () => ctx.client().post(`${dcPath(project, name)}/rollback`, opts.toRevision === undefined ? {} : { toRevision: opts.toRevision }));
      ctx.out(`${dcRef(name)} rolled back`);
    });

  program
    .command('scale')
    .description('set the number of replicas of a deploymentconfig')
    .argument('<DC>', 'dc/NAME')
    .requiredOption('--replicas <n>', 'how many pods to run', intBetween(0, 1000))
    .addOption(projectOption())
    .action(async (arg: string, opts: { project?: string; replicas: number }) => {
      const name = dcTarget(arg);
      const project = ctx.project(opts.project);
      await orDcHint(project, () => ctx.client().put(`${dcPath(project, name)}/scale`, { replicas: opts.replicas }));
      ctx.out(`${dcRef(name)} scaled`);
    });

  const idling = [
    { verb: 'idle', about: 'scale a deploymentconfig to 0, remembering its replicas; the next request through one of its routes wakes it', said: (dc: ApiObject) => `idled (${dc.metadata.annotations?.[PREVIOUS_REPLICAS] ?? '?'} replicas remembered)` },
    { verb: 'unidle', about: 'wake an idled deploymentconfig: scale it back to the replicas it had', said: (dc: ApiObject) => `woken (${dc.spec?.replicas ?? '?'} replicas)` },
  ];
  for (const { verb, about, said } of idling) {
    program
      .command(verb)
      .description(about)
      .argument('<DC>', 'dc/NAME')
      .addOption(projectOption())
      .action(async (arg: string, opts: { project?: string }) => {
        const name = dcTarget(arg);
        const project = ctx.project(opts.project);
        const dc = await orDcHint(project, () => ctx.client().post<ApiObject>(`${dcPath(project, name)}/${verb}`));
        ctx.out(`${dcRef(name)} ${said(dc)}`);
      });
  }

  program
    .command('set')
    .description('change part of an object')
    .command('env')
    .description("set (NAME=VALUE) or remove (NAME-) environment variables of a deploymentconfig's containers, or take every key of a secret or configmap (--from); this rolls out a new revision")
    .argument('<DC>', 'dc/NAME')
    .argument('[CHANGES...]', 'NAME=VALUE to set, NAME- to remove')
    .option('--from <KIND/NAME>', 'secret/NAME or configmap/NAME: a variable for each of its keys, read from it when the pod starts')
    .option('--prefix <PREFIX>', 'with --from: put this before each variable name')
    .option('--list', 'print the environment instead of changing it')
    .addOption(projectOption())
    .action(async (arg: string, changes: string[], opts: { project?: string; list?: boolean; from?: string; prefix?: string }) => {
      const name = dcTarget(arg);
      if (!opts.list && changes.length === 0 && !opts.from) throw new CliError('give NAME=VALUE or NAME- changes, --from, or --list', 'e.g. `berth set env dc/web DEBUG=1` or `berth set env dc/web --from secret/db`', { exitCode: EXIT_USAGE });
      if (opts.prefix !== undefined && !opts.from) throw new CliError('--prefix goes with --from', 'e.g. `berth set env dc/web --from secret/db --prefix DB_`', { exitCode: EXIT_USAGE });
      const parsed = parseEnvChanges(changes);
      const project = ctx.project(opts.project);
      const client = ctx.client();
      if (opts.from) parsed.set.push(...(await envFromObject(client, project, opts.from, opts.prefix ?? '')));
      for (let attempt = 0; ; attempt++) {
        const dc = await orDcHint(project, () => client.get<ApiObject>(dcPath(project, name)));
        const containers = (dc.spec?.template?.spec?.containers ?? []) as { name: string; env?: ContainerEnv[] }[];
        if (opts.list) {
          ctx.out(containers.flatMap((c) => [`# deploymentconfigs/${name}, container ${c.name}`, ...(c.env ?? []).map(envLine)]).join('\n'));
          return;
        }
        const spec = { ...dc.spec, template: { ...dc.spec.template, spec: { ...dc.spec.template.spec, containers: containers.map((c) => ({ ...c, env: applyEnv(c.env ?? [], parsed) })) } } };
        try {
          await client.put(dcPath(project, name), { kind: dc.kind, metadata: { name, resourceVersion: dc.metadata.resourceVersion, labels: dc.metadata.labels, annotations: dc.metadata.annotations }, spec });
          ctx.out(`${dcRef(name)} updated`);
          return;
        } catch (err) {
          if (!(err instanceof CliError && err.status === 409 && attempt < 5)) throw err;
        }
      }
    });
}

type KeyRef = { name: string; key: string };
type ContainerEnv = { name: string; value?: string; valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef } };

/** `NAME=value`, or where a variable comes from (never a secret's value). */
function envLine(e: ContainerEnv): string {
  const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
  return ref ? `# ${e.name} from ${e.valueFrom?.secretKeyRef ? 'secret' : 'configmap'} ${ref.name}, key ${ref.key}` : `${e.name}=${e.value ?? ''}`;
}

/** The key `db-password` of a Secret as the variable `DB_PASSWORD`, as `oc set env --from` names them. */
export const envNameOfKey = (key: string, prefix: string): string => `${prefix}${key.toUpperCase().replace(/[-.]/g, '_')}`;

/** A variable for each key of the secret or configmap `from` (`secret/db`), read when the pod starts. */
async function envFromObject(client: ApiClient, project: string, from: string, prefix: string): Promise<ContainerEnv[]> {
  const at = from.indexOf('/');
  const kind = at > 0 ? resolved(from.slice(0, at)) : undefined;
  const objectName = from.slice(at + 1);
  if ((kind !== 'Secret' && kind !== 'ConfigMap') || !objectName) throw new CliError(`--from "${from}" names no secret or configmap`, 'give secret/NAME or configmap/NAME', { exitCode: EXIT_USAGE });
  const o = await orListHint(kind === 'Secret' ? 'secrets' : 'configmaps', project, () => client.get<ApiObject>(objectPath(resource(kind), project, objectName)));
  const keys = [...Object.keys(o.spec?.data ?? {}), ...Object.keys(o.spec?.binaryData ?? {})].sort();
  const refKind = kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef';
  return keys
    .filter((key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(envNameOfKey(key, prefix)))
    .map((key) => ({ name: envNameOfKey(key, prefix), valueFrom: { [refKind]: { name: objectName, key } } }));
}
