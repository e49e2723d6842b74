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
    if (e.action !== 'push' || !MANIFEST_MEDIA_TYPES.has(mediaType ?? '')) continue;
    const push = await recordPush(store, registryHost, { repository, tag, digest, timestamp: e.timestamp });
    if (push) moved.push(push);
  }
  return moved;
}

/**
 * Moves the image stream tag `<project>/<stream>:<tag>` named by one pushed manifest
 * (`repository` is `<project>/<stream>` as the registry names it; `registryName` is how image
 * references name it, when that differs: ECR's `berth/<project>/<stream>`). Nothing for a
 * namespace that is no project, a malformed tag or digest, or a tag already on the digest.
 */
export async function recordPush(
  store: ObjectStore,
  registryHost: string,
  p: { repository?: string; registryName?: string; tag?: string; digest?: string; timestamp?: string },
): Promise<RecordedPush | undefined> {
  const { digest, repository, tag } = p;
  if (!tag || !TAG.test(tag) || !digest || !DIGEST.test(digest) || !repository) return undefined;
  const repo = repositoryParts(repository);
  if (!repo) return undefined;
  // A push to a namespace that is no project (the platform's builder images) moves nothing.
  if (!(await store.get({ kind: 'Project', project: '', name: repo.project }))) return undefined;
  const current = await store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: repo.project, name: repo.stream });
  if (current?.status.tags?.find((t) => t.tag === tag)?.items[0]?.image === digest) return undefined;
  const created = p.timestamp && !Number.isNaN(Date.parse(p.timestamp)) ? new Date(p.timestamp).toISOString() : new Date().toISOString();
  await recordImage(store, repo.project, repo.stream, tag, { created, dockerImageReference: `${registryHost}/${p.registryName ?? repository}@${digest}`, image: digest });
  return { project: repo.project, stream: repo.stream, tag, digest };
}
