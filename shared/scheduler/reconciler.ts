// The scheduler as a reconciler: a pending pod that is bound nowhere is placed with `place()`
// over the hosts as stored, and bound with one conditional write of the pod and the host. A
// binding that loses a race reads both again and places again. A pod that fits nowhere keeps
// a PodScheduled=False condition and a FailedScheduling Event with Kubernetes' wording, and is
// looked at again shortly (capacity frees up, hosts join).
import { ConflictError, NotFoundError } from '../errors.ts';
import { DC_LABEL } from '../model/deploy-kinds.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { Host, Pod } from '../model/objects.ts';
import { isTerminating, podGroup, podRequest, setPodCondition } from '../model/pods.ts';
import { recordEvent } from '../events/record.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { coalescing } from '../reconcile/one-at-a-time.ts';
import { eachByField, eachObject } from '../store/each.ts';
import { unboundPodsTerm } from '../store/lookups.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { bindPod } from './bind.ts';
import { volumePlacement } from '../volumes/placement.ts';
import { cordoned } from './cordon.ts';
import { hostInfoOf } from './host-info.ts';
import { place } from './place.ts';
import type { BindingStore } from './ports.ts';
import type { HostInfo } from './types.ts';

/**
 * How long the hosts read for one placement serve the next ones. A binding is conditional on the
 * host's version, so a stale copy costs a conflict and a fresh read, never an over-commitment; a
 * pod that fits nowhere is placed again on a fresh read before it is called unschedulable.
 */
export const HOSTS_FRESH_MS = 2_000;

/** How soon a pod that fits nowhere is tried again. */
export const UNSCHEDULABLE_RETRY_MS = 5_000;
const ATTEMPTS = 5;

export interface SchedulerReconcilerDeps {
  store: ObjectStore;
  bindings: BindingStore;
  now?: () => number;
}

/** A pod waiting for a host: pending, bound nowhere, not being deleted. */
export const pendingUnbound = (p: Pod | undefined): p is Pod => !!p && !p.spec.host && !isTerminating(p) && (p.status?.phase ?? 'Pending') === 'Pending';

export function schedulerReconciler(deps: SchedulerReconcilerDeps): Reconciler {
  const { store, bindings } = deps;
  const now = deps.now ?? Date.now;

  // The hosts last read, kept up to date with the host each binding returns (see HOSTS_FRESH_MS).
  let known: { at: number; hosts: Promise<Map<string, Host>> } | undefined;
  async function readHosts(fresh: boolean): Promise<Map<string, Host>> {
    if (fresh || !known || now() - known.at > HOSTS_FRESH_MS) {
      const hosts = (async () => {
        const all = new Map<string, Host>();
        for await (const h of eachObject<Host>(store, 'Host', '')) all.set(h.metadata.name, h);
        return all;
      })();
      known = { at: now(), hosts };
      hosts.catch(() => (known = undefined));
    }
    return known.hosts;
  }

  /** The hosts as the scheduler sees them, with how many of the pod's group each already runs. */
  async function fleetFor(pod: Pod, fresh: boolean): Promise<{ infos: HostInfo[]; hosts: Map<string, Host> }> {
    const perHost = new Map<string, number>();
    const dc = pod.metadata.labels?.[DC_LABEL];
    // The hosts (when not fresh enough) and the pod's siblings are read side by side.
    const [hosts] = await Promise.all([
      readHosts(fresh),
      (async () => {
        if (!dc) return;
        for await (const sibling of eachObject<Pod>(store, 'Pod', pod.metadata.project, { [DC_LABEL]: dc })) {
          if (sibling.spec.host && !isTerminating(sibling)) perHost.set(sibling.spec.host, (perHost.get(sibling.spec.host) ?? 0) + 1);
        }
      })(),
    ]);
    const group = podGroup(pod);
    const infos = [...hosts.values()].map((h) => {
      const info = hostInfoOf(h, { [group]: perHost.get(h.metadata.name) ?? 0 });
      return cordoned(h) ? { ...info, ready: false } : info;
    });
    return { infos, hosts };
  }

  async function unschedulable(pod: Pod, message: string): Promise<Result> {
    const before = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (before?.status !== 'False' || before.message !== message) {
      await patchStatus<Pod>(store, refOf(pod), (cur) => (cur.spec.host ? undefined : setPodCondition(cur.status, 'PodScheduled', 'False', 'Unschedulable', message, new Date(now()))));
      await recordEvent(store, refOf(pod), { type: 'Warning', reason: 'FailedScheduling', message }, now());
    }
    return { requeueAfter: UNSCHEDULABLE_RETRY_MS };
  }

  const serial = coalescing();
  return {
    name: 'scheduler',
    kinds: ['Pod'],
    // Calls for one pod in one process (the RC handing its new pod on, the pod's stream record, a
    // process told of the pod at once) take turns: the first places it, the others find it bound.
    reconcile: (ref: ObjectRef): Promise<Result> => (ref.kind === 'Pod' ? serial(`${ref.project}/${ref.name}`, () => schedule(ref)) : Promise.resolve({})),
    async *resync() {
      for await (const p of eachByField<Pod>(store, unboundPodsTerm)) if (pendingUnbound(p)) yield refOf(p);
    },
  };

  async function schedule(ref: ObjectRef): Promise<Result> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const pod = await store.get<Pod>(ref);
      if (!pendingUnbound(pod)) return {};
      const request = podRequest(pod);
      const volumes = await volumePlacement(store, pod);
      if ('wait' in volumes) return unschedulable(pod, volumes.wait);
      const subject = { name: pod.metadata.name, project: pod.metadata.project, group: podGroup(pod), ...request, ...volumes };
      let { infos, hosts } = await fleetFor(pod, attempt > 0);
      let placement = place(subject, infos);
      if ('unschedulable' in placement && attempt === 0) {
        ({ infos, hosts } = await fleetFor(pod, true));
        placement = place(subject, infos);
      }
      if ('unschedulable' in placement) return unschedulable(pod, placement.unschedulable);
      try {
        const bound = await bindPod(bindings, { pod, host: hosts.get(placement.host)!, request });
        hosts.set(placement.host, bound.host as Host);
        await recordEvent(store, ref, { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${ref.project}/${ref.name} to ${placement.host}` }, now());
        return {};
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof ConflictError) continue;
        throw err;
      }
    }
    // Lost every race: the next pass reads everything again.
    return { requeueAfter: 0 };
  }
}
