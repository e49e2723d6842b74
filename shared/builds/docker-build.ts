// The Docker strategy: build a Dockerfile from a context directory through the Engine API
// (POST /build with the context as a tar, .dockerignore honoured), streaming the build's output lines.
import { posix } from 'node:path';
import type Docker from 'dockerode';
import { dockerEngine } from './s2i/docker.ts';
import type { EngineClient } from './s2i/ports.ts';
import { S2IError, abortError } from './s2i/errors.ts';
import { LineTail } from './s2i/lines.ts';
import { packTar } from './s2i/pack.ts';
import { s2iIgnore } from './s2i/ignore.ts';
import { readSourceFile, sourceFile } from './s2i/source.ts';

export interface DockerfileBuildRequest {
  contextDir: string;
  /** Relative to contextDir. */
  dockerfilePath: string;
  buildArgs: { name: string; value: string }[];
  noCache: boolean;
  tag: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Labels added to the image. */
  labels?: Record<string, string>;
  /** Limits of each step's container. */
  memoryBytes?: number;
  nanoCpus?: number;
}

export class DockerBuildFailedError extends S2IError {
  readonly lines: string[];
  constructor(cause: string, lines: string[]) {
    super('DockerBuildFailed', `the Dockerfile build failed: ${cause}\n${lines.join('\n')}`, 'read the build log: the step above the error is the one that failed');
    this.lines = lines;
  }
}

/**
 * Builds `req.dockerfilePath` in `req.contextDir` and tags the image `req.tag`.
 * @example await dockerfileBuild(docker, { contextDir: dir, dockerfilePath: 'Dockerfile', buildArgs: [], noCache: false, tag: 'x:1', log: console.log });
 */
export async function dockerfileBuild(docker: Docker, req: DockerfileBuildRequest): Promise<{ imageId: string }> {
  return runDockerfileBuild(dockerEngine(docker), req);
}

export async function runDockerfileBuild(engine: EngineClient, req: DockerfileBuildRequest): Promise<{ imageId: string }> {
  const dockerfile = posix.normalize(req.dockerfilePath);
  if (dockerfile.startsWith('/') || dockerfile.split('/').includes('..')) {
    throw new S2IError('InvalidDockerfilePath', `dockerfilePath "${req.dockerfilePath}" must be relative to the context, without ".."`, 'use a path such as Dockerfile or docker/Dockerfile');
  }
  if (!(await sourceFile(req.contextDir, dockerfile))) {
    throw new S2IError('DockerfileNotFound', `no Dockerfile at ${dockerfile} in the source`, 'add the Dockerfile or set dockerStrategy.dockerfilePath');
  }
  if (req.signal?.aborted) throw abortError();
  const tail = new LineTail(50);
  const ignore = await readSourceFile(req.contextDir, '.dockerignore');
  const ignored = ignore ? s2iIgnore(ignore) : undefined;
  const skip = ignored && ((rel: string) => rel !== dockerfile && ignored(rel));
  const context = packTar([{ type: 'tree', name: '', from: req.contextDir, skip }]);
  try {
    const imageId = await engine.buildImage(
      context,
      { tag: req.tag, dockerfile, buildArgs: Object.fromEntries(req.buildArgs.map((a) => [a.name, a.value])), noCache: req.noCache, labels: req.labels, signal: req.signal, memoryBytes: req.memoryBytes, nanoCpus: req.nanoCpus },
      (line) => {
        tail.push(line);
        req.log(line);
      },
    );
    req.log(`Built ${req.tag} (${imageId.slice(0, 19)})`);
    return { imageId };
  } catch (err) {
    if (req.signal?.aborted) throw abortError();
    throw new DockerBuildFailedError((err as Error).message.trim(), tail.get());
  }
}
