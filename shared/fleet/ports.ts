// The port of a host's pod containers. Adapters: `docker-pods.ts` (one Docker Engine is one
// host); ECS and the simulated fleet are to follow under the same interface.
import type { Duplex, Readable } from 'node:stream';
import type { ListedPod, PodSpecForHost, RunningPod } from './types.ts';

export interface PodContainers {
  /** Runs the pod unless it already runs with the same image; idempotent. */
  ensurePod(spec: PodSpecForHost): Promise<RunningPod>;
  /** The pod's container, or undefined when the host has none that Berth manages. */
  inspectPod(project: string, pod: string): Promise<RunningPod | undefined>;
  /**
   * Removes the pod's container; a missing one is fine, one Berth did not create is refused.
   * `reason` says why, where the host keeps one (ECS: StopTask's reason, shown on the stopped task).
   */
  removePod(project: string, pod: string, reason?: string): Promise<void>;
  /** Every pod container on the host that Berth manages, running or not. */
  listPods(): Promise<ListedPod[]>;
  /** Removes project networks no pod uses any more (left by a crash); absent where networks need no clean-up. */
  pruneNetworks?(): Promise<number>;
  /** Runs a command in the pod's container (exec probes); absent where the host cannot. */
  exec?(project: string, pod: string, command: string[], timeoutMs: number): Promise<{ exitCode: number }>;
  /** The container's output (stdout and stderr interleaved), the last `tail` lines when given. */
  logs?(project: string, pod: string, opts?: { tail?: number }): Promise<string>;
  /** Starts a command in the pod's container with its streams attached (exec, rsh); absent where the host cannot. */
  openExec?(project: string, pod: string, req: ExecRequest): Promise<ExecSession>;
  /** The container's output as a stream; with `follow` it ends when the container stops or the stream is destroyed. */
  streamLogs?(project: string, pod: string, opts: LogOptions): Promise<Readable>;
  /**
   * One read of a log followed by polling (where answers are not streamed: Lambda): the text,
   * the cursor to read on from, and whether the container has stopped. Absent where streamLogs follows.
   */
  pollLogs?(project: string, pod: string, opts: LogOptions & { cursor?: string }): Promise<LogPoll>;
  /** A TCP connection to `port` of the pod's container, once it is open (port-forward); absent where the host cannot. */
  connectPort?(project: string, pod: string, port: number): Promise<Duplex>;
  /**
   * Sets the CPU the running container may use (millicores): how a start-up boost ends. Absent
   * where a container's CPU is fixed once it runs (ECS tasks), which then start without a boost.
   */
  limitCpu?(project: string, pod: string, cpuMilli: number): Promise<void>;
}

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  tty: boolean;
}

/** A command running in a pod's container: its streams, its window and its end. */
export interface ExecSession {
  /** The command's stdout (with a TTY, everything the terminal shows). */
  stdout: Readable;
  /** The command's stderr; empty with a TTY. */
  stderr: Readable;
  /** Input bytes; only when the request asked for stdin. */
  write(data: Uint8Array): void;
  /** No more input (end of file). */
  endInput(): void;
  /** The TTY's window size. */
  resize(size: { cols: number; rows: number }): Promise<void>;
  /** The command's exit code once its output has ended. */
  exitCode: Promise<number>;
  /** Detaches (the client went away); with a TTY the remote shell gets a hang-up. */
  close(): void;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  /** Only lines newer than this many seconds. */
  sinceSeconds?: number;
  /** The container before the last restart. */
  previous?: boolean;
}

export interface LogPoll {
  text: string;
  /** Where the next read starts; absent when the stream has nothing yet. */
  cursor?: string;
  /** The container has stopped: nothing more will come. */
  ended: boolean;
}

/** A session into a pod opened by the platform's cloud (ECS Exec, Session Manager), which the client joins itself. */
export interface BrokeredSession {
  sessionId: string;
  /** The data channel's WebSocket URL. */
  streamUrl: string;
  /** The token that opens it (its first message). */
  tokenValue: string;
  /** Exec only: the exit status is printed after this marker (`\n<marker><status>\n`) and is not the command's output. */
  exitMarker?: string;
}

/** Opens sessions into pods where the API holds no streams itself (on AWS: the Lambda API). */
export interface PodSessionBroker {
  exec(project: string, pod: string, req: { command: string[]; tty: boolean }): Promise<BrokeredSession>;
  portForward(project: string, pod: string, port: number): Promise<BrokeredSession>;
}
