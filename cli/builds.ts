// Build operations several commands share: the API paths of builds and BuildConfigs, starting a
// build (from git, or from a directory uploaded as its source) and naming builds as `oc` prints them.
import { basename, resolve } from 'node:path';
import type { EnvVar } from '../shared/model/build-kinds.ts';
import { TERMINAL_PHASES } from '../shared/model/build-phases.ts';
import type { ApiClient, ApiObject } from './client.ts';
import type { Context } from './context.ts';
import { CliError, EXIT_USAGE, orListHint } from './errors.ts';
import { formatBytes } from './output.ts';
import { Progress } from './progress.ts';
import { collectionPath, objectPath, resource } from './resources.ts';
import { packDirectory, scanDirectory, type SourceScan } from './source-archive.ts';

/** The label the platform puts on every Build, naming its BuildConfig. */
export const BUILDCONFIG_LABEL = 'berth.io/buildconfig';

export const buildConfigPath = (project: string, name: string): string => objectPath(resource('BuildConfig'), project, name);
export const buildPath = (project: string, name: string): string => objectPath(resource('Build'), project, name);
export const buildsPath = (project: string): string => collectionPath(resource('Build'), project);

/** Complete, Failed, Error or Cancelled: the build will not change any more. */
export const isFinished = (phase: string | undefined): boolean => (TERMINAL_PHASES as readonly string[]).includes(phase ?? 'New');

/** `build.build.berth.io/web-1`, after oc's `build.build.openshift.io/web-1`. */
export const buildRef = (name: string): string => `build.build.berth.io/${name}`;


/** `build/web-1`, `bc/web` or a bare name (of a `bare` kind) → which kind and which name. */
export function buildTarget(arg: string, bare: 'Build' | 'BuildConfig'): { kind: 'Build' | 'BuildConfig'; name: string } {
  const at = arg.indexOf('/');
  if (at < 0) return { kind: bare, name: arg };
  const kind = resource(arg.slice(0, at)).kind;
  const name = arg.slice(at + 1);
  if ((kind !== 'Build' && kind !== 'BuildConfig') || !name) {
    throw new CliError(`"${arg}" names neither a build nor a buildconfig`, 'give build/NAME or bc/NAME', { exitCode: EXIT_USAGE });
  }
  return { kind, name };
}

/** Every Build of a BuildConfig, by the label the platform puts on them. */
export async function buildsOf(client: ApiClient, project: string, bc: string): Promise<ApiObject[]> {
  return (await client.list(buildsPath(project), { labelSelector: `${BUILDCONFIG_LABEL}=${bc}` })).items;
}

/** The newest build of a BuildConfig: `<bc>-<status.lastVersion>`. */
export async function latestBuild(client: ApiClient, project: string, bc: string): Promise<string> {
  const config = await orListHint('buildconfigs', project, () => client.get<ApiObject>(buildConfigPath(project, bc)));
  const version = Number(config.status?.lastVersion ?? 0);
  if (!version) throw new CliError(`buildconfig "${bc}" has no builds yet`, `start one with \`berth start-build ${bc} -n ${project}\``);
  return `${bc}-${version}`;
}

export interface StartOptions {
  fromDir?: string;
  env?: EnvVar[];
}

/** Starts a build of `bc`: from its git source, or from `fromDir` uploaded as the source. */
export async function startBuild(ctx: Context, client: ApiClient, project: string, bc: string, opts: StartOptions): Promise<ApiObject> {
  if (opts.fromDir !== undefined && opts.env?.length) {
    // instantiatebinary takes the archive as its body, with no room for per-build environment.
    throw new CliError('--env cannot be given with --from-dir', `set build environment in the BuildConfig's spec.strategy.sourceStrategy.env, or in .s2i/environment in the directory`, { exitCode: EXIT_USAGE });
  }
  const config = await orListHint('buildconfigs', project, () => client.get<ApiObject>(buildConfigPath(project, bc)));
  const binary = config.spec?.source?.binary !== undefined;
  if (binary && opts.fromDir === undefined) {
    throw new CliError(`buildconfig "${bc}" builds uploaded source`, `give the directory to build with \`berth start-build ${bc} --from-dir DIR\``);
  }
  if (!binary && opts.fromDir !== undefined) {
    throw new CliError(`buildconfig "${bc}" builds from git (${config.spec?.source?.git?.uri ?? 'a repository'}), not from an upload`, `start it without --from-dir, or create a binary one with \`berth new-build python~DIR\``);
  }
  if (opts.fromDir === undefined) return client.post<ApiObject>(`${buildConfigPath(project, bc)}/instantiate`, opts.env?.length ? { env: opts.env } : {});
  return uploadDirectory(ctx, client, project, bc, await scanDirectory(opts.fromDir));
}

/** Packs the scanned directory and streams it to instantiatebinary, showing progress; the Build it started. */
export async function uploadDirectory(ctx: Context, client: ApiClient, project: string, bc: string, scan: SourceScan): Promise<ApiObject> {
  const { dir } = scan;
  for (const warning of scan.warnings) ctx.note(`warning: ${warning}`);
  const progress = new Progress(ctx.io, scan.tarBytes);
  progress.start(`Uploading directory "${dir}" as binary input for the build (${scan.files} ${scan.files === 1 ? 'file' : 'files'}, ${formatBytes(scan.tarBytes)}) ...`);
  const body = await packDirectory(scan, (n) => progress.advance(n));
  let packError: unknown;
  body.on('error', (err) => (packError = err));
  try {
    // The directory's name labels the image's source (io.openshift.build.source-location).
    const name = encodeURIComponent(basename(resolve(dir)));
    const build = await client.upload<ApiObject>(`${buildConfigPath(project, bc)}/instantiatebinary?name=${name}`, body, 'application/gzip');
    progress.end('Uploading finished');
    return build;
  } catch (err) {
    progress.end('Uploading failed');
    if (packError) throw new CliError(`cannot pack "${dir}": ${(packError as Error).message}`, 'upload again once nothing is writing to the directory and every file in it is readable');
    throw err;
  }
}
