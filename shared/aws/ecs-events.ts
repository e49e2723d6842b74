// ECS state-change events (EventBridge) into Berth's objects: on AWS these are how a pod's
// status learns what its task does between passes of the pod sync.
// - "ECS Task State Change" of a pod's task: RUNNING sets the pod Running with the host ports
//   its container got (and Ready when nothing else decides readiness); STOPPED records the exit
//   code, not ready, and the outcome of a pod that is not restarted. Restarts and their count
//   stay the pod sync's.
// - "ECS Container Instance State Change" of a tenant host: the Host follows the instance, and
//   a connected, active instance renews its HostLease; one that is not lets it lapse, and the
//   host lifecycle controller does the rest.
// A task is a pod's only when its group names a pod bound to that instance and its startedBy is
// that pod's token; anything else (builds, tasks Berth did not start, stale tasks) is ignored.
import { podsOnHost, renewLease } from '../deploy/host-lifecycle.ts';
import type { Host, Pod } from '../model/objects.ts';
import { isTerminating, setPodCondition } from '../model/pods.ts';
import { NotFoundError, ignoring } from '../errors.ts';
import type { PodStatus } from '../model/deploy-kinds.ts';
import { refOf } from '../model/types.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { ECS_LEASE_SECONDS, ecsHostOf, hostNameOf, isTenantHost, upsertEcsHost, type ContainerInstanceLike } from './ecs-hosts.ts';
import { POD_FAMILY_PREFIX, POD_GROUP_PREFIX, podToken } from './ecs-pod-spec.ts';
import { healthIsReadiness } from '../fleet/health-check.ts';

export const TASK_STATE_CHANGE = 'ECS Task State Change';
export const INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change';

export interface EcsTaskDetail {
  taskArn?: string;
  clusterArn?: string;
  containerInstanceArn?: string;
  group?: string;
  startedBy?: string;
  lastStatus?: string;
  desiredStatus?: string;
  startedAt?: string;
  stoppedReason?: string;
  containers?: {
    name?: string;
    image?: string;
    lastStatus?: string;
    exitCode?: number;
    reason?: string;
    healthStatus?: string;
    networkBindings?: { bindIP?: string; containerPort?: number; hostPort?: number; protocol?: string }[];
  }[];
}

/** The parts of an EventBridge event the handler reads. */
export interface EcsEvent {
  'detail-type': string;
  source?: string;
  time?: string;
  detail: unknown;
}

export type EcsEventOutcome =
  | { handled: 'pod'; project: string; pod: string; phase: string }
  | { handled: 'host'; host: string; renewed: boolean }
  | { handled: 'ignored'; why: string };

export interface EcsEventOptions {
  leaseDurationSeconds?: number;
  now?: () => Date;
}

const ignored = (why: string): EcsEventOutcome => ({ handled: 'ignored', why });

/** Applies one ECS state-change event; idempotent, and a no-op for anything that is not Berth's. */
export async function handleEcsEvent(store: ObjectStore, event: EcsEvent, opts: EcsEventOptions = {}): Promise<EcsEventOutcome> {
  const now = opts.now?.() ?? new Date();
  if (event['detail-type'] === TASK_STATE_CHANGE) return taskChanged(store, event.detail as EcsTaskDetail, now);
  if (event['detail-type'] === INSTANCE_STATE_CHANGE) return instanceChanged(store, event.detail as ContainerInstanceLike, opts.leaseDurationSeconds ?? ECS_LEASE_SECONDS, now);
  return ignored(`not an ECS state change: ${event['detail-type']}`);
}

/** The pod a task was started for (a pod bound to `host` whose token started it), from its group (or, for names too long for a group, its token among the host's pods). */
export async function podOfTask(store: ObjectStore, task: EcsTaskDetail, host: string): Promise<Pod | undefined> {
  if (task.group?.startsWith(POD_GROUP_PREFIX)) {
    const rest = task.group.slice(POD_GROUP_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return undefined;
    return store.get<Pod>({ kind: 'Pod', project: rest.slice(0, slash), name: rest.slice(slash + 1) });
  }
  if (!task.startedBy?.startsWith(POD_FAMILY_PREFIX)) return undefined;
  for await (const p of podsOnHost(store, host)) if (podToken(p.metadata.project, p.metadata.name) === task.startedBy) return p;
  return undefined;
}

async function taskChanged(store: ObjectStore, task: EcsTaskDetail, now: Date): Promise<EcsEventOutcome> {
  if (!task.taskArn || !task.containerInstanceArn) return ignored('no task or container instance');
  if (task.lastStatus !== 'RUNNING' && task.lastStatus !== 'STOPPED') return ignored(`task is ${task.lastStatus}`);
  const hostName = hostNameOf(task.containerInstanceArn);
  const pod = await podOfTask(store, task, hostName);
  if (!pod || task.startedBy !== podToken(pod.metadata.project, pod.metadata.name) || pod.spec.host !== hostName) return ignored('not the task of a pod bound to this host');
  const host = await store.get<Host>({ kind: 'Host', project: '', name: hostName });
  if (!host) return ignored(`host ${hostName} is not registered`);

  let phase = '';
  const updated = await patchStatus<Pod>(store, refOf(pod), (cur) => {
    if (cur.spec.host !== hostName || isTerminating(cur)) return undefined;
    if (cur.status?.phase === 'Succeeded' || cur.status?.phase === 'Failed') return undefined;
    // A stopped task that is no longer the pod's container says nothing of the pod.
    if (task.lastStatus === 'STOPPED' && cur.status?.containerID && cur.status.containerID !== task.taskArn) return undefined;
    const next = task.lastStatus === 'RUNNING' ? running(cur, task, host.spec.address, now) : stopped(cur, task, now);
    phase = next.phase;
    return next;
  }).catch(ignoring(NotFoundError));
  if (!updated) return ignored('the pod is going away, finished, or runs another task');
  return { handled: 'pod', project: pod.metadata.project, pod: pod.metadata.name, phase };
}

function running(pod: Pod, task: EcsTaskDetail, address: string, now: Date): PodStatus {
  const c = task.containers?.[0];
  const { reason: _r, message: _m, exitCode: _e, ...rest } = pod.status ?? ({} as PodStatus);
  const wasReady = rest.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
  // Readiness: ECS's health check where it stands for the readiness probe (undecided until it
  // says); a container without a readiness probe is ready when running (its health check, if
  // any, is its liveness probe: the pod sync restarts it when UNHEALTHY).
  const health = c?.healthStatus;
  const ready = !healthIsReadiness(pod.spec.containers[0]) ? true : health === 'HEALTHY' ? true : health === 'UNHEALTHY' ? false : undefined;
  const next: PodStatus = {
    ...rest,
    phase: 'Running',
    hostIP: address,
    ports: (c?.networkBindings ?? [])
      .filter((b) => b.containerPort !== undefined && b.hostPort !== undefined)
      .map((b) => ({ containerPort: b.containerPort!, hostIP: address, hostPort: b.hostPort! }))
      .sort((a, b) => a.containerPort - b.containerPort),
    containerID: task.taskArn!,
    ...(c?.image ? { image: c.image } : {}),
    restartCount: rest.restartCount ?? 0,
    conditions: rest.conditions ?? [],
    startTime: rest.startTime ?? task.startedAt ?? now.toISOString(),
  };
  if (ready === undefined) return next;
  if (!ready) {
    delete next.readySince;
    return setPodCondition(next, 'Ready', 'False', 'ContainersNotReady', 'the container\'s health check fails', now);
  }
  next.readySince = wasReady && rest.readySince ? rest.readySince : now.toISOString();
  return setPodCondition(next, 'Ready', 'True', undefined, undefined, now);
}

function stopped(pod: Pod, task: EcsTaskDetail, now: Date): PodStatus {
  const c = task.containers?.[0];
  const exitCode = c?.exitCode;
  const why = [exitCode === undefined ? 'the container stopped' : `the container exited with code ${exitCode}`, task.stoppedReason].filter(Boolean).join(': ');
  const base: PodStatus = { ...pod.status, restartCount: pod.status?.restartCount ?? 0, conditions: pod.status?.conditions ?? [], ports: [] };
  delete base.readySince;
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) {
    const code = exitCode ?? -1;
    const phase = code === 0 ? 'Succeeded' : 'Failed';
    return setPodCondition({ ...base, phase, exitCode: code, reason: code === 0 ? 'Completed' : 'Error', message: why }, 'Ready', 'False', 'PodCompleted', undefined, now);
  }
  // Restarted by the pod sync (with back-off); here only what was seen.
  return setPodCondition({ ...base, ...(exitCode === undefined ? {} : { exitCode }), reason: 'Error', message: why }, 'Ready', 'False', 'ContainersNotReady', why, now);
}

async function instanceChanged(store: ObjectStore, ci: ContainerInstanceLike, leaseDurationSeconds: number, now: Date): Promise<EcsEventOutcome> {
  if (!ci.containerInstanceArn) return ignored('no container instance');
  if (!isTenantHost(ci)) return ignored('not a tenant host');
  const name = hostNameOf(ci.containerInstanceArn);
  const seen = ecsHostOf(ci);
  if (seen) await upsertEcsHost(store, seen);
  else if (!(await store.get({ kind: 'Host', project: '', name }))) return ignored(`host ${name} is not registered and the event gives no address`);
  const alive = ci.agentConnected === true && ci.status === 'ACTIVE';
  if (alive) await renewLease(store, name, leaseDurationSeconds, now);
  return { handled: 'host', host: name, renewed: alive };
}
