// Small helpers the route modules share.
import { NotFoundError } from '../../errors.ts';
import type { BerthObject, ObjectList, ObjectRef } from '../../model/types.ts';
import type { ObjectStore } from '../../store/ports.ts';

export async function getOr404<T extends BerthObject = BerthObject>(store: ObjectStore, ref: ObjectRef): Promise<T> {
  const o = await store.get<T>(ref);
  if (!o) throw new NotFoundError(ref.kind, ref.name);
  return o;
}

export function listResponse<T extends BerthObject>(kind: string, page: ObjectList<T>) {
  return { kind: `${kind}List`, items: page.items, metadata: page.continue ? { continue: page.continue } : {} };
}
