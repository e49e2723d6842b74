// Pure planning of a Rolling rollout, after Kubernetes' deployment controller: how far the new
// ReplicationController may grow (maxSurge) and how far the old ones may shrink (maxUnavailable)
// in one step, given the replicas asked for and the replicas available now.

/** An absolute count or a percentage of the desired replicas ("25%"). */
export type IntOrPercent = number | string;

/**
 * A count or percentage resolved against `replicas`. Percentages round up for maxSurge and down
 * for maxUnavailable, as Kubernetes does.
 * @example resolveIntOrPercent('25%', 3, true) === 1; resolveIntOrPercent('25%', 3, false) === 0
 */
export function resolveIntOrPercent(v: IntOrPercent | undefined, replicas: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d{1,3})%$/.exec(v);
  if (!m) throw new Error(`"${v}" is neither a count nor a percentage`);
  const exact = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as counts; when both come to 0, maxUnavailable is 1 so a rollout can move. */
export function resolveSurge(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, desired: number): { maxSurge: number; maxUnavailable: number } {
  const surge = resolveIntOrPercent(maxSurge, desired, true);
  const unavailable = resolveIntOrPercent(maxUnavailable, desired, false);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

export interface RcCounts {
  replicas: number;
  available: number;
}

export interface RollingInput {
  desired: number;
  newRc: RcCounts;
  /** The older revisions still holding replicas, oldest first (scaled down in that order). */
  oldRcs: (RcCounts & { name: string })[];
  maxSurge: IntOrPercent;
  maxUnavailable: IntOrPercent;
}

export interface RollingStep {
  /** The new RC's next spec.replicas. */
  newReplicas: number;
  /** Every old RC's next spec.replicas, by name. */
  oldReplicas: Record<string, number>;
  /** The new RC has every desired replica available and no old RC holds any. */
  done: boolean;
}

/**
 * The next spec.replicas of the new RC and of each old RC. The total asked for never exceeds
 * desired + maxSurge, and old replicas are removed only while the available ones (assuming an RC
 * removes its unavailable pods first) stay at least desired − maxUnavailable. Unavailable old
 * replicas are cleaned up before available ones.
 */
export function rollingStep(input: RollingInput): RollingStep {
  const { desired, newRc, oldRcs } = input;
  const { maxSurge, maxUnavailable } = resolveSurge(input.maxSurge, input.maxUnavailable, desired);
  const oldTotal = oldRcs.reduce((n, rc) => n + rc.replicas, 0);
  const done = newRc.replicas === desired && newRc.available >= desired && oldTotal === 0;

  // Scale the new RC up within the surge, or down to desired when desired shrank.
  let newReplicas = newRc.replicas;
  if (newRc.replicas > desired) newReplicas = desired;
  else {
    const room = desired + maxSurge - (newRc.replicas + oldTotal);
    if (room > 0) newReplicas = Math.min(desired, newRc.replicas + room);
  }

  const oldReplicas: Record<string, number> = Object.fromEntries(oldRcs.map((rc) => [rc.name, rc.replicas]));
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = Math.max(0, newRc.replicas - newRc.available);
  let budget = newRc.replicas + oldTotal - minAvailable - newUnavailable;
  // First the old replicas that are not available: removing them costs no availability.
  for (const rc of oldRcs) {
    if (budget <= 0) break;
    const down = Math.min(budget, Math.max(0, rc.replicas - Math.min(rc.available, rc.replicas)));
    oldReplicas[rc.name] = rc.replicas - down;
    budget -= down;
  }
  // Then available ones, as long as the available total stays at or above the minimum.
  const cleaned = oldRcs.map((rc) => ({ ...rc, replicas: oldReplicas[rc.name]!, available: Math.min(rc.available, oldReplicas[rc.name]!) }));
  let spare = Math.min(newRc.available, newRc.replicas) + cleaned.reduce((n, rc) => n + rc.available, 0) - minAvailable;
  for (const rc of cleaned) {
    if (spare <= 0) break;
    const down = Math.min(rc.replicas, spare);
    oldReplicas[rc.name] = rc.replicas - down;
    spare -= down;
  }
  return { newReplicas, oldReplicas, done };
}
