// The reconciler contract (controller-runtime style): given only a reference, read the world
// fresh, make it right, and say when to look again.
import type { ObjectRef } from '../model/types.ts';

export interface Result {
  /** Look at this object again after this many milliseconds. */
  requeueAfter?: number;
}

export interface Reconciler {
  name: string;
  /** The kinds whose changes wake this reconciler. */
  kinds: string[];
  reconcile(ref: ObjectRef): Promise<Result>;
  /** Every object this reconciler should look at on a periodic resync. */
  resync?(): AsyncIterable<ObjectRef>;
}
