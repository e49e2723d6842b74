// Pushes to ECR move image stream tags, as the all-in-one registry's notifications do
// (shared/registry/events.ts): EventBridge delivers ECR's "ECR Image Action" events (Amazon ECR
// User Guide, "Amazon ECR events and EventBridge", the example "Event for a completed image
// push": source aws.ecr, detail-type ECR Image Action, detail {result, repository-name,
// image-digest, action-type, image-tag}). A successful tagged PUSH to `<prefix>/<project>/<stream>`
// becomes the newest image of that stream's tag; builds' own pushes arrive too and change nothing
// (the tag already holds the digest). Only AWS services emit events with an `aws.` source, so the
// repository name is ECR's own word; which repositories a login may push to, IAM decides.
import * as z from 'zod';
import { recordPush, type RecordedPush } from '../registry/events.ts';
import type { ObjectStore } from '../store/ports.ts';

export const ecrImageAction = z.object({
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  time: z.string().optional(),
  detail: z.object({
    result: z.string(),
    'action-type': z.string(),
    'repository-name': z.string().max(256),
    'image-digest': z.string().max(100).optional(),
    'image-tag': z.string().max(300).optional(),
  }),
});
export type EcrImageAction = z.infer<typeof ecrImageAction>;

/** The EventBridge pattern of the events `recordEcrPush` takes: successful pushes under the prefix. */
export const ecrPushPattern = (prefix: string) => ({
  source: ['aws.ecr'],
  detailType: ['ECR Image Action'],
  detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': [{ prefix: `${prefix}/` }] },
});

/** Records one ECR image action; anything but a successful tagged push under `prefix/` moves nothing. */
export async function recordEcrPush(store: ObjectStore, registryHost: string, prefix: string, event: unknown): Promise<RecordedPush | undefined> {
  const parsed = ecrImageAction.safeParse(event);
  if (!parsed.success) return undefined;
  const d = parsed.data.detail;
  if (d['action-type'] !== 'PUSH' || d.result !== 'SUCCESS' || !d['repository-name'].startsWith(`${prefix}/`)) return undefined;
  return recordPush(store, registryHost, {
    repository: d['repository-name'].slice(prefix.length + 1),
    registryName: d['repository-name'],
    tag: d['image-tag'],
    digest: d['image-digest'],
    timestamp: parsed.data.time,
  });
}
