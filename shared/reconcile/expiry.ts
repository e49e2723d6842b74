// Removes objects past their metadata.expiresAt (tokens, events). DynamoDB's TTL deletes them
// too, but only within days; this makes expiry exact and works the same on DynamoDB Local.
import { ConflictError, NotFoundError } from '../errors.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { eachOfKind } from '../store/each.ts';
import type { Reconciler, Result } from './types.ts';

export const EXPIRING_KINDS = ['Token', 'Event'];

export function expiryReconciler(store: ObjectStore, now: () => number = Date.now): Reconciler {
  return {
    name: 'expiry',
    kinds: EXPIRING_KINDS,
    async reconcile(ref: ObjectRef): Promise<Result> {
      const o = await store.get(ref);
      if (!o?.metadata.expiresAt) return {};
      const left = Date.parse(o.metadata.expiresAt) - now();
      if (left > 0) return { requeueAfter: left };
      try {
        await store.delete(ref, { resourceVersion: o.metadata.resourceVersion });
      } catch (err) {
        if (err instanceof ConflictError) return { requeueAfter: 0 };
        if (!(err instanceof NotFoundError)) throw err;
      }
      return {};
    },
    async *resync() {
      for (const kind of EXPIRING_KINDS) {
        for await (const o of eachOfKind(store, kind)) {
          if (o.metadata.expiresAt && Date.parse(o.metadata.expiresAt) <= now()) yield refOf(o);
        }
      }
    },
  };
}
