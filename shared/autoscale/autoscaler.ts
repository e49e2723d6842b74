// The fleet autoscaler's pass: reads the hosts of one Auto Scaling group (Host objects carrying
// their instance ID), the pods bound to them and the pods waiting for a host, with the room wanted
// by what is not a pod (a Service's proxy no host had room for: shared/scheduler/wanted-room.ts),
// counted as a waiting pod is; asks the planner
// (plan.ts) what to do and does it: Host annotations in the store (idle, cordoned), protection,
// desired capacity and terminations through the group's port. Run it on a timer (the resync
// function's schedule on AWS); every pass reads everything fresh.
import { NotFoundError, ignoring } from '../errors.ts';
import type { Host, Pod } from '../model/objects.ts';
import { podRequest } from '../model/pods.ts';
import { pendingUnbound } from '../scheduler/reconciler.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { DEFAULT_POLICY, plan } from './plan.ts';
import type { ScalingGroups } from './ports.ts';
import { DRAINING_ANNOTATION, IDLE_SINCE_ANNOTATION, KEEP_ANNOTATION, type PendingPod, type ScalingAction, type ScalingHost, type ScalingPolicy } from './types.ts';
import type { Resources } from '../scheduler/types.ts';
import { cordoned } from '../scheduler/cordon.ts';
import { dropWanted, wantedRoom } from '../scheduler/wanted-room.ts';

export interface AutoscalerDeps {
  store: ObjectStore;
  groups: ScalingGroups;
  /** The tenant hosts' Auto Scaling group. */
  group: string;
  /** What one host of the group offers pods, when no host has registered yet to tell. */
  instanceCapacity?: Resources;
  /**
   * How many tasks the fleet itself runs on each host (by Host name), whatever started them:
   * Services' proxies on AWS are tasks but not pods. A host that runs any is not empty.
   */
  tasksOn?: (hosts: Host[]) => Promise<Map<string, number>>;
  policy?: Partial<ScalingPolicy>;
  now?: () => number;
}

export interface AutoscalePass {
  desired: number;
  actions: ScalingAction[];
  tooLarge: string[];
}

const timeOf = (v: string | undefined) => (v === undefined ? undefined : Date.parse(v));

/** The Host objects that run on an instance, as the planner sees them. */
async function observedHosts(store: ObjectStore, tasksOn?: AutoscalerDeps['tasksOn']): Promise<{ hosts: ScalingHost[]; pending: PendingPod[] }> {
  const podsOn = new Map<string, number>();
  const pending: PendingPod[] = [];
  for await (const p of eachOfKind<Pod>(store, 'Pod')) {
    if (p.spec.host) podsOn.set(p.spec.host, (podsOn.get(p.spec.host) ?? 0) + 1);
    else if (pendingUnbound(p)) pending.push({ name: `${p.metadata.project}/${p.metadata.name}`, ...podRequest(p) });
  }
  const hosts: ScalingHost[] = [];
  const all: Host[] = [];
  for await (const h of eachObject<Host>(store, 'Host', '')) all.push(h);
  pending.push(...(await wantedReservations(store, all)));
  const instances = all.filter((h) => h.spec.instanceId);
  const tasks = tasksOn && instances.length ? await tasksOn(instances) : new Map<string, number>();
  for (const h of instances) {
    const a = h.metadata.annotations ?? {};
    const idleSince = timeOf(a[IDLE_SINCE_ANNOTATION]);
    const drainingSince = timeOf(a[DRAINING_ANNOTATION]);
    hosts.push({
      name: h.metadata.name,
      instanceId: h.spec.instanceId!,
      allocatable: { ...h.status.allocatable },
      requested: { ...h.status.requested },
      // A pod is a task too: the larger count is what runs there.
      pods: Math.max(podsOn.get(h.metadata.name) ?? 0, tasks.get(h.metadata.name) ?? 0),
      ready: h.status.ready,
      ...(idleSince !== undefined ? { idleSince } : {}),
      ...(drainingSince !== undefined ? { drainingSince } : {}),
      ...(a[KEEP_ANNOTATION] === 'true' ? { keep: true } : {}),
    });
  }
  return { hosts, pending };
}

/**
 * The reservations that found no host, as pending work. One whose key a ready host that takes
 * pods already holds has its room (the holder's own pass finds it there): its record is removed.
 */
async function wantedReservations(store: ObjectStore, hosts: Host[]): Promise<PendingPod[]> {
  const placed = new Set(hosts.filter((h) => h.status.ready && !cordoned(h)).flatMap((h) => Object.keys(h.status.reserved ?? {})));
  const wanted = await wantedRoom(store);
  await dropWanted(store, wanted.filter((w) => placed.has(w.key)).map((w) => w.key));
  return wanted.filter((w) => !placed.has(w.key)).map((w) => ({ name: w.key, ...w.request, reservation: true }));
}

/** Sets (a time) or removes (undefined) annotations of a Host; a Host gone meanwhile is left be. */
async function annotate(store: ObjectStore, host: string, changes: Record<string, number | undefined>): Promise<void> {
  await patchObject<Host>(store, { kind: 'Host', project: '', name: host }, (cur) => {
    const annotations = { ...cur.metadata.annotations };
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) delete annotations[k];
      else annotations[k] = new Date(v).toISOString();
    }
    if (JSON.stringify(annotations) === JSON.stringify(cur.metadata.annotations ?? {})) return undefined;
    return { ...cur, metadata: { ...cur.metadata, annotations } };
  }).catch(ignoring(NotFoundError));
}

/**
 * One pass of the autoscaler over its group.
 * @example const autoscale = createAutoscaler({ store, groups: new AutoScalingGroups(client), group: 'berth-tenant-hosts' }); await autoscale()
 */
export function createAutoscaler(deps: AutoscalerDeps): () => Promise<AutoscalePass> {
  const now = deps.now ?? Date.now;
  const policy = { ...DEFAULT_POLICY, ...deps.policy };
  const apply = async (a: ScalingAction): Promise<void> => {
    switch (a.type) {
      case 'mark-idle':
        return annotate(deps.store, a.host, { [IDLE_SINCE_ANNOTATION]: a.at });
      case 'clear-idle':
        return annotate(deps.store, a.host, { [IDLE_SINCE_ANNOTATION]: undefined });
      case 'cordon':
        return annotate(deps.store, a.host, { [DRAINING_ANNOTATION]: a.at });
      case 'uncordon':
        return annotate(deps.store, a.host, { [DRAINING_ANNOTATION]: undefined, [IDLE_SINCE_ANNOTATION]: undefined });
      case 'protect':
        return deps.groups.protect(deps.group, a.instanceIds, a.protect);
      case 'set-desired':
        return deps.groups.setDesired(deps.group, a.desired);
      case 'terminate':
        return deps.groups.terminate(a.instanceId);
      case 'forget':
        await deps.store.delete({ kind: 'HostLease', project: '', name: a.host }).catch(ignoring(NotFoundError));
        await deps.store.delete({ kind: 'Host', project: '', name: a.host }).catch(ignoring(NotFoundError));
    }
  };
  return async () => {
    const group = await deps.groups.describe(deps.group);
    const { hosts, pending } = await observedHosts(deps.store, deps.tasksOn);
    const planned = plan(hosts, pending, { ...group, ...(deps.instanceCapacity ? { instanceCapacity: deps.instanceCapacity } : {}) }, now(), policy);
    // In order, one at a time: a host is cordoned before it loses its protection, and terminated last.
    for (const a of planned.actions) await apply(a);
    const set = planned.actions.find((a) => a.type === 'set-desired');
    const terminated = planned.actions.filter((a) => a.type === 'terminate').length;
    return { desired: (set?.type === 'set-desired' ? set.desired : group.desired) - terminated, actions: planned.actions, tooLarge: planned.tooLarge };
  };
}
