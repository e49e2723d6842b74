// Host lifecycle: each host's agent renews a HostLease; the Host object itself is left to
// binding, so heartbeats never conflict with the scheduler. A host whose lease is older than
// the grace period is marked not ready (nothing more is placed on it) and its pods Unknown
// (NodeLost); after the eviction period its pods are released, so their ReplicationControllers
// replace them on healthy hosts. When the lease is renewed again the host is ready again; its
// agent then removes the containers of pods it no longer holds, so no pod runs twice.
import { AlreadyExistsError, NotFoundError, ignoring } from '../errors.ts';
import type { HostLeaseSpec, HostSpec } from '../model/deploy-kinds.ts';
import type { Resources } from '../scheduler/types.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import type { BindingStore } from '../scheduler/ports.ts';
import { eachByField, eachObject } from '../store/each.ts';
import { podsOnHostTerm } from '../store/lookups.ts';
import { patchStatus, retryOnConflict } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Host, HostLease, Pod } from '../model/objects.ts';
import { setPodCondition } from '../model/pods.ts';
import { releasePod } from './pods.ts';

export interface HostLifecycleDeps {
  store: ObjectStore;
  bindings: BindingStore;
  /** How long a host may stay silent before it is NotReady (default 40 s). */
  graceMs?: number;
  /** How long a NotReady host's pods are left before they are replaced elsewhere (default 20 s). */
  evictionMs?: number;
  now?: () => number;
}

/**
 * Renews a host's lease (creates it the first time). Called by the host's agent while its
 * engine answers.
 */
export async function renewLease(store: ObjectStore, host: string, leaseDurationSeconds: number, now: Date = new Date()): Promise<void> {
  const ref = { kind: 'HostLease', project: '', name: host };
  const spec: HostLeaseSpec = { renewTime: now.toISOString(), leaseDurationSeconds };
  // A lease made or renewed by someone else in between (a restarted agent) is read again.
  await retryOnConflict(async () => {
    const lease = await store.get<HostLease>(ref);
    if (!lease) await store.create({ kind: 'HostLease', metadata: { name: host, project: '' }, spec });
    else await store.update({ ...lease, spec });
  }, [AlreadyExistsError, NotFoundError]);
}

export interface HostRecord {
  name: string;
  spec: HostSpec;
  allocatable: Resources;
  /** Whether a newly made Host starts ready; an existing Host's readiness is the lifecycle controller's. */
  ready: boolean;
}

/**
 * Creates the Host, or updates its spec and allocatable room. Never touches status.requested
 * (binding's) nor, on an existing Host, status.ready (the host lifecycle controller's). Used by
 * every fleet's host registration (the Docker host agent, the ECS host discovery).
 */
export async function registerHost(store: ObjectStore, host: HostRecord): Promise<void> {
  const ref = { kind: 'Host', project: '', name: host.name };
  // A Host written meanwhile (a binding, the lifecycle controller, a racing registration) is read again.
  await retryOnConflict(async () => {
    const current = await store.get<Host>(ref);
    if (!current) {
      await store.create({
        kind: 'Host',
        metadata: { name: host.name, project: '' },
        spec: host.spec,
        status: { allocatable: host.allocatable, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: host.ready, conditions: [] },
      });
      return;
    }
    if (JSON.stringify(current.spec) !== JSON.stringify(host.spec)) await store.update({ ...current, spec: host.spec });
    const same = (h: Host) => h.status.allocatable.cpuMilli === host.allocatable.cpuMilli && h.status.allocatable.memoryBytes === host.allocatable.memoryBytes;
    await patchStatus<Host>(store, ref, (h) => (same(h) ? undefined : { ...h.status, allocatable: host.allocatable }));
  }, [AlreadyExistsError, NotFoundError]);
}

/** The pods bound to a host, across projects. */
export async function* podsOnHost(store: ObjectStore, host: string): AsyncIterable<Pod> {
  for await (const p of eachByField<Pod>(store, podsOnHostTerm(host))) if (p.spec.host === host) yield p;
}

export function hostLifecycleReconciler(deps: HostLifecycleDeps): Reconciler {
  const { store, bindings } = deps;
  const graceMs = deps.graceMs ?? 40_000;
  const evictionMs = deps.evictionMs ?? 20_000;
  const now = deps.now ?? Date.now;

  async function setReady(host: Host, ready: boolean, reason: string, message: string): Promise<void> {
    const readyNow = host.status.ready;
    const cond = host.status.conditions?.find((c) => c.type === 'Ready');
    if (readyNow === ready && cond?.reason === reason) return;
    await patchStatus<Host>(store, refOf(host), (cur) => ({ ...setPodCondition(cur.status, 'Ready', ready ? 'True' : 'False', reason, message, new Date(now())), ready })).catch(
      ignoring(NotFoundError),
    );
  }

  async function reconcileHost(name: string): Promise<Result> {
    const host = await store.get<Host>({ kind: 'Host', project: '', name });
    if (!host) return {};
    const lease = await store.get<HostLease>({ kind: 'HostLease', project: '', name });
    const t = now();
    const renewed = lease ? Date.parse(lease.spec.renewTime) : Date.parse(host.metadata.creationTimestamp);
    const silentFor = t - renewed;
    // A lease may promise a longer silence than the default grace (hosts renewed by a periodic job).
    const grace = Math.max(graceMs, (lease?.spec.leaseDurationSeconds ?? 0) * 1000);
    if (silentFor < grace) {
      await setReady(host, true, 'HostReady', 'the host agent is renewing its lease');
      return { requeueAfter: grace - silentFor + 10 };
    }
    await setReady(host, false, 'HostStatusUnknown', `the host agent stopped renewing its lease ${Math.round(silentFor / 1000)} s ago`);
    const evict = silentFor >= grace + evictionMs;
    for await (const pod of podsOnHost(store, name)) {
      if (evict) {
        await releasePod(store, bindings, pod);
        continue;
      }
      if (pod.status?.phase === 'Unknown' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      await patchStatus<Pod>(store, refOf(pod), (cur) =>
        cur.spec.host !== name ? undefined : { ...setPodCondition(cur.status, 'Ready', 'False', 'NodeLost', `host ${name} is not responding`, new Date(t)), phase: 'Unknown', reason: 'NodeLost', message: `host ${name} is not responding` },
      ).catch(ignoring(NotFoundError));
    }
    return { requeueAfter: evict ? grace : grace + evictionMs - silentFor + 10 };
  }

  return {
    name: 'host-lifecycle',
    kinds: ['Host', 'HostLease'],
    reconcile: (ref: ObjectRef) => reconcileHost(ref.name),
    async *resync() {
      for await (const h of eachObject<Host>(store, 'Host', '')) yield refOf(h);
    },
  };
}
