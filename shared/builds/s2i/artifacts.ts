// Incremental builds: run save-artifacts in the previous image and keep the tar it writes to
// stdout, extracted (paranoid, size-limited) into a directory that the assemble upload carries
// to <destination>/artifacts. Any failure means a clean build, said in the log.
import { PassThrough } from 'node:stream';
import { extractArchive } from '../archive.ts';
import { lineWriter } from './lines.ts';
import type { ContainerRuntime } from './runtime.ts';
import { imageDestination, resolveScripts, scriptPath } from './scripts.ts';
import { stepContainerSpec, uploadLayout } from './spec.ts';
import type { Owner, StepOwner } from './types.ts';

/** The most a save-artifacts tar may hold. */
export const MAX_ARTIFACTS_BYTES = 4 * 1024 ** 3;

export interface SaveArtifactsInput {
  runtime: ContainerRuntime;
  previousImage: string;
  sourceDir: string;
  scriptsUrl?: string;
  env: string[];
  owner: Owner;
  memoryBytes?: number;
  nanoCpus?: number;
  build?: StepOwner;
  into: string;
  log: (line: string) => void;
}

/** True when artifacts were saved into `p.into`; false (after saying why) for a clean build. */
export async function saveArtifacts(p: SaveArtifactsInput): Promise<boolean> {
  try {
    const previous = await p.runtime.ensureImage(p.previousImage, p.log);
    const scripts = await resolveScripts(p.sourceDir, p.scriptsUrl, previous);
    const script = scripts['save-artifacts'];
    if (!script) throw new Error('no save-artifacts script');
    const destination = imageDestination(previous);
    const stdout = new PassThrough();
    const extracted = extractArchive(stdout, p.into, { maxBytes: MAX_ARTIFACTS_BYTES });
    extracted.catch(() => undefined);
    const stderr = lineWriter((l) => p.log(`save-artifacts: ${l}`));
    p.log(`Saving build artifacts from image ${p.previousImage} ...`);
    const { id, exitCode } = await p.runtime.runStep({
      spec: stepContainerSpec({ image: previous.id, step: 'save-artifacts', cmd: scriptPath(script, 'save-artifacts', destination), user: previous.user, env: p.env, memoryBytes: p.memoryBytes, nanoCpus: p.nanoCpus, build: p.build }),
      upload: script.kind === 'upload' ? { destination, owner: p.owner, layout: (missing) => uploadLayout({ missing, scripts: { 'save-artifacts': script } }) } : undefined,
      stdout,
      stderr,
      imageName: p.previousImage,
    });
    stdout.end();
    stderr.end();
    await p.runtime.remove(id);
    if (exitCode !== 0) throw new Error(`save-artifacts exited with code ${exitCode}`);
    await extracted;
    return true;
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    p.log(`Clean build will be performed because saving the artifacts of ${p.previousImage} failed: ${(err as Error).message}`);
    return false;
  }
}
