// The domain operations of a build over the narrow engine client (source-to-image's
// pkg/docker `Docker` over `Client`): make sure an image is here, run one step's container with
// an upload and streamed output, commit, and remove every container this build created, also
// when it fails or is cancelled.
import { posix } from 'node:path';
import type { Writable } from 'node:stream';
import type { CommitOptions, ContainerSpec, EngineClient } from './ports.ts';
import { BuilderImageNotFoundError, CommitFailedError, NotS2IBuilderError, S2IError, SCRIPTS_URL_LABEL, abortError } from './errors.ts';
import { packTar, type PackSource } from './pack.ts';
import type { ImageFacts, Owner, RegistryAuth } from './types.ts';

export interface StepRun {
  spec: ContainerSpec;
  /** Where the upload goes (created when missing), and what goes there. */
  upload?: { destination: string; layout: (missing: string[]) => PackSource[]; owner: Owner };
  stdout: Writable;
  stderr: Writable;
  /** The image as the user named it, for errors (the spec names it by id). */
  imageName?: string;
}

export class ContainerRuntime {
  private readonly created = new Set<string>();

  constructor(
    private readonly engine: EngineClient,
    private readonly signal?: AbortSignal,
    private readonly auth?: RegistryAuth,
  ) {}

  checkAbort(): void {
    if (this.signal?.aborted) throw abortError();
  }

  /** The image's facts, pulling it when the engine lacks it. */
  async ensureImage(ref: string, log: (line: string) => void): Promise<ImageFacts> {
    this.checkAbort();
    const here = await this.engine.inspectImage(ref);
    if (here) return here;
    log(`Pulling image ${ref} ...`);
    try {
      await this.engine.pullImage(ref, log, this.auth);
    } catch (err) {
      throw new BuilderImageNotFoundError(ref, (err as Error).message.trim());
    }
    const pulled = await this.engine.inspectImage(ref);
    if (!pulled) throw new BuilderImageNotFoundError(ref, 'the pull finished but the engine does not have the image');
    return pulled;
  }

  /** Creates the container, uploads, runs it to the end; returns its id and exit code. */
  async runStep(run: StepRun): Promise<{ id: string; exitCode: number }> {
    this.checkAbort();
    const id = await this.engine.createContainer(run.spec);
    this.created.add(id);
    if (run.upload) {
      const { at, missing } = await this.existingAncestor(id, run.upload.destination);
      await this.engine.putArchive(id, at, packTar(run.upload.layout(missing), run.upload.owner));
    }
    await this.checkRunnable(id, run.spec, run.imageName);
    this.checkAbort();
    const kill = () => void this.engine.kill(id);
    this.signal?.addEventListener('abort', kill, { once: true });
    try {
      const exitCode = await this.engine.run(id, { stdout: run.stdout, stderr: run.stderr }).catch((err: Error) => {
        this.checkAbort();
        throw new S2IError('StepStartFailed', `could not run ${run.spec.Cmd?.at(-1)} in ${run.spec.Image}: ${err.message.trim()}`, 'check that the image has the S2I scripts and /usr/bin/env');
      });
      this.checkAbort();
      return { id, exitCode };
    } finally {
      this.signal?.removeEventListener('abort', kill);
    }
  }

  /**
   * The step's entrypoint (/usr/bin/env) and script must be in the container: an image that is not
   * an S2I builder is told apart from a script that fails.
   */
  private async checkRunnable(id: string, spec: ContainerSpec, imageName?: string): Promise<void> {
    const image = imageName ?? spec.Image ?? 'the builder image';
    const entry = spec.Entrypoint?.[0];
    if (entry && entry.startsWith('/') && !(await this.engine.pathExists(id, entry))) {
      throw new NotS2IBuilderError(image, `it has no ${entry}, which runs the S2I scripts`);
    }
    // The script is the last argument of /usr/bin/env (build-only variables come before it).
    const script = spec.Cmd?.at(-1);
    if (script && script.startsWith('/') && !(await this.engine.pathExists(id, script))) {
      throw new NotS2IBuilderError(image, `it has no ${posix.basename(script)} script at ${script} (where its ${SCRIPTS_URL_LABEL} label points)`);
    }
  }

  /** A file a step left in its container (the image metadata), or undefined. */
  async readFile(id: string, path: string, maxBytes: number): Promise<Buffer | undefined> {
    return this.engine.readFile(id, path, maxBytes);
  }

  /** The nearest directory at or above `dir` that exists in the container, and the parts below it. */
  private async existingAncestor(id: string, dir: string): Promise<{ at: string; missing: string[] }> {
    const missing: string[] = [];
    let at = posix.normalize(dir);
    while (at !== '/' && !(await this.engine.pathExists(id, at))) {
      missing.unshift(posix.basename(at));
      at = posix.dirname(at);
    }
    return { at, missing };
  }

  async commit(id: string, opts: CommitOptions): Promise<string> {
    this.checkAbort();
    try {
      return await this.engine.commit(id, opts);
    } catch (err) {
      throw new CommitFailedError(`${opts.repo}:${opts.tag}`, (err as Error).message);
    }
  }

  async remove(id: string): Promise<void> {
    await this.engine.removeContainer(id);
    this.created.delete(id);
  }

  /** Removes every container this runtime created; never throws. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.created].map((id) => this.remove(id).catch(() => undefined)));
  }
}
