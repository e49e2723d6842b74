// s2iBuild: one Source-to-Image build, step for step as source-to-image's sti strategy does it
// (pkg/build/strategies/sti): builder image → scripts → (save-artifacts of the previous image)
// → assemble with the source uploaded under the destination → commit with CMD the run script.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { saveArtifacts } from './artifacts.ts';
import { dockerEngine } from './docker.ts';
import type { EngineClient } from './ports.ts';
import { AssembleFailedError, S2IError } from './errors.ts';
import { s2iIgnore } from './ignore.ts';
import { LineTail, outputLines } from './lines.ts';
import { IMAGE_METADATA_PATH, MAX_IMAGE_METADATA_BYTES, parseImageMetadata } from './metadata.ts';
import { ContainerRuntime } from './runtime.ts';
import { ASSEMBLE_USER_LABEL, imageDestination, resolveScripts, scriptPath } from './scripts.ts';
import { mergeEnv, parseEnvironment, readSourceFile } from './source.ts';
import { CLEARED_STEP_LABELS, commitOptions, outputLabels, parseOwner, stepContainerSpec, uploadLayout } from './spec.ts';
import type { S2IRequest } from './types.ts';

/** Lines of assemble output a failure carries. */
export const FAILURE_TAIL_LINES = 50;

/**
 * Builds `req.sourceDir` with `req.builderImage` and commits the result as `req.tag`.
 * @example
 * const { imageId } = await s2iBuild(new Docker({ socketPath: '/var/run/docker.sock' }), {
 *   builderImage: 'berth/python:3.11', sourceDir: '/tmp/src', tag: '127.0.0.1:7500/demo/hello:latest',
 *   env: [], incremental: false, log: console.log });
 */
export async function s2iBuild(docker: Docker, req: S2IRequest): Promise<{ imageId: string }> {
  return runS2I(dockerEngine(docker), req);
}

/** s2iBuild over any engine client (tests pass one that records what it is asked). */
export async function runS2I(engine: EngineClient, req: S2IRequest): Promise<{ imageId: string }> {
  if (!(await stat(req.sourceDir).catch(() => undefined))?.isDirectory()) {
    throw new S2IError('SourceNotFound', `the source directory ${req.sourceDir} does not exist`, 'fetch or upload the source before building');
  }
  const runtime = new ContainerRuntime(engine, req.signal, req.registryAuth);
  const work = await mkdtemp(join(tmpdir(), 'berth-s2i-'));
  try {
    const builder = await runtime.ensureImage(req.builderImage, req.log);
    req.log(`Using ${req.builderImage} (${builder.id.slice(0, 19)}) as the s2i builder image`);
    const owner = parseOwner(req.builderImage, builder.labels[ASSEMBLE_USER_LABEL] || builder.user);
    const destination = imageDestination(builder);
    const scripts = await resolveScripts(req.sourceDir, req.scriptsUrl, builder, req.builderImage);
    const envFile = await readSourceFile(req.sourceDir, '.s2i/environment');
    const fileEnv = envFile ? parseEnvironment(envFile, req.log) : [];
    const env = mergeEnv(fileEnv, req.env);
    // The egress's pip settings yield to the source's and the BuildConfig's own.
    const own = new Set([...fileEnv, ...req.env].map((e) => e.name));
    const ignore = await readSourceFile(req.sourceDir, '.s2iignore');

    let artifactsDir: string | undefined;
    if (req.incremental && req.previousImage) {
      const into = join(work, 'artifacts');
      const saved = await saveArtifacts({ runtime, previousImage: req.previousImage, sourceDir: req.sourceDir, scriptsUrl: req.scriptsUrl, env, owner, memoryBytes: req.memoryBytes, nanoCpus: req.nanoCpus, build: req.build, into, log: req.log });
      if (saved) artifactsDir = into;
    }

    const tail = new LineTail(FAILURE_TAIL_LINES);
    const out = outputLines((line) => {
      tail.push(line);
      req.log(line);
    });
    req.log(`Running assemble as user ${builder.labels[ASSEMBLE_USER_LABEL] || builder.user} ...`);
    const { id, exitCode } = await runtime.runStep({
      spec: stepContainerSpec({ image: builder.id, step: 'assemble', cmd: scriptPath(scripts.assemble!, 'assemble', destination), user: `${owner.uid}:${owner.gid}`, env, stepOnlyEnv: req.egress ? mergeEnv(req.egress.env.filter((e) => !own.has(e.name))) : undefined, memoryBytes: req.memoryBytes, nanoCpus: req.nanoCpus, build: req.build, network: req.egress?.network }),
      upload: { destination, owner, layout: (missing) => uploadLayout({ missing, sourceDir: req.sourceDir, skip: ignore ? s2iIgnore(ignore) : undefined, scripts, artifactsDir }) },
      stdout: out.stdout,
      stderr: out.stderr,
      imageName: req.builderImage,
    });
    await out.close();
    if (exitCode !== 0) throw new AssembleFailedError(exitCode, tail.get(), suggestionIn(tail.get()));

    const metadata = await runtime.readFile(id, IMAGE_METADATA_PATH, MAX_IMAGE_METADATA_BYTES).catch((err: Error) => {
      throw new S2IError('InvalidImageMetadata', `${IMAGE_METADATA_PATH} written by assemble could not be read: ${err.message}`, `keep it under ${MAX_IMAGE_METADATA_BYTES / 1024} KiB`);
    });
    const metadataLabels = metadata ? parseImageMetadata(metadata.toString('utf8')) : undefined;
    if (metadataLabels) req.log(`Labels from ${IMAGE_METADATA_PATH}: ${Object.keys(metadataLabels).join(', ') || 'none'}`);
    const labels = outputLabels({ builder, builderImage: req.builderImage, sourceLocation: req.sourceLocation, tag: req.tag, metadata: metadataLabels, extra: req.labels });
    const imageId = await runtime.commit(id, commitOptions({ tag: req.tag, runPath: scriptPath(scripts.run!, 'run', destination), builder, env, labels: { ...labels, ...CLEARED_STEP_LABELS } }));
    req.log(`Committed ${req.tag} (${imageId.slice(0, 19)})`);
    return { imageId };
  } finally {
    await runtime.cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

/** A builder script may end its output with `Suggestion: ...`; the failure carries it. */
function suggestionIn(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(?:-+>\s*)?(?:ERROR:\s*)?Suggestion:\s*(.+)$/i.exec(lines[i]!.trim());
    if (m) return m[1];
  }
  return undefined;
}
