// Deletes from the registry the images `berth adm prune images` took out of an image stream's
// history (named in the stream's `images.berth.io/prune` annotation): the local registry's
// manifests (their blobs go with its next garbage collection) or ECR images. An image the stream
// holds again meanwhile is kept.
import type { ImageRegistry } from '../builds/ports.ts';
import { NotFoundError, ignoring } from '../errors.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import { refOf, type BerthObject, type ObjectRef } from '../model/types.ts';
import { PRUNE_ANNOTATION } from '../prune/run.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachOfKind } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';

type ImageStream = BerthObject<unknown, ImageStreamStatus>;

export function imagePruneReconciler(store: ObjectStore, registry: ImageRegistry): Reconciler {
  return {
    name: 'image-prune',
    kinds: ['ImageStream'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      const is = await store.get<ImageStream>(ref);
      const pending = is?.metadata.annotations?.[PRUNE_ANNOTATION];
      if (!is || is.metadata.deletionTimestamp || !pending) return {};
      const held = new Set((is.status?.tags ?? []).flatMap((t) => t.items.map((i) => i.image)));
      for (const digest of pending.split(',').filter(Boolean)) if (!held.has(digest)) await registry.deleteImage(ref.project, ref.name, digest);
      // Only what was handled here leaves the annotation; a prune that added more meanwhile is seen next time.
      await patchObject<ImageStream>(store, ref, (cur) => {
        if (cur.metadata.annotations?.[PRUNE_ANNOTATION] !== pending) return undefined;
        const { [PRUNE_ANNOTATION]: _done, ...annotations } = cur.metadata.annotations;
        return { ...cur, metadata: { ...cur.metadata, annotations } };
      }).catch(ignoring(NotFoundError));
      return {};
    },
    async *resync() {
      for await (const is of eachOfKind<ImageStream>(store, 'ImageStream')) if (is.metadata.annotations?.[PRUNE_ANNOTATION]) yield refOf(is);
    },
  };
}
