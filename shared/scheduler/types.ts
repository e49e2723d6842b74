// The scheduler's vocabulary: what a host offers, what a pod asks for, and where a pod went.
// Plain data, so that placement stays a pure function of its inputs.
import type { HostStatus, Resources } from '../model/resources.ts';
import type { BerthObject, Labels } from '../model/types.ts';

export type { HostStatus, Resources };

/** One host as the scheduler sees it. */
export interface HostInfo {
  name: string;
  /** What pods may request in total on this host. */
  allocatable: Resources;
  /** The sum of the requests of the pods bound to it. */
  requested: Resources;
  ready: boolean;
  labels?: Labels;
  /** How many pods of each group (`<project>/<deployment>`) are bound to it, for spreading. */
  groups?: Readonly<Record<string, number>>;
}

/** One pending pod: its requests and the group its replicas are spread over. */
export interface PodRequest {
  name: string;
  project: string;
  /** The replicas of one deployment share a group, `<project>/<deployment>`. */
  group: string;
  cpuMilli: number;
  memoryBytes: number;
  /** The only hosts the pod may go to (where its ReadWriteOnce claims are attached); any when absent. */
  onlyHosts?: readonly string[];
}

/** Where a pod goes, or why it can go nowhere (a Kubernetes-style message for the pod's Event). */
export type Placement = { host: string } | { unschedulable: string };

export type HostObject = BerthObject<unknown, HostStatus>;

/** The field of a Pod object that binding writes: the host it is bound to. */
export interface BindablePodSpec {
  host?: string;
}

export type PodObject = BerthObject<BindablePodSpec, unknown>;
