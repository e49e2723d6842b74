// Deleting an object the Kubernetes way: an object that carries finalizers is only marked
// (metadata.deletionTimestamp); whoever owns each finalizer does its work and removes the object
// (a bound pod: its host stops the container, then gives the pod's room back with the pod). An
// object without finalizers is deleted at once, on condition that nobody has added one meanwhile.
import { ConflictError, NotFoundError } from '../errors.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import { retryOnConflict } from './patch.ts';
import type { ObjectStore } from './ports.ts';

/**
 * Deletes `ref`, or marks it when it has finalizers. Returns 'deleted' or 'marked'. With
 * `resourceVersion`, a stale one is a ConflictError and nothing changes.
 * @example await deleteObject(store, { kind: 'Pod', project: 'shop', name: 'web-1-x7k2p' }) // 'marked'
 */
export async function deleteObject(store: ObjectStore, ref: ObjectRef, opts: { resourceVersion?: string; now?: Date } = {}): Promise<'deleted' | 'marked'> {
  // Someone wrote it in between (a binding may have added a finalizer): look again, unless the
  // caller named the version it deletes.
  const attempt = async () => {
    const o = await store.get<BerthObject>(ref);
    if (!o) throw new NotFoundError(ref.kind, ref.name);
    if (opts.resourceVersion !== undefined && o.metadata.resourceVersion !== opts.resourceVersion) {
      throw new ConflictError(`${ref.kind} "${ref.name}" has changed since resourceVersion ${opts.resourceVersion}`);
    }
    if (o.metadata.finalizers?.length) {
      if (!o.metadata.deletionTimestamp) await store.update({ ...o, metadata: { ...o.metadata, deletionTimestamp: (opts.now ?? new Date()).toISOString() } });
      return 'marked' as const;
    }
    await store.delete(ref, { resourceVersion: o.metadata.resourceVersion });
    return 'deleted' as const;
  };
  return opts.resourceVersion !== undefined ? attempt() : retryOnConflict(attempt);
}
