// Persistent volume claims from the command line, as `oc` has them: `create pvc NAME --size 1Gi
// [--access-mode RWO]` makes a claim; `set volume dc/NAME --add --claim-name C --mount-path P
// [--claim-size S]` mounts one (made first when it does not exist and a size is given) or an
// emptyDir into a DeploymentConfig's containers, `--remove --name V` takes a volume out. Changing
// the template rolls out a new revision.
import type { Command } from 'commander';
import type { ApiClient, ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { projectOption } from '../options.ts';
import { collectionPath, objectPath, resource } from '../resources.ts';
import { dcTarget } from './deploy.ts';

const MODES: Record<string, string> = { rwo: 'ReadWriteOnce', readwriteonce: 'ReadWriteOnce', rwx: 'ReadWriteMany', readwritemany: 'ReadWriteMany', rox: 'ReadOnlyMany', readonlymany: 'ReadOnlyMany' };

/** `RWO`, `rwx`, `ReadOnlyMany`… as the access mode's name. */
export function accessMode(typed: string): string {
  const mode = MODES[typed.toLowerCase()];
  if (!mode) throw new CliError(`"${typed}" is no access mode`, 'give RWO (ReadWriteOnce), RWX (ReadWriteMany) or ROX (ReadOnlyMany)', { exitCode: EXIT_USAGE });
  return mode;
}

/** The manifest of a claim. */
export const claimManifest = (name: string, size: string, mode: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  spec: { accessModes: [accessMode(mode)], resources: { requests: { storage: size } } },
});

type Volume = { name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: Record<string, unknown> };
type Mount = { name: string; mountPath: string; subPath?: string; readOnly?: boolean };
type Container = { name: string; volumeMounts?: Mount[] };

interface SetVolumeOptions {
  add?: boolean;
  remove?: boolean;
  name?: string;
  type?: string;
  claimName?: string;
  claimSize?: string;
  claimMode: string;
  mountPath?: string;
  subPath?: string;
  readOnly?: boolean;
  project?: string;
}

/** The pod template's volumes and mounts after the change `opts` asks for. */
export function changeVolumes(spec: { volumes?: Volume[]; containers: Container[] }, opts: SetVolumeOptions): { volumes: Volume[]; containers: Container[] } {
  const volumes = [...(spec.volumes ?? [])];
  if (opts.remove) {
    if (!opts.name) throw new CliError('--remove needs --name', 'e.g. `berth set volume dc/db --remove --name data`', { exitCode: EXIT_USAGE });
    if (!volumes.some((v) => v.name === opts.name)) throw new CliError(`the template has no volume "${opts.name}"`, 'see `berth get dc/NAME -o yaml` for its volumes', { exitCode: EXIT_USAGE });
    return { volumes: volumes.filter((v) => v.name !== opts.name), containers: spec.containers.map((c) => ({ ...c, volumeMounts: (c.volumeMounts ?? []).filter((m) => m.name !== opts.name) })) };
  }
  const type = (opts.type ?? (opts.claimName || opts.claimSize ? 'pvc' : 'emptyDir')).toLowerCase();
  if (type !== 'pvc' && type !== 'persistentvolumeclaim' && type !== 'emptydir') throw new CliError(`--type ${opts.type} is not supported`, 'give --type pvc or --type emptyDir', { exitCode: EXIT_USAGE });
  if (!opts.mountPath) throw new CliError('--add needs --mount-path', 'e.g. `berth set volume dc/db --add --claim-name data --mount-path /var/lib/pgsql/data`', { exitCode: EXIT_USAGE });
  const name = opts.name ?? (type === 'emptydir' ? `volume-${volumes.length + 1}` : opts.claimName!);
  if (type !== 'emptydir' && !opts.claimName) throw new CliError('a claim volume needs --claim-name', 'e.g. --claim-name data --claim-size 1Gi', { exitCode: EXIT_USAGE });
  const volume: Volume = type === 'emptydir' ? { name, emptyDir: {} } : { name, persistentVolumeClaim: { claimName: opts.claimName! } };
  const mount: Mount = { name, mountPath: opts.mountPath, ...(opts.subPath ? { subPath: opts.subPath } : {}), ...(opts.readOnly ? { readOnly: true } : {}) };
  return {
    volumes: [...volumes.filter((v) => v.name !== name), volume],
    containers: spec.containers.map((c) => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []).filter((m) => m.mountPath !== opts.mountPath), mount] })),
  };
}

async function ensureClaim(ctx: Context, client: ApiClient, project: string, opts: SetVolumeOptions): Promise<void> {
  if (!opts.claimName || !opts.claimSize) return;
  const path = objectPath(resource('PersistentVolumeClaim'), project, opts.claimName);
  const exists = await client.get<ApiObject>(path).then(
    () => true,
    (err: unknown) => {
      if (err instanceof CliError && err.status === 404) return false;
      throw err;
    },
  );
  if (exists) return;
  await client.post(collectionPath(resource('PersistentVolumeClaim'), project), claimManifest(opts.claimName, opts.claimSize, opts.claimMode));
  ctx.out(`persistentvolumeclaim/${opts.claimName} created`);
}

export function registerVolumeCommands(program: Command, ctx: Context): void {
  const create = program.commands.find((c) => c.name() === 'create') ?? program.command('create').description('create an object of a kind that needs more than a name');
  create
    .command('persistentvolumeclaim')
    .alias('pvc')
    .description('create a PersistentVolumeClaim: storage of a size, written by the project\'s pods, kept until the claim is deleted')
    .argument('<NAME>', 'the claim name')
    .requiredOption('--size <SIZE>', 'how much storage, e.g. 1Gi or 500Mi')
    .option('--access-mode <MODE>', 'RWO (one host at a time), RWX (many) or ROX (read-only, many)', 'RWO')
    .addOption(projectOption())
    .action(async (name: string, opts: { size: string; accessMode: string; project?: string }) => {
      const project = ctx.project(opts.project);
      await ctx.client().post(collectionPath(resource('PersistentVolumeClaim'), project), claimManifest(name, opts.size, opts.accessMode));
      ctx.out(`persistentvolumeclaim/${name} created`);
    });

  const set = program.commands.find((c) => c.name() === 'set') ?? program.command('set').description('change part of an object');
  set
    .command('volume')
    .alias('volumes')
    .description("add (--add) or remove (--remove) a volume of a deploymentconfig's pods: a persistent volume claim (made when --claim-size is given and it does not exist) or an emptyDir; this rolls out a new revision")
    .argument('<DC>', 'dc/NAME')
    .option('--add', 'add a volume and mount it')
    .option('--remove', 'remove the volume --name and its mounts')
    .option('--name <NAME>', 'the volume name (default: the claim name)')
    .option('-t, --type <TYPE>', 'pvc or emptyDir (default: pvc when a claim is named)')
    .option('--claim-name <NAME>', 'the persistent volume claim to mount')
    .option('--claim-size <SIZE>', 'make the claim of this size if it does not exist, e.g. 1Gi')
    .option('--claim-mode <MODE>', 'the access mode of a claim made here: RWO, RWX or ROX', 'RWO')
    .option('-m, --mount-path <PATH>', 'where the container sees the volume')
    .option('--sub-path <PATH>', 'a directory inside the volume to mount instead of its root')
    .option('--read-only', 'mount it read-only')
    .addOption(projectOption())
    .action(async (arg: string, opts: SetVolumeOptions) => {
      const name = dcTarget(arg);
      if (Boolean(opts.add) === Boolean(opts.remove)) throw new CliError('give --add or --remove', 'e.g. `berth set volume dc/db --add --claim-name data --claim-size 1Gi --mount-path /var/lib/pgsql/data`', { exitCode: EXIT_USAGE });
      if (opts.claimSize) accessMode(opts.claimMode);
      const project = ctx.project(opts.project);
      const client = ctx.client();
      const path = objectPath(resource('DeploymentConfig'), project, name);
      let dc = await client.get<ApiObject>(path);
      for (let attempt = 0; ; attempt++) {
        const next = changeVolumes(dc.spec.template.spec, opts);
        const spec = { ...dc.spec, template: { ...dc.spec.template, spec: { ...dc.spec.template.spec, ...next, ...(next.volumes.length ? {} : { volumes: undefined }) } } };
        try {
          await client.put(path, { kind: dc.kind, metadata: { name, resourceVersion: dc.metadata.resourceVersion, labels: dc.metadata.labels, annotations: dc.metadata.annotations }, spec });
          // The claim after the template: a template the API refuses leaves no claim behind
          // (and a pod waits, pending, for a claim still being made).
          if (opts.add) await ensureClaim(ctx, client, project, opts);
          ctx.out(`deploymentconfig.apps.berth.io/${name} volume ${opts.add ? 'added' : 'removed'}`);
          return;
        } catch (err) {
          if (!(err instanceof CliError && err.status === 409 && attempt < 5)) throw err;
          dc = await client.get<ApiObject>(path);
        }
      }
    });
}
