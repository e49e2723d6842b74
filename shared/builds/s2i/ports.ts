// The port of the build capability: the narrow Docker Engine client it needs (source-to-image's
// pkg/docker `Client`), one method per Engine API call, no build logic. The domain layer
// (runtime.ts) speaks only to this interface; docker.ts is its dockerode adapter.
import type Docker from 'dockerode';
import type { Writable } from 'node:stream';
import type { ImageFacts, RegistryAuth } from './types.ts';

export type ContainerSpec = Docker.ContainerCreateOptions;

export interface CommitOptions {
  repo: string;
  tag: string;
  config: { Cmd: string[]; User: string; Env: string[]; Labels: Record<string, string>; Entrypoint?: string[] | null };
}

export interface BuildImageOptions {
  tag: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
  labels?: Record<string, string>;
  signal?: AbortSignal;
  /** Limits of each step's container; the steps never have a network. */
  memoryBytes?: number;
  nanoCpus?: number;
}

export interface EngineClient {
  /** The image's facts, or undefined when the engine does not have it. */
  inspectImage(ref: string): Promise<ImageFacts | undefined>;
  /** Pulls `ref`; rejects with the registry's reason. */
  pullImage(ref: string, onLine: (line: string) => void, auth?: RegistryAuth): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  /** True when `path` exists in the container's filesystem. */
  pathExists(id: string, path: string): Promise<boolean>;
  putArchive(id: string, path: string, tar: NodeJS.ReadableStream): Promise<void>;
  /** One regular file's contents from a container (running or not); undefined when it is absent. Rejects past `maxBytes`. */
  readFile(id: string, path: string, maxBytes: number): Promise<Buffer | undefined>;
  /** Attaches, starts, waits; returns the exit code once all output has been written. */
  run(id: string, out: { stdout: Writable; stderr: Writable }): Promise<number>;
  kill(id: string): Promise<void>;
  removeContainer(id: string): Promise<void>;
  commit(id: string, opts: CommitOptions): Promise<string>;
  /** Builds a Dockerfile from a context tar; returns the image id. */
  buildImage(context: NodeJS.ReadableStream, opts: BuildImageOptions, onLine: (line: string) => void): Promise<string>;
  /** Imports a root filesystem tar as an image (`docker import`). */
  importImage(rootfs: NodeJS.ReadableStream, repo: string, tag: string, changes: string[]): Promise<string>;
}

/** `registry:5000/a/b:tag` → ['registry:5000/a/b', 'tag']; no tag means latest. */
export function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}
