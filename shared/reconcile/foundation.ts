// The reconcilers of the foundation, wired over one store.
import type { ObjectStore } from '../store/ports.ts';
import { expiryReconciler } from './expiry.ts';
import { executionRoleReconciler, type ProjectExecutionRoles } from '../project/execution-roles.ts';
import { projectFinalizer, type ProjectFinalizerOptions } from '../project/finalizer.ts';
import type { Reconciler } from './types.ts';

export interface FoundationOptions {
  /** Per-project execution roles (AWS): made with each project, removed with it. */
  executionRoles?: ProjectExecutionRoles;
  /** Where pods' Secret values are kept outside the table (AWS): removed with each project. */
  podSecrets?: ProjectFinalizerOptions['podSecrets'];
  /** The name service of Services (Cloud Map on AWS): each project's namespace goes with it. */
  serviceDiscovery?: ProjectFinalizerOptions['serviceDiscovery'];
  /** The registry, where a project's repositories are removed with it. */
  images?: ProjectFinalizerOptions['images'];
  /** Push connections' subscriptions: a project's go with it. */
  watchers?: ProjectFinalizerOptions['watchers'];
}

export function foundationReconcilers(store: ObjectStore, opts: FoundationOptions = {}): Reconciler[] {
  const { executionRoles, podSecrets, serviceDiscovery, images, watchers } = opts;
  return [
    projectFinalizer(store, { executionRoles, podSecrets, serviceDiscovery, images, watchers }),
    ...(executionRoles ? [executionRoleReconciler(store, executionRoles)] : []),
    expiryReconciler(store),
  ];
}
