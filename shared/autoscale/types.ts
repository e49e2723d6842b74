// The autoscaler's vocabulary: the hosts of one Auto Scaling group as the control plane knows
// them, the group as Auto Scaling describes it, the pods waiting for room, and what the planner
// asks to be done. Plain data, so that planning stays a pure function of its inputs.
import type { Resources } from '../scheduler/types.ts';

/** Annotations the autoscaler writes on a Host (system annotations: only controllers and cluster-admins write them). */
export const IDLE_SINCE_ANNOTATION = 'berth.io/idle-since';
/** The host is cordoned for scale-in since this time: the scheduler places nothing more on it. */
export { DRAINING_ANNOTATION } from '../scheduler/cordon.ts';
/** Set to "true" by a cluster-admin: the autoscaler never retires this host. */
export const KEEP_ANNOTATION = 'berth.io/scale-in-disabled';

/** One registered host of the group. */
export interface ScalingHost {
  /** The Host object's name. */
  name: string;
  /** The EC2 instance it runs on. */
  instanceId: string;
  allocatable: Resources;
  requested: Resources;
  /** Pods bound to it, whatever their phase. */
  pods: number;
  ready: boolean;
  /** Empty since (ms), as marked by an earlier pass. */
  idleSince?: number;
  /** Cordoned for scale-in since (ms). */
  drainingSince?: number;
  /** A cluster-admin asked that it never be retired. */
  keep?: boolean;
}

/** An instance of the group, as DescribeAutoScalingGroups lists it. */
export interface GroupInstance {
  instanceId: string;
  /** Pending, Pending:Wait, InService, Terminating, Standby, … (Auto Scaling's LifecycleState). */
  lifecycleState: string;
  protectedFromScaleIn: boolean;
}

export interface ScalingGroup {
  name: string;
  min: number;
  max: number;
  desired: number;
  instances: GroupInstance[];
  /** What one new host of the group's instance type offers pods; learned from its hosts when left out. */
  instanceCapacity?: Resources;
}

/**
 * One pod that is bound nowhere and waits for room, or a reservation no host had room for (a
 * Service's proxy on AWS: shared/scheduler/wanted-room.ts), which waits the same way.
 */
export interface PendingPod {
  /** `<project>/<pod>`, or the reservation's key. */
  name: string;
  cpuMilli: number;
  memoryBytes: number;
  /** Room wanted by what is not a pod. */
  reservation?: boolean;
}

export interface ScalingPolicy {
  /** How long a host stays empty before it is cordoned and retired (default 10 minutes). */
  quietMs: number;
  /** How long a cordoned host waits before termination, so that bindings in flight settle (default 1 minute). */
  settleMs: number;
}

export type ScalingAction =
  | { type: 'set-desired'; desired: number; reason: string }
  | { type: 'protect'; instanceIds: string[]; protect: boolean }
  | { type: 'mark-idle'; host: string; at: number }
  | { type: 'clear-idle'; host: string }
  | { type: 'cordon'; host: string; at: number }
  | { type: 'uncordon'; host: string }
  | { type: 'terminate'; host: string; instanceId: string }
  /** The host's instance has left the group: its Host and lease are removed. */
  | { type: 'forget'; host: string };

export interface ScalingPlan {
  actions: ScalingAction[];
  /** Pending pods (and reservations) no host of the group's type could hold, even empty: no scaling helps them. */
  tooLarge: string[];
}
