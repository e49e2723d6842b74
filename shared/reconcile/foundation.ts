// The reconcilers of the foundation, wired over one store.
import type { ObjectStore } from '../store/ports.ts';
import { expiryReconciler } from './expiry.ts';
import { projectFinalizer } from '../project/finalizer.ts';
import type { Reconciler } from './types.ts';

export function foundationReconcilers(store: ObjectStore): Reconciler[] {
  return [projectFinalizer(store), expiryReconciler(store)];
}
