// The dockerode adapter of the engine port (ports.ts): Engine API calls over the local socket
// (or any dockerode transport), progress streams drained, 404s turned into "absent".
import type Docker from 'dockerode';
import type { EngineClient } from './ports.ts';
import { stepContainerPrefix } from './spec.ts';

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

/**
 * Removes the step containers one build left behind (an agent killed mid-step cannot remove its
 * own). Returns how many it removed.
 * @example await removeStepContainers(docker, 'shop', 'web-3') // 1
 */
export async function removeStepContainers(docker: Docker, project: string, build: string): Promise<number> {
  const prefix = `/${stepContainerPrefix(project, build)}`;
  const engine = dockerEngine(docker);
  const left = (await docker.listContainers({ all: true })).filter((c) => c.Names.some((n) => n.startsWith(prefix)));
  for (const c of left) await engine.removeContainer(c.Id);
  return left.length;
}
