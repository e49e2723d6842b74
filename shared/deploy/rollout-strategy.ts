// Moves the latest revision's rollout one pass along, by its strategy: pre hook, then Rolling
// (rollingStep per pass) or Recreate (old to 0, pods gone, mid hook, new up), then post hook and
// Complete. A rollout past its timeout, or whose Abort hook failed, is Failed: its RC goes to 0
// and the previous Complete revision is scaled back up, so the DC keeps running what it ran.
import { NotFoundError, ignoring } from '../errors.ts';
import { DC_LABEL, RC_LABEL, type LifecycleHook } from '../model/deploy-kinds.ts';
import { refOf } from '../model/types.ts';
import { collect, eachObject } from '../store/each.ts';
import { patchStatus, retryOnConflict } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Result } from '../reconcile/types.ts';
import type { DeploymentConfig, Pod, ReplicationController } from '../model/objects.ts';
import { terminatePod } from './pods.ts';
import { recordEvent } from '../events/record.ts';
import { hookPodName, runHook, type HookStage } from './rollout-hooks.ts';
import { rollingStep } from './rollout.ts';
import { revisionOf } from './rollout-template.ts';

export interface RolloutContext {
  store: ObjectStore;
  dc: DeploymentConfig;
  /** Every RC of the DC, oldest revision first; the last is the one rolling out. */
  rcs: ReplicationController[];
  now: number;
}

const IN_FLIGHT = new Set(['New', 'Pending', 'Running']);
export const inFlight = (rc: ReplicationController | undefined): boolean => !!rc && IN_FLIGHT.has(rc.status.phase ?? 'New');

/** A status change not yet written (the start of a rollout), to go with the RC's next write; `written` once it has. */
export interface PendingStatus {
  status: (cur: ReplicationController) => ReplicationController['status'] | undefined;
  written?: boolean;
}

/**
 * An RC's status telling the replicas its rollout heads for (status.desiredReplicas, which
 * `rollout status` prints), or `status` itself when it already does or there is nothing to tell.
 * Only ever added to a write the rollout makes anyway: never a write of its own.
 */
export function towards(status: ReplicationController['status'], desired: number | undefined): ReplicationController['status'] {
  return desired === undefined || status.desiredReplicas === desired ? status : { ...status, desiredReplicas: desired };
}

export interface ScaleOptions {
  /** A status change to write with the scale. */
  pending?: PendingStatus;
  /** The replicas the RC's rollout heads for, told in the same write (towards). */
  towards?: number;
}

/**
 * Sets an RC's spec.replicas (no write when it already is), reading it again if it changed since;
 * with `pending`, its status change in the same write, and with `towards`, the count it heads for.
 */
export async function scaleRc(store: ObjectStore, rc: ReplicationController, replicas: number, opts: ScaleOptions = {}): Promise<ReplicationController> {
  const { pending } = opts;
  const scaled = await retryOnConflict(async (i) => {
    const cur = i === 0 ? rc : await store.get<ReplicationController>(refOf(rc));
    if (!cur) return undefined;
    const status = pending?.status(cur);
    if (cur.spec.replicas === replicas && status === undefined) return cur;
    const told = towards(status ?? cur.status, opts.towards);
    const next = await store.update<ReplicationController>({ ...cur, spec: { ...cur.spec, replicas }, status: told }, { status: told !== cur.status });
    if (pending && status !== undefined) pending.written = true;
    return next;
  });
  if (!scaled) throw new NotFoundError('ReplicationController', rc.metadata.name);
  return scaled;
}

/** Available replicas an RC can count on: never more than it is asked to keep (a shrinking RC removes unavailable pods first). */
const availableOf = (rc: ReplicationController) => Math.min(rc.status.availableReplicas ?? 0, rc.spec.replicas);

function params(dc: DeploymentConfig) {
  const s = dc.spec.strategy;
  const p = s.type === 'Rolling' ? s.rollingParams : s.recreateParams;
  return {
    timeoutSeconds: p?.timeoutSeconds ?? 600,
    intervalMs: (s.rollingParams?.intervalSeconds ?? 1) * 1000,
    hooks: { pre: p?.pre, mid: s.recreateParams?.mid, post: p?.post } as Record<HookStage, LifecycleHook | undefined>,
  };
}

/** The newest Complete revision before the latest: what a failed rollout goes back to. */
export const lastComplete = (rcs: ReplicationController[]): ReplicationController | undefined => rcs.filter((rc) => rc.status.phase === 'Complete').at(-1);

/** Marks the rollout Failed, scales it to 0, stops its hooks and scales the previous Complete revision back. */
async function fail(ctx: RolloutContext, reason: string, message: string): Promise<Result> {
  const { store, dc, now } = ctx;
  const latest = ctx.rcs.at(-1)!;
  await patchStatus<ReplicationController>(store, refOf(latest), (cur) =>
    inFlight(cur) ? { ...cur.status, phase: 'Failed', reason, message, completionTime: new Date(now).toISOString() } : undefined,
  );
  await scaleRc(store, (await store.get<ReplicationController>(refOf(latest))) ?? latest, 0);
  for (const stage of ['pre', 'mid', 'post'] as const) {
    const pod = await store.get<Pod>({ kind: 'Pod', project: dc.metadata.project, name: hookPodName(latest.metadata.name, stage) });
    if (pod && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) await terminatePod(store, pod).catch(ignoring(NotFoundError));
  }
  const previous = lastComplete(ctx.rcs.slice(0, -1));
  // The revision scaled back heads for the DC's count again, told with that scale.
  for (const rc of ctx.rcs.slice(0, -1)) await scaleRc(store, rc, rc === previous ? dc.spec.replicas : 0, rc === previous ? { towards: dc.spec.replicas } : {});
  const back = previous ? `; rolled back to "${previous.metadata.name}"` : '';
  await recordEvent(store, refOf(dc), { type: 'Warning', reason: 'RolloutFailed', message: `${reason}: ${message}${back}` }, now);
  return {};
}

async function complete(ctx: RolloutContext): Promise<Result> {
  const latest = ctx.rcs.at(-1)!;
  // Over the RC as this pass listed it (no read again); one changed since is a conflict, then read.
  await patchStatus<ReplicationController>(ctx.store, refOf(latest), (cur) =>
    inFlight(cur) ? towards({ ...cur.status, phase: 'Complete', reason: undefined, message: undefined, completionTime: new Date(ctx.now).toISOString() }, ctx.dc.spec.replicas) : undefined,
  latest);
  await recordEvent(ctx.store, refOf(ctx.dc), { type: 'Normal', reason: 'RolloutComplete', message: `Rollout of "${latest.metadata.name}" complete` }, ctx.now);
  return {};
}

/** One pass of Rolling: the next step, written to the RCs (the new one with `starting`, when it scales); true once the new RC alone has every replica available. */
async function rollingPass(ctx: RolloutContext, starting?: PendingStatus): Promise<boolean> {
  const { store, dc } = ctx;
  const latest = ctx.rcs.at(-1)!;
  const olds = ctx.rcs.slice(0, -1).filter((rc) => rc.spec.replicas > 0);
  // An RC whose controller has not yet seen its last change reports counts for the old size: wait.
  if ([latest, ...olds].some((rc) => rc.status.observedGeneration !== undefined && rc.status.observedGeneration < rc.metadata.generation)) return false;
  const p = dc.spec.strategy.rollingParams;
  const step = rollingStep({
    desired: dc.spec.replicas,
    newRc: { replicas: latest.spec.replicas, available: availableOf(latest) },
    oldRcs: olds.map((rc) => ({ name: rc.metadata.name, replicas: rc.spec.replicas, available: availableOf(rc) })),
    maxSurge: p?.maxSurge ?? '25%',
    maxUnavailable: p?.maxUnavailable ?? '25%',
  });
  if (step.done) return true;
  // Shrink first, then grow: the total asked for never passes the ceiling, even between writes.
  for (const rc of olds) await scaleRc(store, rc, step.oldReplicas[rc.metadata.name]!);
  await scaleRc(store, latest, step.newReplicas, { pending: starting, towards: dc.spec.replicas });
  return false;
}

/** One pass of Recreate: old to 0, their pods gone, mid hook, new up; true once the new RC is fully available. */
async function recreatePass(ctx: RolloutContext, mid: LifecycleHook | undefined): Promise<boolean | 'failed'> {
  const { store, dc } = ctx;
  const latest = ctx.rcs.at(-1)!;
  for (const rc of ctx.rcs.slice(0, -1)) await scaleRc(store, rc, 0);
  const pods = await collect(eachObject<Pod>(store, 'Pod', dc.metadata.project, { [DC_LABEL]: dc.metadata.name }));
  if (pods.some((pod) => pod.metadata.labels[RC_LABEL] && pod.metadata.labels[RC_LABEL] !== latest.metadata.name)) return false;
  const hook = await runHook(store, latest, 'mid', mid);
  if (hook !== 'done') return hook === 'failed' ? 'failed' : false;
  const fresh = (await store.get<ReplicationController>(refOf(latest))) ?? latest;
  await scaleRc(store, fresh, dc.spec.replicas, { towards: dc.spec.replicas });
  return fresh.spec.replicas === dc.spec.replicas && availableOf(fresh) >= dc.spec.replicas;
}

/** Moves the latest revision's rollout along by one pass; asks to be called again while it is in flight. */
export async function advanceRollout(ctx: RolloutContext): Promise<Result> {
  const { store, dc, now } = ctx;
  let latest = ctx.rcs.at(-1)!;
  const { timeoutSeconds, intervalMs, hooks } = params(dc);
  // A Rolling rollout without a pre hook writes its start with its first scale of the new RC (one write, not two).
  let starting: PendingStatus | undefined;
  if ((latest.status.phase ?? 'New') === 'New') {
    // Start: stamp the start time, and cancel any earlier rollout still in flight. Pending is the
    // pre hook's phase: without one the rollout is Running from its first write.
    const phase = hooks.pre ? 'Pending' : 'Running';
    const start: PendingStatus = { status: (cur) => ((cur.status.phase ?? 'New') === 'New' ? towards({ ...cur.status, phase, startTime: new Date(now).toISOString() }, dc.spec.replicas) : undefined) };
    if (!hooks.pre && dc.spec.strategy.type === 'Rolling') starting = start;
    else latest = (await patchStatus<ReplicationController>(store, refOf(latest), start.status)) ?? latest;
    for (const rc of ctx.rcs.slice(0, -1).filter(inFlight)) {
      await patchStatus<ReplicationController>(store, refOf(rc), (cur) =>
        inFlight(cur) ? { ...cur.status, phase: 'Failed', reason: 'Cancelled', message: `superseded by revision ${revisionOf(latest)}` } : undefined,
      );
    }
    ctx = { ...ctx, rcs: [...ctx.rcs.slice(0, -1), latest] };
  }
  const deadline = Date.parse(latest.status.startTime ?? latest.metadata.creationTimestamp) + timeoutSeconds * 1000;
  if (now >= deadline) return fail(ctx, 'ProgressDeadlineExceeded', `replication controller "${latest.metadata.name}" has timed out progressing (${timeoutSeconds}s)`);
  const again: Result = { requeueAfter: Math.max(1, Math.min(intervalMs, deadline - now)) };

  const pre = await runHook(store, latest, 'pre', hooks.pre);
  if (pre === 'failed') return fail(ctx, 'HookFailed', `the pre hook of "${latest.metadata.name}" failed`);
  if (pre === 'running') return again;
  if (latest.status.phase === 'Pending') {
    // As written; read again only when someone else changed it first.
    latest = (await patchStatus<ReplicationController>(store, refOf(latest), (cur) => (cur.status.phase === 'Pending' ? towards({ ...cur.status, phase: 'Running' }, dc.spec.replicas) : undefined), latest))
      ?? (await store.get<ReplicationController>(refOf(latest))) ?? latest;
  }
  // The latest RC as listed at the start of this pass, or as it was just written: a stale one costs a conflict and a read.
  const fresh = { ...ctx, rcs: [...ctx.rcs.slice(0, -1), latest] };
  const scaled = dc.spec.strategy.type === 'Recreate' ? await recreatePass(fresh, hooks.mid) : await rollingPass(fresh, starting);
  // A pass that did not scale the new RC (it waits, or has nothing to scale) writes the start on its own.
  if (starting && !starting.written) await patchStatus<ReplicationController>(store, refOf(latest), starting.status, latest);
  if (scaled === 'failed') return fail(ctx, 'HookFailed', `the mid hook of "${latest.metadata.name}" failed`);
  if (!scaled) return again;
  // The post hook reads what the RC now says of it; without one there is nothing to read.
  const post = hooks.post ? await runHook(store, (await store.get<ReplicationController>(refOf(latest))) ?? latest, 'post', hooks.post) : 'done';
  if (post === 'failed') return fail(ctx, 'HookFailed', `the post hook of "${latest.metadata.name}" failed`);
  if (post === 'running') return again;
  return complete(ctx);
}
