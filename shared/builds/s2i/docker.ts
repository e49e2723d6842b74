// The dockerode adapter of the engine port (ports.ts): Engine API calls over the local socket
// (or any dockerode transport), progress streams drained, 404s turned into "absent".
import type Docker from 'dockerode';
import tar from 'tar-stream';
import type { EngineClient } from './ports.ts';
import { STEP_CONTAINER_PREFIX, STEP_LABELS } from './spec.ts';

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

    async readFile(id, path, maxBytes) {
      let archive: NodeJS.ReadableStream;
      try {
        archive = (await docker.getContainer(id).getArchive({ path })) as NodeJS.ReadableStream;
      } catch (err) {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }
      return firstFile(archive, maxBytes);
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
        // Every RUN step: no network, the build's memory (no swap) and cpu.
        networkmode: 'none',
        ...(opts.memoryBytes ? { memory: opts.memoryBytes, memswap: opts.memoryBytes } : {}),
        ...(opts.nanoCpus ? { cpuperiod: 100_000, cpuquota: Math.round((opts.nanoCpus / 1e9) * 100_000) } : {}),
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

/** The first entry of a tar stream when it is a regular file (not a link or a directory), at most `maxBytes`. */
function firstFile(archive: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let done = false;
    const finish = (err: Error | undefined, value?: Buffer) => {
      if (done) return;
      done = true;
      extract.destroy();
      (archive as unknown as { destroy?: () => void }).destroy?.();
      if (err) reject(err);
      else resolve(value);
    };
    extract.on('entry', (header, stream, next) => {
      if (header.type !== 'file') return finish(undefined, undefined);
      if ((header.size ?? 0) > maxBytes) return finish(new Error(`${header.name} is larger than ${maxBytes} bytes`));
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => finish(undefined, Buffer.concat(chunks)));
      stream.on('error', (e: Error) => finish(e));
      void next;
    });
    extract.on('finish', () => finish(undefined, undefined));
    extract.on('error', (e: Error) => finish(e));
    archive.pipe(extract);
  });
}

/**
 * Removes the step and fetch containers one build left behind (an agent killed mid-step cannot
 * remove its own): those labelled with exactly this project and build, and named as step
 * containers. Returns how many it removed.
 * @example await removeStepContainers(docker, 'shop', 'web-3') // 1
 */
export async function removeStepContainers(docker: Docker, project: string, build: string): Promise<number> {
  const engine = dockerEngine(docker);
  const labelled = await docker.listContainers({ all: true, filters: { label: [`${STEP_LABELS.project}=${project}`, `${STEP_LABELS.build}=${build}`] } });
  const left = labelled.filter((c) => c.Labels[STEP_LABELS.project] === project && c.Labels[STEP_LABELS.build] === build && c.Names.some((n) => n.startsWith(`/${STEP_CONTAINER_PREFIX}`)));
  for (const c of left) await engine.removeContainer(c.Id);
  return left.length;
}
