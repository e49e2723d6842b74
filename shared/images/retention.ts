// Keeps the images of ReplicationControllers in the registry while the RCs exist, where the
// registry expires images by itself (ECR's lifecycle policy expires untagged images after a day,
// which would otherwise break a rollback to an older revision): each RC's images in the project's
// own repositories carry the tag `rc-<name>`, given when the rollout makes the RC and taken back
// when the RC goes (history pruning, `berth adm prune deployments`, the DC's deletion).
import type { ImageRegistry } from '../builds/ports.ts';
import { NotFoundError, ignoring } from '../errors.ts';
import type { ReplicationController } from '../model/objects.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';

/** Set on an RC once its images are kept. */
export const RETAINED_ANNOTATION = 'images.berth.io/retained';

export const rcTag = (rc: string): string => `rc-${rc}`;

/**
 * The image stream and digest of each of the RC's images that are in the project's own
 * repositories (`<repository of stream>@sha256:…`); images named by tag or elsewhere are not
 * the project's to keep.
 * @example projectImages(['1.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/web@sha256:ab…'], (s) => `1.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/${s}`) // [{ stream: 'web', digest: 'sha256:ab…' }]
 */
export function projectImages(images: string[], repositoryOf: (stream: string) => string): { stream: string; digest: string }[] {
  const base = repositoryOf('');
  const out = new Map<string, { stream: string; digest: string }>();
  for (const image of images) {
    if (!image.startsWith(base)) continue;
    const m = /^([a-z0-9][a-z0-9._-]*)@(sha256:[0-9a-f]{64})$/.exec(image.slice(base.length));
    if (m) out.set(image, { stream: m[1]!, digest: m[2]! });
  }
  return [...out.values()];
}

export function imageRetention(store: ObjectStore, registry: ImageRegistry): Reconciler {
  const retain = registry.retainImage?.bind(registry);
  const release = registry.releaseImage?.bind(registry);
  return {
    name: 'image-retention',
    kinds: ['ReplicationController'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      if (!retain || !release) return {};
      const rc = await store.get<ReplicationController>(ref);
      if (!rc || rc.metadata.deletionTimestamp) {
        // The RC is gone: its tag goes from each of the project's repositories that may hold it.
        for await (const is of eachObject(store, 'ImageStream', ref.project)) await release(ref.project, is.metadata.name, rcTag(ref.name));
        return {};
      }
      if (rc.metadata.annotations?.[RETAINED_ANNOTATION]) return {};
      const images = projectImages(rc.spec.template.spec.containers.map((c) => c.image ?? ''), (s) => registry.repository(ref.project, s));
      for (const { stream, digest } of images) await retain(ref.project, stream, digest, rcTag(ref.name));
      await patchObject<ReplicationController>(store, refOf(rc), (cur) =>
        cur.metadata.annotations?.[RETAINED_ANNOTATION] ? undefined : { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [RETAINED_ANNOTATION]: rcTag(ref.name) } } },
      ).catch(ignoring(NotFoundError));
      return {};
    },
    async *resync() {
      if (!retain) return;
      for await (const rc of eachOfKind<ReplicationController>(store, 'ReplicationController')) if (!rc.metadata.annotations?.[RETAINED_ANNOTATION]) yield refOf(rc);
    },
  };
}
