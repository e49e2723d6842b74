// The ReplicationController controller: keeps exactly spec.replicas live pods of each revision.
// Missing ones are made from the template (named `<rc>-<suffix>`); spare ones are stopped,
// those that are not yet placed or not ready first, then the newest; pods that ended although
// they should always run are replaced. It reports how many pods there are, how many are ready
// and how many available (ready for minReadySeconds); rollouts read those counts.
import { NotFoundError, ignoring } from '../errors.ts';
import { DC_LABEL, RC_LABEL } from '../model/deploy-kinds.ts';
import type { ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { collect, eachObject, eachOfKind } from '../store/each.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Pod, ReplicationController } from '../model/objects.ts';
import { isAvailable, isReady, isTerminating, newPodName, rcNameOfPod, untilAvailable } from '../model/pods.ts';
import { terminatePod } from './pods.ts';

/** Pods made in one pass at most; the rest come on the next (bounded Lambda time). */
export const MAX_CREATES_PER_PASS = 50;

export interface ReplicationDeps {
  store: ObjectStore;
  now?: () => number;
}

/** A pod that has ended although its policy says it should be running again (Failed with Always/OnFailure, Succeeded with Always). */
function ended(p: Pod): boolean {
  const policy = p.spec.restartPolicy ?? 'Always';
  if (p.status?.phase === 'Failed') return policy !== 'Never';
  if (p.status?.phase === 'Succeeded') return policy === 'Always';
  return false;
}

/** The order spare pods are stopped in: unplaced, then not ready, then the newest. */
function spareFirst(a: Pod, b: Pod): number {
  const rank = (p: Pod) => (!p.spec.host ? 0 : !isReady(p) ? 1 : 2);
  return rank(a) - rank(b) || b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp) || b.metadata.name.localeCompare(a.metadata.name);
}

export function replicationReconciler(deps: ReplicationDeps): Reconciler {
  const { store } = deps;
  const now = deps.now ?? Date.now;

  async function podsOf(project: string, rc: string): Promise<Pod[]> {
    return collect(eachObject<Pod>(store, 'Pod', project, { [RC_LABEL]: rc }));
  }

  async function reconcileRc(ref: ObjectRef): Promise<Result> {
    const rc = await store.get<ReplicationController>(ref);
    const pods = await podsOf(ref.project, ref.name);
    if (!rc || rc.metadata.deletionTimestamp) {
      for (const p of pods) await terminatePod(store, p, new Date(now()));
      return {};
    }
    for (const p of pods.filter((p) => !isTerminating(p) && ended(p))) await terminatePod(store, p, new Date(now()));
    let live = pods.filter((p) => !isTerminating(p) && !ended(p));
    const want = rc.spec.replicas;
    let more = false;
    if (live.length < want) {
      const count = Math.min(want - live.length, MAX_CREATES_PER_PASS);
      more = want - live.length > count;
      const dc = rc.metadata.labels?.[DC_LABEL];
      const labels = { ...rc.spec.template.metadata.labels, [RC_LABEL]: rc.metadata.name, ...(dc ? { [DC_LABEL]: dc } : {}) };
      for (let i = 0; i < count; i++) {
        const made = await store.create<Pod>({
          kind: 'Pod',
          metadata: { name: newPodName(rc.metadata.name), project: ref.project, labels, ...(rc.spec.template.metadata.annotations ? { annotations: rc.spec.template.metadata.annotations } : {}) },
          spec: rc.spec.template.spec,
          status: { phase: 'Pending', conditions: [], restartCount: 0 },
        });
        live.push(made);
      }
    } else if (live.length > want) {
      const spare = [...live].sort(spareFirst).slice(0, live.length - want);
      for (const p of spare) await terminatePod(store, p, new Date(now()));
      live = live.filter((p) => !spare.includes(p));
    }

    const t = now();
    const minReady = rc.spec.minReadySeconds ?? 0;
    const status = {
      replicas: live.length,
      readyReplicas: live.filter((p) => isReady(p)).length,
      availableReplicas: live.filter((p) => isAvailable(p, minReady, t)).length,
      observedGeneration: rc.metadata.generation,
    };
    const s = rc.status ?? {};
    if (s.replicas !== status.replicas || s.readyReplicas !== status.readyReplicas || s.availableReplicas !== status.availableReplicas || s.observedGeneration !== status.observedGeneration) {
      await patchStatus<ReplicationController>(store, ref, (cur) => ({ ...cur.status, ...status })).catch(ignoring(NotFoundError));
    }
    if (more) return { requeueAfter: 0 };
    const waits = live.map((p) => untilAvailable(p, minReady, t)).filter((w): w is number => w !== undefined && w > 0);
    return waits.length ? { requeueAfter: Math.min(...waits) + 10 } : {};
  }

  return {
    name: 'replication',
    kinds: ['ReplicationController', 'Pod'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      if (ref.kind === 'ReplicationController') return reconcileRc(ref);
      if (ref.kind !== 'Pod') return {};
      const pod = await store.get<Pod>(ref);
      // A pod that is gone names its controller only through its name; one that exists through its label (hook pods carry none).
      const rc = pod ? pod.metadata.labels?.[RC_LABEL] : rcNameOfPod(ref.name);
      if (!rc) return {};
      return reconcileRc({ kind: 'ReplicationController', project: ref.project, name: rc });
    },
    async *resync() {
      for await (const rc of eachOfKind<ReplicationController>(store, 'ReplicationController')) {
        yield { kind: 'ReplicationController', project: rc.metadata.project, name: rc.metadata.name };
      }
    },
  };
}
