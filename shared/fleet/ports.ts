// The port of a host's pod containers. Adapters: `docker-pods.ts` (one Docker Engine is one
// host); ECS and the simulated fleet are to follow under the same interface.
import type { ListedPod, PodSpecForHost, RunningPod } from './types.ts';

export interface PodContainers {
  /** Runs the pod unless it already runs with the same image; idempotent. */
  ensurePod(spec: PodSpecForHost): Promise<RunningPod>;
  /** The pod's container, or undefined when the host has none that Berth manages. */
  inspectPod(project: string, pod: string): Promise<RunningPod | undefined>;
  /** Removes the pod's container; a missing one is fine, one Berth did not create is refused. */
  removePod(project: string, pod: string): Promise<void>;
  /** Every pod container on the host that Berth manages, running or not. */
  listPods(): Promise<ListedPod[]>;
  /** Removes project networks no pod uses any more (left by a crash); absent where networks need no clean-up. */
  pruneNetworks?(): Promise<number>;
  /** Runs a command in the pod's container (exec probes); absent where the host cannot. */
  exec?(project: string, pod: string, command: string[], timeoutMs: number): Promise<{ exitCode: number }>;
  /** The container's output (stdout and stderr interleaved), the last `tail` lines when given. */
  logs?(project: string, pod: string, opts?: { tail?: number }): Promise<string>;
}
