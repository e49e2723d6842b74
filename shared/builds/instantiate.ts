// Starting a build: the next number from the BuildConfig's status.lastVersion (a conditional
// write, so two triggers never take the same number), then a Build named <bc>-<n> carrying a
// copy of the config's source, strategy and output at that moment. The first build of a
// ConfigChange trigger goes the other way round (ensureFirstBuild), so that it is never lost.
import { AlreadyExistsError, ConflictError, NotFoundError, ignoring } from '../errors.ts';
import { refOf, type NewObject } from '../model/types.ts';
import { patchStatus } from '../store/patch.ts';
import type { BerthObject } from '../model/types.ts';
import type { BuildConfigSpec, BuildConfigStatus, BuildSpec, BuildStatus, EnvVar } from '../model/build-kinds.ts';
import type { ObjectStore } from '../store/ports.ts';

export type BuildConfig = BerthObject<BuildConfigSpec, BuildConfigStatus>;
export type Build = BerthObject<BuildSpec, BuildStatus>;

export const BUILDCONFIG_LABEL = 'berth.io/buildconfig';
export const BUILD_NUMBER_ANNOTATION = 'berth.io/build-number';
/** The name the user gave an uploaded source (a directory's or an archive's), as they gave it. */
export const SOURCE_ARCHIVE_ANNOTATION = 'berth.io/source-archive';

export interface InstantiateOptions {
  /** Why: "Manually triggered", "GitHub push 3f2a1c…". */
  message: string;
  revision?: BuildSpec['revision'];
  env?: EnvVar[];
  /** Annotations of the new Build beyond its number (an uploaded source's name). */
  annotations?: Record<string, string>;
  /** Runs once the build's name is known and before the Build exists (store an uploaded source). */
  beforeCreate?: (name: string) => Promise<void>;
}

/** The Build number `n` of a BuildConfig, as the config is now (pure). */
export function buildOf(bc: BuildConfig, n: number, opts: Pick<InstantiateOptions, 'message' | 'revision' | 'env' | 'annotations'>): NewObject {
  const spec: BuildSpec = {
    source: bc.spec.source,
    strategy: bc.spec.strategy,
    output: bc.spec.output,
    completionDeadlineSeconds: bc.spec.completionDeadlineSeconds,
    triggeredBy: [{ message: opts.message }],
    revision: opts.revision,
    env: opts.env ?? [],
    cancelled: false,
  };
  return {
    kind: 'Build',
    metadata: {
      name: `${bc.metadata.name}-${n}`,
      project: bc.metadata.project,
      labels: { [BUILDCONFIG_LABEL]: bc.metadata.name },
      annotations: { ...opts.annotations, [BUILD_NUMBER_ANNOTATION]: String(n) },
    },
    spec,
    status: { phase: 'New' },
  };
}

export async function instantiateBuild(store: ObjectStore, project: string, buildConfig: string, opts: InstantiateOptions): Promise<Build> {
  for (let attempt = 0; ; attempt++) {
    const bc = await store.get<BuildConfig>({ kind: 'BuildConfig', project, name: buildConfig });
    if (!bc) throw new NotFoundError('BuildConfig', buildConfig);
    const n = (bc.status.lastVersion ?? 0) + 1;
    try {
      await store.updateStatus<BuildConfig>({ ...bc, status: { ...bc.status, lastVersion: n } });
    } catch (err) {
      if (err instanceof ConflictError && attempt < 10) continue;
      throw err;
    }
    const build = buildOf(bc, n, opts);
    await opts.beforeCreate?.(build.metadata.name);
    try {
      return await store.create<Build>(build);
    } catch (err) {
      // The first build of a ConfigChange trigger (ensureFirstBuild) took this number before
      // the counter moved: take the next one.
      if (err instanceof AlreadyExistsError && attempt < 10) continue;
      throw err;
    }
  }
}

/**
 * The first build of a BuildConfig with a ConfigChange trigger, made so that a crash at any
 * point loses nothing: the Build `<bc>-1` is derived from the config and created first (a
 * conditional create, so a re-run or a racing pass finds it there), and only then is the counter
 * moved to 1. A re-run after a crash between the two creates nothing new and moves the counter.
 * Returns whether this call created the build.
 */
export async function ensureFirstBuild(store: ObjectStore, bc: BuildConfig, message: string): Promise<boolean> {
  const created = await store.create(buildOf(bc, 1, { message })).then(
    () => true,
    (err: unknown) => {
      ignoring(AlreadyExistsError)(err);
      return false;
    },
  );
  await patchStatus<BuildConfig>(store, refOf(bc), (cur) => ((cur.status.lastVersion ?? 0) >= 1 ? undefined : { ...cur.status, lastVersion: 1 }));
  return created;
}
