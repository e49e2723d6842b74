// Small helpers the route modules share.
import { NotFoundError, ValidationError } from '../../errors.ts';
import { apiVersionOf, withApiVersion } from '../../model/api-versions.ts';
import type { BerthObject, ObjectList, ObjectRef } from '../../model/types.ts';
import type { ObjectStore } from '../../store/ports.ts';
import { keepSystemKeys, systemKeyChange, SystemMetadataError, type MetadataMaps } from '../../model/system-metadata.ts';
import type { ApiDeps } from '../env.ts';

export async function getOr404<T extends BerthObject = BerthObject>(store: ObjectStore, ref: ObjectRef): Promise<T> {
  const o = await store.get<T>(ref);
  if (!o) throw new NotFoundError(ref.kind, ref.name);
  return o;
}

export function listResponse<T extends BerthObject>(kind: string, page: ObjectList<T>) {
  return { apiVersion: apiVersionOf(kind), kind: `${kind}List`, items: page.items.map((o) => withApiVersion(o)), metadata: page.continue ? { continue: page.continue } : {} };
}

export interface ReplaceBody {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

/**
 * The labels and annotations a user's write ends with: a user who is not a cluster-admin cannot
 * add or change a system key (403 naming it), and system keys the write leaves out are kept.
 */
export async function guardMetadata(deps: Pick<ApiDeps, 'identity'>, user: string, stored: MetadataMaps | undefined, given: MetadataMaps): Promise<Required<MetadataMaps>> {
  const change = systemKeyChange(stored, given);
  if (change && !(await deps.identity.isClusterAdmin(user))) throw new SystemMetadataError(change.field, change.message);
  return keepSystemKeys(stored, given);
}

/**
 * A user's PUT: the body's name must be the path's; labels, annotations and spec are replaced,
 * system labels and annotations excepted (guardMetadata). `annotate` may add what the platform
 * records about the change (a route's new host claim); `stored`, the object as the handler has
 * just read it, saves reading it again (a stale one is refused by the resourceVersion condition).
 */
export async function replaceFromBody<T extends BerthObject = BerthObject>(
  deps: Pick<ApiDeps, 'store' | 'identity'>,
  user: string,
  ref: ObjectRef,
  body: ReplaceBody,
  opts: { stored?: BerthObject; annotate?: (stored: BerthObject, next: { spec: unknown; annotations: Record<string, string> }) => Record<string, string> } = {},
): Promise<T> {
  if (body.metadata.name !== ref.name) throw ValidationError.field('metadata.name', `must be "${ref.name}", the name in the path`);
  const { annotate } = opts;
  const stored = opts.stored ?? (await getOr404(deps.store, ref));
  const { labels, annotations } = await guardMetadata(deps, user, stored.metadata, body.metadata);
  const { resourceVersion } = body.metadata;
  return deps.store.replace<T>(ref, { resourceVersion, labels, annotations: annotate ? annotate(stored, { spec: body.spec, annotations }) : annotations, spec: body.spec });
}
