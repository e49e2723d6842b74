// Read-modify-write of an object's status with retries on conflict: what controllers use when
// several writers (a reconciler, an agent) touch different fields of one status.
import { ConflictError } from '../errors.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import type { ObjectStore } from './ports.ts';

/**
 * Applies `mutate` to the fresh status and writes it on condition nobody wrote in between,
 * retrying on conflict. `mutate` returns undefined to give up (what must be true no longer is);
 * then patchStatus returns undefined too. A missing object also gives undefined.
 */
export async function patchStatus<T extends BerthObject>(
  store: ObjectStore,
  ref: ObjectRef,
  mutate: (current: T) => T['status'] | undefined,
  attempts = 10,
): Promise<T | undefined> {
  for (let i = 0; ; i++) {
    const current = await store.get<T>(ref);
    if (!current) return undefined;
    const status = mutate(current);
    if (status === undefined) return undefined;
    try {
      return await store.updateStatus<T>({ ...current, status });
    } catch (err) {
      if (!(err instanceof ConflictError) || i + 1 >= attempts) throw err;
    }
  }
}
