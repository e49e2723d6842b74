// The ReplicationController controller: keeps exactly spec.replicas live pods of each revision.
// Missing ones are made from the template (named `<rc>-<suffix>`); spare ones are stopped,
// those that are not yet placed or not ready first, then the newest; pods that ended although
// they should always run are replaced. It reports how many pods there are, how many are ready
// and how many available (ready for minReadySeconds); rollouts read those counts.
import { NotFoundError, ValidationError, ignoring } from '../errors.ts';
import { recordEvent } from '../events/record.ts';
import { admitPodSpec } from '../quota/admit-pods.ts';
import { QuotaExceededError } from '../quota/errors.ts';
import type { Condition } from '../model/deploy-kinds.ts';
import { DC_LABEL, RC_LABEL } from '../model/deploy-kinds.ts';
import type { ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { collect, eachObject, eachOfKind } from '../store/each.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Pod, ReplicationController } from '../model/objects.ts';
import { isAvailable, isReady, isTerminating, newPodName, rcNameOfPod, untilAvailable } from '../model/pods.ts';
import { terminatePod } from './pods.ts';
import { coalescing } from '../reconcile/one-at-a-time.ts';

/** Pods made in one pass at most; the rest come on the next (bounded Lambda time). */
export const MAX_CREATES_PER_PASS = 50;

export interface ReplicationDeps {
  store: ObjectStore;
  now?: () => number;
  /**
   * Hands the pods a pass made straight on (to the scheduler), rather than leaving them to their
   * stream records: a new pod is placed in the same invocation that made it. Best effort: a
   * failure here is put right by the pod's own record, which reconciles it again.
   */
  onCreated?: (pods: Pod[]) => Promise<unknown>;
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

/** How soon pods refused by the quota or a limit range are tried again. */
export const QUOTA_RETRY_MS = 15_000;

const rcFailure = (rc: ReplicationController): string | undefined => rc.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')?.message;

function withFailure(conditions: Condition[], failure: string | undefined): Condition[] {
  const others = conditions.filter((c) => c.type !== 'ReplicaFailure');
  return failure ? [...others, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: new Date().toISOString() }] : others;
}

export function replicationReconciler(deps: ReplicationDeps): Reconciler {
  const { store } = deps;
  const now = deps.now ?? Date.now;

  async function podsOf(project: string, rc: string): Promise<Pod[]> {
    return collect(eachObject<Pod>(store, 'Pod', project, { [RC_LABEL]: rc }));
  }

  const serial = coalescing();

  /**
   * One pass over the RC (one at a time per RC in this process; the records of a batch that all
   * lead to one RC share one pass, see one-at-a-time.ts), its new pods handed on, once, as soon
   * as they are made.
   */
  async function reconcileRc(ref: ObjectRef): Promise<Result> {
    const { result, handing } = await serial(`${ref.project}/${ref.name}`, () => passRc(ref));
    await handing;
    return result;
  }

  async function passRc(ref: ObjectRef): Promise<{ result: Result; handing?: Promise<unknown> }> {
    const created: Pod[] = [];
    let handing: Promise<unknown> | undefined;
    const done = (result: Result) => ({ result, handing });
    const rc = await store.get<ReplicationController>(ref);
    const pods = await podsOf(ref.project, ref.name);
    if (!rc || rc.metadata.deletionTimestamp) {
      for (const p of pods) await terminatePod(store, p, new Date(now()));
      return done({});
    }
    for (const p of pods.filter((p) => !isTerminating(p) && ended(p))) await terminatePod(store, p, new Date(now()));
    let live = pods.filter((p) => !isTerminating(p) && !ended(p));
    const want = rc.spec.replicas;
    let more = false;
    // Why pods could not be made (quota, limit range); undefined when they could, or none were needed.
    let failure: string | undefined = rcFailure(rc);
    if (live.length < want) {
      const count = Math.min(want - live.length, MAX_CREATES_PER_PASS);
      more = want - live.length > count;
      const dc = rc.metadata.labels?.[DC_LABEL];
      const labels = { ...rc.spec.template.metadata.labels, [RC_LABEL]: rc.metadata.name, ...(dc ? { [DC_LABEL]: dc } : {}) };
      try {
        // Limit-range defaults are filled in and the quota admits each pod as the store writes it.
        const spec = await admitPodSpec(store, ref.project, rc.spec.template.spec, 'spec.template.spec');
        for (let i = 0; i < count; i++) {
          const made = await store.create<Pod>({
            kind: 'Pod',
            metadata: { name: newPodName(rc.metadata.name), project: ref.project, labels, ...(rc.spec.template.metadata.annotations ? { annotations: rc.spec.template.metadata.annotations } : {}) },
            spec,
            status: { phase: 'Pending', conditions: [], restartCount: 0 },
          });
          live.push(made);
          created.push(made);
        }
        failure = undefined;
      } catch (err) {
        if (!(err instanceof QuotaExceededError) && !(err instanceof ValidationError)) throw err;
        // As Kubernetes' ReplicaSet controller: FailedCreate on the controller (and its DC), a ReplicaFailure condition, and a look again later.
        failure = err.message;
        more = false;
        const at = now();
        await recordEvent(store, ref, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${err.message}` }, at);
        if (dc) await recordEvent(store, { kind: 'DeploymentConfig', project: ref.project, name: dc }, { type: 'Warning', reason: 'FailedCreate', message: `${rc.metadata.name}: Error creating: ${err.message}` }, at);
      }
      // To the scheduler now (those made before a refusal too), while this pass writes the RC's status.
      if (created.length && deps.onCreated) handing = deps.onCreated(created).catch(() => undefined);
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
    if (live.length >= want) failure = undefined;
    const s = rc.status ?? {};
    if (s.replicas !== status.replicas || s.readyReplicas !== status.readyReplicas || s.availableReplicas !== status.availableReplicas || s.observedGeneration !== status.observedGeneration || rcFailure(rc) !== failure) {
      // The RC as this pass read it saves a read; a stale one is a conflict, then read.
      await patchStatus<ReplicationController>(store, ref, (cur) => ({ ...cur.status, ...status, conditions: withFailure(cur.status?.conditions ?? [], failure) }), rc).catch(ignoring(NotFoundError));
    }
    if (more) return done({ requeueAfter: 0 });
    if (failure) return done({ requeueAfter: QUOTA_RETRY_MS });
    const waits = live.map((p) => untilAvailable(p, minReady, t)).filter((w): w is number => w !== undefined && w > 0);
    return done(waits.length ? { requeueAfter: Math.min(...waits) + 10 } : {});
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
