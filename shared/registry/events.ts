// Pushes reported by the registry (Distribution's notifications) move image stream tags: a
// manifest pushed to `<project>/<name>:<tag>` becomes the newest image of ImageStream `<name>`'s
// tag `<tag>` in `<project>`, made if missing, which ImageChange triggers roll out as they do a
// built image. Builds record their own pushes too; a tag already on the digest is left alone.
import * as z from 'zod';
import { recordImage } from '../builds/agent.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { repositoryParts } from './scopes.ts';

export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);

/** Distribution's event envelope (docs: distribution.github.io/distribution/about/notifications/), the fields used. */
export const registryEnvelope = z.object({
  events: z
    .array(
      z.object({
        action: z.string(),
        timestamp: z.string().optional(),
        target: z.object({ mediaType: z.string().optional(), digest: z.string().optional(), repository: z.string().optional(), tag: z.string().optional() }).partial(),
      }),
    )
    .max(1000),
});
export type RegistryEnvelope = z.infer<typeof registryEnvelope>;

export interface RecordedPush {
  project: string;
  stream: string;
  tag: string;
  digest: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Records the tagged manifest pushes of `envelope` in their image streams; returns those that moved a tag. */
export async function recordPushes(store: ObjectStore, registryHost: string, envelope: RegistryEnvelope): Promise<RecordedPush[]> {
  const moved: RecordedPush[] = [];
  for (const e of envelope.events) {
    const { mediaType, digest, repository, tag } = e.target;
    if (e.action !== 'push' || !tag || !TAG.test(tag) || !digest || !DIGEST.test(digest) || !repository || !MANIFEST_MEDIA_TYPES.has(mediaType ?? '')) continue;
    const repo = repositoryParts(repository);
    if (!repo) continue;
    // A push to a namespace that is no project (the platform's builder images) moves nothing.
    if (!(await store.get({ kind: 'Project', project: '', name: repo.project }))) continue;
    const current = await store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: repo.project, name: repo.stream });
    if (current?.status.tags?.find((t) => t.tag === tag)?.items[0]?.image === digest) continue;
    const created = e.timestamp && !Number.isNaN(Date.parse(e.timestamp)) ? new Date(e.timestamp).toISOString() : new Date().toISOString();
    await recordImage(store, repo.project, repo.stream, tag, { created, dockerImageReference: `${registryHost}/${repository}@${digest}`, image: digest });
    moved.push({ project: repo.project, stream: repo.stream, tag, digest });
  }
  return moved;
}
