// Starting a build: the next number from the BuildConfig's status.lastVersion (a conditional
// write, so two triggers never take the same number), then a Build named <bc>-<n> carrying a
// copy of the config's source, strategy and output at that moment.
import { ConflictError, NotFoundError } from '../errors.ts';
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
    const name = `${buildConfig}-${n}`;
    await opts.beforeCreate?.(name);
    return store.create<Build>({
      kind: 'Build',
      metadata: {
        name,
        project,
        labels: { [BUILDCONFIG_LABEL]: buildConfig },
        annotations: { ...opts.annotations, [BUILD_NUMBER_ANNOTATION]: String(n) },
      },
      spec,
      status: { phase: 'New' },
    });
  }
}
