// The fleet's vocabulary: what a host is asked to run (PodSpecForHost) and what it reports back
// (RunningPod). Every fleet adapter (local Docker, ECS, simulated) speaks these.
import type { Probe } from '../model/deploy-kinds.ts';
import type { PodFileVolume } from '../secrets/pod-config.ts';
import type { HostVolumeMount } from '../volumes/pod-volumes.ts';

/** One pod as a container host must run it: already placed, already resolved to an image. */
export interface PodSpecForHost {
  project: string;
  deployment: string;
  revision: number;
  /** The pod's name, unique within its project (e.g. `web-3-x7k2p`). */
  pod: string;
  image: string;
  /** Variables; those taken from a Secret say which (fleets that must not write them in the clear pass them by reference). */
  env: { name: string; value: string; secretKeyRef?: { name: string; key: string } }[];
  ports: { containerPort: number; protocol?: 'TCP' | 'UDP' }[];
  /** Limits: cpu in millicores, memory in bytes. */
  resources: { cpuMilli: number; memoryBytes: number };
  command?: string[];
  /** The UID to run as (the first of the project's block); defaults to the adapter's choice. */
  uid?: number;
  /**
   * The container's readiness probe, for fleets whose own health checks decide readiness (ECS);
   * elsewhere the pod sync runs it.
   */
  readinessProbe?: Probe;
  /**
   * The container's liveness probe, for fleets that run it as the container's health check when
   * there is no readiness probe (ECS, fleet/health-check.ts); elsewhere the pod sync runs it.
   */
  livenessProbe?: Probe;
  /** Files of Secrets and ConfigMaps, mounted read-only where the container asks. */
  volumes?: PodFileVolume[];
  /** Persistent volume claims and scratch directories, mounted where the container asks. */
  mounts?: HostVolumeMount[];
}

export interface HostPort {
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

/** A pod's container as the host sees it. */
export interface RunningPod {
  containerId: string;
  hostPorts: HostPort[];
  state: 'running' | 'exited' | 'created';
  exitCode?: number;
  restartCount?: number;
  startedAt?: string;
  /**
   * The pod's own address, where it has one (an ECS awsvpc task's interface): its ports are then
   * reached there, each on its container port, rather than on the host's address.
   */
  podIP?: string;
  /**
   * The container's health as the fleet itself checks it (ECS: DescribeTasks
   * `containers[].healthStatus`), for fleets that run the readiness probe as a health check.
   */
  health?: 'healthy' | 'unhealthy' | 'unknown';
  /**
   * The CPU the container may use now, in millicores, where the fleet can change it while it
   * runs (Docker Engine): above the pod's limit while its start-up boost lasts.
   */
  cpuMilli?: number;
}

/** A managed pod container found on a host, with the labels that name it. */
export interface ListedPod extends RunningPod {
  project: string;
  deployment: string;
  revision: number;
  pod: string;
  image: string;
}
