// Starts builds that triggers call for: a new BuildConfig with a ConfigChange trigger builds
// once; an ImageChange trigger builds whenever the builder ImageStreamTag gets a new image.
import type { ObjectRef } from '../model/types.ts';
import { refOf } from '../model/types.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { BerthObject } from '../model/types.ts';
import { ensureFirstBuild, instantiateBuild, type BuildConfig } from './instantiate.ts';
import type { ImageRegistry } from './ports.ts';
import { SHARED_PROJECT } from '../model/reserved-names.ts';

type ImageStream = BerthObject<unknown, ImageStreamStatus>;

/** The ImageStreamTag an ImageChange trigger watches, and the key of its last image in the status. */
export interface ImageChangeSource {
  /** The project of the stream: the BuildConfig's own, or the shared project. */
  project: string;
  /** `stream:tag`. */
  tag: string;
  /** `stream:tag` in the own project, `<project>/stream:tag` in the shared one. */
  key: string;
}

/**
 * The ImageStreamTag an ImageChange trigger watches: its own `from`, else the strategy's. A tag
 * in any project but the BuildConfig's own and the shared one is never watched.
 */
export function imageChangeSource(bc: BuildConfig): ImageChangeSource | undefined {
  const trigger = bc.spec.triggers.find((t) => t.type === 'ImageChange');
  if (!trigger || trigger.type !== 'ImageChange') return undefined;
  const from = trigger.imageChange.from ?? bc.spec.strategy.sourceStrategy?.from ?? bc.spec.strategy.dockerStrategy?.from;
  if (from?.kind !== 'ImageStreamTag') return undefined;
  const tag = from.name.includes(':') ? from.name : `${from.name}:latest`;
  const project = from.namespace ?? bc.metadata.project;
  if (project === bc.metadata.project) return { project, tag, key: tag };
  return project === SHARED_PROJECT ? { project, tag, key: `${project}/${tag}` } : undefined;
}

/**
 * Also removes an image stream's repository from the registry once the ImageStream is gone
 * (deleted by a user, or with its project), so that deleting leaves nothing behind.
 */
export function buildConfigReconciler(store: ObjectStore, registry?: ImageRegistry): Reconciler {
  async function newestImage(project: string, streamTag: string): Promise<string | undefined> {
    const [stream, tag] = streamTag.split(':') as [string, string];
    const is = await store.get<ImageStream>({ kind: 'ImageStream', project, name: stream });
    return is?.status.tags?.find((t) => t.tag === tag)?.items[0]?.image;
  }

  async function reconcileBuildConfig(ref: ObjectRef): Promise<Result> {
    const bc = await store.get<BuildConfig>(ref);
    if (!bc || bc.metadata.deletionTimestamp) return {};
    const first = (bc.status.lastVersion ?? 0) === 0;
    const onConfigChange = bc.spec.triggers.some((t) => t.type === 'ConfigChange');
    if (first && !bc.spec.source.binary && onConfigChange) {
      // The first build is <bc>-1, created before the counter moves: a pass that dies in
      // between leaves the build, and the next pass only moves the counter.
      await ensureFirstBuild(store, bc, 'Build configuration change');
    }
    const source = imageChangeSource(bc);
    if (!source || bc.spec.source.binary) return {};
    const image = await newestImage(source.project, source.tag);
    const key = source.key;
    if (!image || bc.status.lastTriggeredImages?.[key] === image) return {};
    const claimed = await patchStatus<BuildConfig>(store, ref, (cur) =>
      cur.status.lastTriggeredImages?.[key] === image ? undefined : { ...cur.status, lastTriggeredImages: { ...cur.status.lastTriggeredImages, [key]: image } },
    );
    // The first image seen builds only when nothing else built the config yet (a ConfigChange
    // trigger already did); every later image builds.
    const seenBefore = bc.status.lastTriggeredImages?.[key] !== undefined;
    if (claimed && (seenBefore || (first && !onConfigChange))) {
      await instantiateBuild(store, ref.project, ref.name, { message: `Image change: ${key} is now ${image.slice(0, 19)}` });
    }
    return {};
  }

  return {
    name: 'buildconfigs',
    kinds: ['BuildConfig', 'ImageStream'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      if (ref.kind === 'BuildConfig') return reconcileBuildConfig(ref);
      if (registry && !(await store.get(ref))) {
        await registry.deleteRepository(ref.project, ref.name);
        return {};
      }
      // An ImageStream moved: look at every BuildConfig that watches it — of its project, or of
      // every project for a stream of the shared project.
      const watchers = ref.project === SHARED_PROJECT ? eachOfKind<BuildConfig>(store, 'BuildConfig') : eachObject<BuildConfig>(store, 'BuildConfig', ref.project);
      for await (const bc of watchers) {
        const source = imageChangeSource(bc);
        if (source?.project === ref.project && source.tag.startsWith(`${ref.name}:`)) await reconcileBuildConfig(refOf(bc));
      }
      return {};
    },
    async *resync() {
      for await (const bc of eachOfKind<BuildConfig>(store, 'BuildConfig')) yield refOf(bc);
    },
  };
}
