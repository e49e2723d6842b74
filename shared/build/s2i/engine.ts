// The narrow Docker Engine client the build capability needs (source-to-image's pkg/docker
// `Client`): one method per Engine API call, no build logic. The domain layer (runtime.ts)
// speaks only to this interface; `dockerEngine(docker)` is its dockerode adapter.
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

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** Drains a JSON progress stream (pull, build, import); rejects on an error message. */
function follow(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (e: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (event: Record<string, unknown>) => {
        if (typeof event.error === 'string') reject(new Error(event.error));
        else onEvent(event);
      },
    );
  });
}

/** The engine client over a dockerode instance, e.g. `dockerEngine(new Docker({ socketPath }))`. */
export function dockerEngine(docker: Docker): EngineClient {
  return {
    async inspectImage(ref) {
      try {
        const info = await docker.getImage(ref).inspect();
        const cfg = info.Config ?? ({} as Docker.ImageInspectInfo['Config']);
        return { id: info.Id, user: cfg.User ?? '', labels: cfg.Labels ?? {}, env: cfg.Env ?? [], entrypoint: (cfg.Entrypoint as string[] | null) ?? null };
      } catch (err) {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }
    },

    async pullImage(ref, onLine, auth) {
      const stream = (await docker.pull(ref, auth ? { authconfig: auth } : {})) as NodeJS.ReadableStream;
      await follow(docker, stream, (e) => {
        if (typeof e.status === 'string' && !e.progressDetail) onLine(`${e.id ? `${e.id}: ` : ''}${e.status}`);
      });
    },

    async createContainer(spec) {
      return (await docker.createContainer(spec)).id;
    },

    async pathExists(id, path) {
      try {
        const res = (await docker.getContainer(id).infoArchive({ path })) as NodeJS.ReadableStream;
        res.resume();
        return true;
      } catch (err) {
        if (statusCode(err) === 404) return false;
        throw err;
      }
    },

    async putArchive(id, path, tar) {
      await docker.getContainer(id).putArchive(tar, { path });
    },

    async run(id, out) {
      const c = docker.getContainer(id);
      const stream = await c.attach({ stream: true, stdout: true, stderr: true });
      try {
        const ended = new Promise<void>((resolve) => {
          stream.once('end', resolve);
          stream.once('close', resolve);
          stream.once('error', () => resolve());
        });
        docker.modem.demuxStream(stream, out.stdout, out.stderr);
        await c.start();
        const { StatusCode } = (await c.wait()) as { StatusCode: number };
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
        clearTimeout(timer);
        return StatusCode;
      } finally {
        (stream as unknown as { destroy(): void }).destroy();
      }
    },

    async kill(id) {
      await docker
        .getContainer(id)
        .kill()
        .catch(() => undefined);
    },

    async removeContainer(id) {
      try {
        await docker.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
    },

    async commit(id, opts) {
      const res = (await docker.getContainer(id).commit({ _query: { container: id, repo: opts.repo, tag: opts.tag }, _body: opts.config })) as { Id: string };
      return res.Id;
    },

    async buildImage(context, opts, onLine) {
      const stream = await docker.buildImage(context, {
        t: opts.tag,
        dockerfile: opts.dockerfile,
        buildargs: opts.buildArgs,
        nocache: opts.noCache,
        rm: true,
        forcerm: true,
        ...(opts.labels ? { labels: opts.labels } : {}),
        ...(opts.signal ? { abortSignal: opts.signal } : {}),
      });
      let imageId = '';
      await follow(docker, stream, (e) => {
        if (typeof e.stream === 'string') for (const line of e.stream.split('\n')) if (line.trim()) onLine(line.replace(/\r$/, ''));
        const aux = e.aux as { ID?: string } | undefined;
        if (aux?.ID) imageId = aux.ID;
      });
      return imageId || (await docker.getImage(opts.tag).inspect()).Id;
    },

    async importImage(rootfs, repo, tag, changes) {
      const stream = await docker.importImage(rootfs, { repo, tag, changes });
      await follow(docker, stream, () => undefined);
      return (await docker.getImage(`${repo}:${tag}`).inspect()).Id;
    },
  };
}
