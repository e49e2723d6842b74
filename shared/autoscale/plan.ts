// The fleet autoscaler's decisions as one pure function of what it observed: how many hosts the
// pending pods (and reservations no host had room for, counted the same way) need (bin-packed by
// cpu and memory into hosts of the group's size, after the room already there and on its way),
// which empty hosts have been quiet long enough to retire, and which instances must be protected
// from Auto Scaling's own scale-in. The runner (autoscaler.ts)
// reads the state and applies the actions in order; every action is idempotent.
//
// A host leaves in three passes, as Kubernetes' cluster autoscaler retires a node: it is marked
// idle when first seen empty; once it has stayed empty for the quiet period it is cordoned (the
// scheduler places nothing more there) and its scale-in protection removed; a pass later, still
// empty and seen unprotected, its instance is terminated with the desired capacity decremented.
// Hosts with pods are never retired, and an instance Auto Scaling reports protected is never
// terminated.
import type { Resources } from '../scheduler/types.ts';
import type { GroupInstance, PendingPod, ScalingAction, ScalingGroup, ScalingHost, ScalingPlan, ScalingPolicy } from './types.ts';

export const DEFAULT_POLICY: ScalingPolicy = { quietMs: 10 * 60_000, settleMs: 60_000 };

interface Room {
  cpu: number;
  mem: number;
}

/** An instance on its way out of the group (or out of service) holds no room and is not retired again. */
const leaving = (i: GroupInstance) => /^(Terminat|Detach|EnteringStandby|Standby|Warmed)/.test(i.lifecycleState);
const isEmpty = (h: ScalingHost) => h.pods === 0 && h.requested.cpuMilli === 0 && h.requested.memoryBytes === 0;
const roomOf = (h: ScalingHost): Room => ({ cpu: h.allocatable.cpuMilli - h.requested.cpuMilli, mem: h.allocatable.memoryBytes - h.requested.memoryBytes });

/** Puts `pod` into the first room it fits in, taking its share; the room's index, or -1. */
function fitFirst(rooms: Room[], pod: PendingPod): number {
  const i = rooms.findIndex((r) => pod.cpuMilli <= r.cpu && pod.memoryBytes <= r.mem);
  if (i >= 0) {
    rooms[i]!.cpu -= pod.cpuMilli;
    rooms[i]!.mem -= pod.memoryBytes;
  }
  return i;
}

/** Largest first (by the larger of its cpu and memory shares of one host), as first-fit-decreasing packs. */
function largestFirst(pods: readonly PendingPod[], capacity: Resources | undefined): PendingPod[] {
  const size = (p: PendingPod) =>
    capacity ? Math.max(p.cpuMilli / Math.max(1, capacity.cpuMilli), p.memoryBytes / Math.max(1, capacity.memoryBytes)) : p.cpuMilli + p.memoryBytes / 2 ** 20;
  return [...pods].sort((a, b) => size(b) - size(a) || (a.name < b.name ? -1 : 1));
}

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** "3 pending pods need", "1 pending pod and 1 pending reservation need", "1 pending reservation needs". */
function waitingWords(items: readonly PendingPod[]): string {
  const reservations = items.filter((p) => p.reservation).length;
  const pods = items.length - reservations;
  const parts = [...(pods || !reservations ? [counted(pods, 'pending pod')] : []), ...(reservations ? [counted(reservations, 'pending reservation')] : [])];
  return `${parts.join(' and ')} need${items.length === 1 ? 's' : ''}`;
}

/** The capacity of one host of the group: as configured, else the largest host registered. */
function capacityOf(group: ScalingGroup, hosts: readonly ScalingHost[]): Resources | undefined {
  if (group.instanceCapacity) return group.instanceCapacity;
  const largest = [...hosts].sort((a, b) => b.allocatable.cpuMilli - a.allocatable.cpuMilli)[0];
  return largest && largest.allocatable.cpuMilli > 0 ? { ...largest.allocatable } : undefined;
}

/**
 * What to do with one Auto Scaling group now.
 *
 * @example
 *   plan(hosts, [{ name: 'demo/web-1-x', cpuMilli: 1500, memoryBytes: 2 * GiB }], group, Date.now())
 *   // { actions: [{ type: 'set-desired', desired: 3, reason: '1 pending pod needs 1 more host' }], tooLarge: [] }
 */
export function plan(hosts: readonly ScalingHost[], pending: readonly PendingPod[], group: ScalingGroup, now: number, policy: ScalingPolicy = DEFAULT_POLICY): ScalingPlan {
  const store: ScalingAction[] = [];
  const protection = { on: [] as string[], off: [] as string[] };
  const byId = new Map(group.instances.map((i) => [i.instanceId, i]));
  const managed = hosts.filter((h) => byId.has(h.instanceId) && !leaving(byId.get(h.instanceId)!)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const capacity = capacityOf(group, managed);

  // Room for the pending pods: the open hosts, then cordoned hosts reopened, then hosts on their way.
  const claimed = new Set<string>();
  const open = managed.filter((h) => h.ready && h.drainingSince === undefined);
  const openRooms = open.map(roomOf);
  let waiting = largestFirst(pending, capacity).filter((p) => {
    const i = fitFirst(openRooms, p);
    if (i >= 0) claimed.add(open[i]!.name);
    return i < 0;
  });
  const reopened = new Set<string>();
  for (const h of managed) {
    if (!waiting.length) break;
    if (h.drainingSince === undefined || !h.ready) continue;
    const rooms = [roomOf(h)];
    const left = waiting.filter((p) => fitFirst(rooms, p) < 0);
    if (left.length === waiting.length) continue;
    reopened.add(h.name);
    store.push({ type: 'uncordon', host: h.name });
    waiting = left;
  }
  const registered = new Set(managed.map((h) => h.instanceId));
  const live = group.instances.filter((i) => !leaving(i));
  const inFlight = live.filter((i) => !registered.has(i.instanceId)).length + Math.max(0, group.desired - live.length);

  const tooLarge: string[] = [];
  let need = 0;
  if (waiting.length && !capacity) {
    // No host of this group has registered yet: one first, and its size tells the next pass.
    need = inFlight > 0 ? 0 : 1;
  } else if (waiting.length && capacity) {
    const bins: Room[] = Array.from({ length: inFlight }, () => ({ cpu: capacity.cpuMilli, mem: capacity.memoryBytes }));
    for (const p of waiting) {
      if (p.cpuMilli > capacity.cpuMilli || p.memoryBytes > capacity.memoryBytes) {
        tooLarge.push(p.name);
        continue;
      }
      if (fitFirst(bins, p) >= 0) continue;
      bins.push({ cpu: capacity.cpuMilli - p.cpuMilli, mem: capacity.memoryBytes - p.memoryBytes });
      need++;
    }
  }
  const scaleOut: ScalingAction[] = [];
  const desired = Math.min(group.max, group.desired + need);
  if (desired > group.desired) {
    const helped = waiting.filter((p) => !tooLarge.includes(p.name));
    scaleOut.push({ type: 'set-desired', desired, reason: `${waitingWords(helped)} ${need} more host${need === 1 ? '' : 's'}${desired < group.desired + need ? ` (capped at the group's maximum, ${group.max})` : ''}` });
  }

  // Scale-in: only while nothing waits for room that the group could give.
  const demand = waiting.length > tooLarge.length || reopened.size > 0;
  const draining = managed.filter((h) => h.drainingSince !== undefined && !reopened.has(h.name)).length;
  let budget = group.desired - group.min - draining;
  const terminations: ScalingAction[] = [];
  for (const h of managed) {
    const instance = byId.get(h.instanceId)!;
    if (reopened.has(h.name)) {
      if (!instance.protectedFromScaleIn) protection.on.push(h.instanceId);
      continue;
    }
    if (h.drainingSince !== undefined) {
      if (!isEmpty(h)) continue;
      const keepsMin = group.desired - terminations.length - 1 >= group.min;
      if (h.keep || !keepsMin) {
        store.push({ type: 'uncordon', host: h.name });
        if (!instance.protectedFromScaleIn) protection.on.push(h.instanceId);
        continue;
      }
      if (instance.protectedFromScaleIn) {
        protection.off.push(h.instanceId);
        continue;
      }
      if (instance.lifecycleState !== 'InService' || now - h.drainingSince < policy.settleMs) continue;
      terminations.push({ type: 'terminate', host: h.name, instanceId: h.instanceId });
      continue;
    }
    // Every host Berth is not retiring stays protected from Auto Scaling's own scale-in.
    const keepProtected = () => {
      if (!instance.protectedFromScaleIn) protection.on.push(h.instanceId);
    };
    if (!isEmpty(h) || claimed.has(h.name) || h.keep || demand) {
      if (h.idleSince !== undefined) store.push({ type: 'clear-idle', host: h.name });
      keepProtected();
      continue;
    }
    if (h.idleSince === undefined) {
      store.push({ type: 'mark-idle', host: h.name, at: now });
      keepProtected();
      continue;
    }
    if (now - h.idleSince < policy.quietMs || budget <= 0) {
      keepProtected();
      continue;
    }
    budget--;
    store.push({ type: 'cordon', host: h.name, at: now });
    if (instance.protectedFromScaleIn) protection.off.push(h.instanceId);
  }
  // Hosts whose instances have left the group, cordoned by Berth, empty and silent: forgotten.
  const forget: ScalingAction[] = hosts
    .filter((h) => !byId.has(h.instanceId) && h.drainingSince !== undefined && !h.ready && isEmpty(h))
    .map((h) => ({ type: 'forget', host: h.name }));

  const protect: ScalingAction[] = [];
  if (protection.on.length) protect.push({ type: 'protect', instanceIds: protection.on, protect: true });
  if (protection.off.length) protect.push({ type: 'protect', instanceIds: protection.off, protect: false });
  // The order the runner applies them in: a host is cordoned before it loses its protection.
  return { actions: [...store, ...protect, ...scaleOut, ...terminations, ...forget], tooLarge };
}
