// The reconcilers of deployments, wired over one store and one binding store: rollouts
// (DeploymentConfig), replicas (ReplicationController), placement (scheduler), host lifecycle
// Service endpoints and the freeing of deleted Services' cluster IPs. The host side (pod sync) runs next to each host, not here.
import type { Reconciler } from '../reconcile/types.ts';
import type { BindingStore } from '../scheduler/ports.ts';
import { schedulerReconciler } from '../scheduler/reconciler.ts';
import type { ObjectStore } from '../store/ports.ts';
import { deploymentConfigReconciler } from './deploymentconfig.ts';
import { endpointsReconciler } from './endpoints.ts';
import { hostLifecycleReconciler } from './host-lifecycle.ts';
import { replicationReconciler } from './replication.ts';
import { serviceAddressReconciler } from '../services/cluster-ips.ts';

export interface DeployReconcilerOptions {
  /** How long a silent host is given before it is NotReady, then before its pods are replaced. */
  hostGraceMs?: number;
  hostEvictionMs?: number;
}

export function deployReconcilers(store: ObjectStore, bindings: BindingStore, opts: DeployReconcilerOptions = {}): Reconciler[] {
  return [
    deploymentConfigReconciler({ store }),
    replicationReconciler({ store }),
    schedulerReconciler({ store, bindings }),
    hostLifecycleReconciler({ store, bindings, graceMs: opts.hostGraceMs, evictionMs: opts.hostEvictionMs }),
    endpointsReconciler({ store }),
    serviceAddressReconciler({ store }),
  ];
}
