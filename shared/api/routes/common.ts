// Small helpers the route modules share.
import { NotFoundError, ValidationError } from '../../errors.ts';
import { apiVersionOf, withApiVersion } from '../../model/api-versions.ts';
import type { BerthObject, ObjectList, ObjectRef } from '../../model/types.ts';
import type { ObjectStore } from '../../store/ports.ts';

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

/** A user's PUT: the body's name must be the path's; labels, annotations and spec are replaced. */
export function replaceFromBody<T extends BerthObject = BerthObject>(store: ObjectStore, ref: ObjectRef, body: ReplaceBody): Promise<T> {
  if (body.metadata.name !== ref.name) throw ValidationError.field('metadata.name', `must be "${ref.name}", the name in the path`);
  const { resourceVersion, labels, annotations } = body.metadata;
  return store.replace<T>(ref, { resourceVersion, labels, annotations, spec: body.spec });
}
