// Every reconciler the control plane runs, written once: the Lambda functions on AWS and the
// all-in-one platform pass their adapters (where builder agents run, where images go, where
// Route and Service changes are handed to the routers) and get the same list.
import type { BuildLauncher, BuildLogs, ImageRegistry, SourceArchives } from '../builds/ports.ts';
import { buildReconciler } from '../builds/build-reconciler.ts';
import { buildConfigReconciler } from '../builds/buildconfig-reconciler.ts';
import { deployReconcilers, type DeployReconcilerOptions } from '../deploy/reconcilers.ts';
import { imageRetention } from '../images/retention.ts';
import { imagePruneReconciler } from '../images/prune-images.ts';
import { foundationReconcilers, type FoundationOptions } from '../reconcile/foundation.ts';
import { idler } from '../idling/idler.ts';
import type { IdleSignalReader } from '../idling/signals.ts';
import type { Reconciler } from '../reconcile/types.ts';
import { routeAdmission } from '../routing/admission.ts';
import type { BindingStore } from '../scheduler/ports.ts';
import type { ObjectStore } from '../store/ports.ts';
import { trialExpiry } from '../trials/expiry.ts';
import type { ProjectExecutionRoles } from '../project/execution-roles.ts';
import { serviceDiscoveryReconciler, type DiscoveryReconcilerOptions, type ServiceDiscovery, type ServiceProxies } from '../services/discovery.ts';
import { claimReconciler } from '../volumes/claim-reconciler.ts';
import type { ClaimStorage } from '../volumes/ports.ts';

export interface PlatformAdapters {
  store: ObjectStore;
  /** Pods bound to hosts and the room promised on them. */
  bindings: BindingStore;
  /** Builder agents (local processes / ECS tasks), their logs and uploaded sources. */
  builds: { launcher: BuildLauncher; logs: BuildLogs; sources: SourceArchives };
  /** Where images are pushed (the local registry / ECR): a deleted ImageStream's repository goes with it. */
  registry: ImageRegistry;
  /** Routes get their default host under this domain. */
  appsDomain: string;
  /**
   * Hands each Route and Service change on to the routers: to the local router agent
   * (`routerFeed`), or into the routers' change feed in the table (`routerFeedWriter`: router
   * hosts have no stream).
   */
  routers: Reconciler;
  /** Host lifecycle timings (lease grace, eviction); the defaults suit ECS hosts. */
  hosts?: DeployReconcilerOptions;
  /** The clock trials end by (an accelerated one in tests); the system clock when absent. */
  clock?: () => Date;
  /** Each project's own execution role for its pods (ECS task execution roles on AWS); none locally. */
  executionRoles?: ProjectExecutionRoles;
  /** Where pods' Secret values are kept outside the table (Secrets Manager on AWS): removed with each project. */
  podSecrets?: FoundationOptions['podSecrets'];
  /** Where persistent volume claims' storage is made and removed (loop-mounted disks locally, EFS on AWS); claims stay Pending without it. */
  volumes?: ClaimStorage;
  /** Finalizers a new claim gets with the provisioner's (the claims-data wipe on AWS). */
  claimFinalizers?: readonly string[];
  /** Services' names in a name service outside the hosts (Cloud Map on AWS); locally the host agents' proxies answer them. */
  serviceDiscovery?: { names: ServiceDiscovery; proxies: ServiceProxies } & DiscoveryReconcilerOptions;
  /** Push connections' subscriptions, removed with each project. */
  watchers?: FoundationOptions['watchers'];
  /** What the routers report (requests seen, requests held), the quiet time before a DC is idled, and the clock. */
  idling: { signals: IdleSignalReader; idleAfterMs: number; now?: () => number };
}

/**
 * The platform's reconcilers over the given adapters, in the order a change flows through them.
 * @example createStreamHandler(platformReconcilers({ store, bindings, builds, registry, appsDomain, routers }))
 */
export function platformReconcilers(a: PlatformAdapters): Reconciler[] {
  return [
    ...foundationReconcilers(a.store, {
      executionRoles: a.executionRoles,
      podSecrets: a.podSecrets,
      serviceDiscovery: a.serviceDiscovery?.names,
      watchers: a.watchers,
      ...(a.registry.deleteProjectRepositories ? { images: { deleteProjectRepositories: (p: string) => a.registry.deleteProjectRepositories!(p) } } : {}),
    }),
    trialExpiry(a.store, a.clock),
    buildReconciler({ store: a.store, ...a.builds }),
    buildConfigReconciler(a.store, a.registry),
    ...deployReconcilers(a.store, a.bindings, a.hosts),
    ...(a.registry.retainImage ? [imageRetention(a.store, a.registry)] : []),
    imagePruneReconciler(a.store, a.registry),
    ...(a.volumes ? [claimReconciler(a.store, a.volumes, { alsoFinalizers: a.claimFinalizers })] : []),
    routeAdmission({ store: a.store, domain: a.appsDomain }),
    a.routers,
    ...(a.serviceDiscovery ? [serviceDiscoveryReconciler(a.store, a.serviceDiscovery.names, a.serviceDiscovery.proxies, a.serviceDiscovery)] : []),
    idler({ store: a.store, ...a.idling }),
  ];
}
