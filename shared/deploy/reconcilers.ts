// The reconcilers of deployments, wired over one store and one binding store: rollouts
// (DeploymentConfig), replicas (ReplicationController), placement (scheduler), host lifecycle
// Service endpoints and the freeing of deleted Services' cluster IPs. The host side (pod sync) runs next to each host, not here.
import type { Reconciler } from '../reconcile/types.ts';
import { refOf } from '../model/types.ts';
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

/**
 * Each step of a rollout hands what it made straight to the next one, in the same invocation:
 * the DeploymentConfig controller its new or scaled RCs to the RC controller, which hands the
 * pods it made to the scheduler, one after another (each binding sees the host as the one before
 * left it). The stream records of the RCs and pods still reconcile them again, which finds
 * nothing left to do, or puts right a step that failed here.
 */
export function deployReconcilers(store: ObjectStore, bindings: BindingStore, opts: DeployReconcilerOptions = {}): Reconciler[] {
  const scheduler = schedulerReconciler({ store, bindings });
  const replication = replicationReconciler({
    store,
    onCreated: async (pods) => {
      for (const pod of pods) await scheduler.reconcile(refOf(pod));
    },
  });
  return [
    deploymentConfigReconciler({ store, replicate: (rc) => replication.reconcile(rc) }),
    replication,
    scheduler,
    hostLifecycleReconciler({ store, bindings, graceMs: opts.hostGraceMs, evictionMs: opts.hostEvictionMs }),
    endpointsReconciler({ store }),
    serviceAddressReconciler({ store }),
  ];
}
