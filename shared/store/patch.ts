// Read-modify-write with retries on conflict: what handlers and controllers use when several
// writers (a user, a reconciler, an agent) may touch one object. One helper and one limit for
// every such write, so that no call site hand-writes its own loop.
import { ConflictError } from '../errors.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import type { ObjectStore } from './ports.ts';

/** How many times a read-modify-write is tried before its conflict is handed to the caller. */
export const CONFLICT_ATTEMPTS = 10;

/**
 * Runs `attempt` again while it fails with a ConflictError (or an error of the `also` types: a
 * create-or-update races a create with AlreadyExistsError, or a delete with NotFoundError), at
 * most CONFLICT_ATTEMPTS times; then the last error is thrown. `attempt` must read what it
 * writes afresh each time.
 * @example await retryOnConflict(async () => { const o = await store.get(ref); … return store.update(o) })
 */
export async function retryOnConflict<T>(attempt: (i: number) => Promise<T>, also: readonly (new (...args: never[]) => Error)[] = []): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt(i);
    } catch (err) {
      const retryable = err instanceof ConflictError || also.some((t) => err instanceof t);
      if (!retryable || i + 1 >= CONFLICT_ATTEMPTS) throw err;
    }
  }
}

/**
 * Applies `mutate` to the fresh object and writes its metadata and spec (ObjectStore.update) on
 * condition that nobody wrote in between, retrying on conflict. `mutate` returns undefined to
 * leave the object as it is (what must be true no longer is, or nothing is to change); then
 * patchObject returns the object as stored. A missing object gives undefined. `known`, the object
 * as the caller last read it, saves the first read (a stale one costs a conflict and a retry).
 * @example await patchObject<Build>(store, ref, (b) => (b.spec.cancelled ? undefined : { ...b, spec: { ...b.spec, cancelled: true } }))
 */
export async function patchObject<T extends BerthObject>(store: ObjectStore, ref: ObjectRef, mutate: (current: T) => T | undefined, known?: T): Promise<T | undefined> {
  return retryOnConflict(async (i) => {
    const current = i === 0 && known ? known : await store.get<T>(ref);
    if (!current) return undefined;
    const next = mutate(current);
    return next === undefined ? current : store.update<T>(next);
  });
}

/**
 * Applies `mutate` to the fresh status and writes it on condition nobody wrote in between,
 * retrying on conflict. `mutate` returns undefined to give up (what must be true no longer is);
 * then patchStatus returns undefined too. A missing object also gives undefined. `known`, the
 * object as the caller last read it, saves the first read, as for patchObject.
 */
export async function patchStatus<T extends BerthObject>(store: ObjectStore, ref: ObjectRef, mutate: (current: T) => T['status'] | undefined, known?: T): Promise<T | undefined> {
  return retryOnConflict(async (i) => {
    const current = i === 0 && known ? known : await store.get<T>(ref);
    if (!current) return undefined;
    const status = mutate(current);
    if (status === undefined) return undefined;
    return store.updateStatus<T>({ ...current, status });
  });
}
