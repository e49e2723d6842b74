// The builder agent's work for one Build, end to end: claim it (Running), fetch the source,
// run S2I or a Dockerfile build, push the image, move the ImageStream tag, and record the
// outcome with its reason. Cancellation and deadlines are the reconciler's: when it stops the
// agent, the abort signal ends the build here and the reconciler writes the final status. The
// agent trusts nothing in the stored Build: it checks the source, the images and the strategy
// again (as admission did), fetches git sources in a container (git-fetch.ts), and runs every
// build under the platform's limits (settings.ts): memory, cpu, time and log size.
export { pullAuthFor } from './pull-auth.ts';
import { pullAuthFor } from './pull-auth.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import type { BuilderImageRef, BuildStatus, EnvVar, ImageRef, ImageStreamStatus, TagEvent } from '../model/build-kinds.ts';
import { SHARED_PROJECT } from '../model/reserved-names.ts';
import { AlreadyExistsError, ignoring } from '../errors.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { SOURCE_ARCHIVE_ANNOTATION, type Build } from './instantiate.ts';
import { LogWriter } from './log-writer.ts';
import { isTerminal } from './plan.ts';
import { MAX_ARCHIVE_BYTES } from './upload-limit.ts';
import type { BuildLogs, ImageRegistry, RegistryAuth, SourceArchives } from './ports.ts';
import { contextDirOf, SourceError, type FetchedSource } from './source.ts';
import { buildSpecProblems, dockerBuildsAllowed, DOCKER_BUILDS_OFF } from './admission.ts';
import { fetchGitInContainer } from './git-fetch.ts';
import type { BuildEgress, BuildNetwork } from './egress.ts';
import { buildSettings, type BuildSettings } from './settings.ts';
import { imageProblem, type PlatformRegistry } from '../images/access.ts';

/** The image-building functions (shared/builds/s2i, docker-build, archive), passed in. */
export interface BuildEngine {
  s2iBuild(docker: Docker, req: {
    builderImage: string; sourceDir: string; tag: string; env: { name: string; value: string }[]; incremental: boolean;
    previousImage?: string; scriptsUrl?: string; sourceLocation?: string; labels?: Record<string, string>; log: (line: string) => void; signal?: AbortSignal;
    registryAuth?: RegistryAuth; build?: { project: string; name: string }; memoryBytes?: number; nanoCpus?: number; egress?: { network: string; env: EnvVar[] };
  }): Promise<{ imageId: string }>;
  dockerfileBuild(docker: Docker, req: {
    contextDir: string; dockerfilePath: string; buildArgs: { name: string; value: string }[]; noCache: boolean; tag: string; log: (l: string) => void; signal?: AbortSignal;
    memoryBytes?: number; nanoCpus?: number;
  }): Promise<{ imageId: string }>;
  extractArchive(input: NodeJS.ReadableStream, destDir: string, opts: { maxBytes: number }): Promise<void>;
}

export interface AgentDeps {
  store: ObjectStore;
  logs: BuildLogs;
  sources: SourceArchives;
  registry: ImageRegistry;
  docker: Docker;
  engine: BuildEngine;
  /** Largest uploaded source archive accepted. */
  maxArchiveBytes?: number;
  signal?: AbortSignal;
  /** Limits, the git policy and the fetch image; the defaults of buildSettings({}) when absent. */
  settings?: BuildSettings;
  /** The platform registry's layout, to refuse another project's images. */
  platformRegistry?: PlatformRegistry;
  /** The package index's network for assemble; without it, assemble has no network. */
  egress?: BuildEgress;
  /**
   * How often the agent reads its Build while it runs, to stop a build cancelled, past its
   * deadline or taken over whose stop did not reach it (ms; 10 s when unset). The build
   * reconciler stops the agent itself (SIGTERM; ECS StopTask on AWS): this is the backstop, and
   * each read is billed, so it is not every second.
   */
  watchMs?: number;
}

/** How often a running agent reads its Build when AgentDeps.watchMs is unset. */
export const AGENT_WATCH_MS = 10_000;

/** Why the agent stopped a build that ran past the platform's time limit. */
class BuildTimeout extends Error {}

type ImageStream = BerthObject<{ tags: { name: string; from?: ImageRef }[] }, ImageStreamStatus>;

/** Runs the build; resolves with its final phase (or undefined when it was not this agent's to run). */
export async function runBuild(deps: AgentDeps, ref: ObjectRef): Promise<string | undefined> {
  const { store } = deps;
  const claimed = await patchStatus<Build>(store, ref, (b) =>
    b.status.phase === 'Pending' && !b.spec.cancelled ? { ...b.status, phase: 'Running', startTimestamp: b.status.startTimestamp ?? new Date().toISOString() } : undefined,
  );
  if (!claimed) return undefined;
  const start = Date.parse(claimed.status.startTimestamp!);
  const attempt = claimed.status.attempt;
  const settings = deps.settings ?? buildSettings({});
  const { limits } = settings;
  const log = new LogWriter(deps.logs, ref, 50, limits.logBytes);
  const abort = new AbortController();
  deps.signal?.addEventListener('abort', () => abort.abort(deps.signal!.reason));
  const timeout = setTimeout(() => abort.abort(new BuildTimeout()), limits.timeoutMs);
  const watch = setInterval(async () => {
    const b = await store.get<Build>(ref).catch(() => undefined);
    if (!b || b.spec.cancelled || isTerminal(b) || b.status.attempt !== attempt) abort.abort(new Error('the build was cancelled or taken over'));
  }, deps.watchMs ?? AGENT_WATCH_MS);
  let fetched: FetchedSource | undefined;
  let network: BuildNetwork | undefined;
  try {
    const b = claimed;
    await checkBuild(deps, b, ref, settings);
    fetched = await fetchSource(deps, b, ref, settings, log.line, abort.signal);
    const [stream, tag] = b.spec.output.to.name.split(':') as [string, string];
    const repository = deps.registry.repository(ref.project, stream);
    const target = `${repository}:${tag}`;
    await deps.registry.ensureRepository(ref.project, stream);
    const dir = await contextDirOf(fetched.dir, b.spec.source.contextDir);
    const labels: Record<string, string> = {
      'io.openshift.build.name': ref.name,
      'io.openshift.build.namespace': ref.project,
      'io.openshift.build.source-location': sourceLocationOf(b),
      ...(b.spec.source.git?.ref ? { 'io.openshift.build.commit.ref': b.spec.source.git.ref } : {}),
      ...(fetched.commit ? { 'io.openshift.build.commit.id': fetched.commit } : {}),
      ...(b.spec.source.contextDir ? { 'io.openshift.build.source-context-dir': b.spec.source.contextDir } : {}),
    };
    const env: EnvVar[] = [...(b.spec.strategy.sourceStrategy?.env ?? b.spec.strategy.dockerStrategy?.env ?? []), ...b.spec.env];
    if (b.spec.strategy.type === 'Source') {
      const ss = b.spec.strategy.sourceStrategy!;
      const builderImage = await resolveImage(store, ref.project, ss.from);
      const problem = deps.platformRegistry ? imageProblem(builderImage, ref.project, deps.platformRegistry) : undefined;
      if (problem) throw new SourceError('InvalidBuilderImage', `the builder image ${builderImage} ${problem}`);
      const previousImage = ss.incremental ? await latestImage(store, ref.project, stream, tag) : undefined;
      log.line(`Building with S2I from ${builderImage}${previousImage ? ` (incremental, from ${previousImage})` : ''}`);
      const registryAuth = pullAuthFor(builderImage, await deps.registry.auth());
      network = await deps.egress?.open({ project: ref.project, name: ref.name });
      if (network) log.line(`Package index: ${network.env.find((e) => e.name === 'PIP_INDEX_URL')?.value.replace(/\/\/[^@/]*@/, '//') ?? 'none'}`);
      await deps.engine.s2iBuild(deps.docker, { builderImage, sourceDir: dir, tag: target, env, ...(network ? { egress: { network: network.mode, env: network.env } } : {}), incremental: ss.incremental, previousImage, scriptsUrl: ss.scripts, labels, log: log.line, signal: abort.signal, registryAuth, build: { project: ref.project, name: ref.name }, memoryBytes: limits.memoryBytes, nanoCpus: limits.nanoCpus });
    } else {
      const ds = b.spec.strategy.dockerStrategy!;
      log.line(`Building ${ds.dockerfilePath}`);
      await deps.engine.dockerfileBuild(deps.docker, { contextDir: dir, dockerfilePath: ds.dockerfilePath, buildArgs: ds.buildArgs, noCache: ds.noCache, tag: target, log: log.line, signal: abort.signal, memoryBytes: limits.memoryBytes, nanoCpus: limits.nanoCpus });
    }
    log.line(`Pushing image ${target} ...`);
    const digest = await push(deps, target, log.line);
    const reference = `${repository}@${digest}`;
    log.line(`Push successful: ${reference}`);
    await recordImage(store, ref.project, stream, tag, { created: new Date().toISOString(), dockerImageReference: reference, image: digest });
    await log.flush();
    await finishBuild(store, ref, attempt, start, {
      phase: 'Complete',
      outputDockerImageReference: target,
      output: { to: { imageDigest: digest } },
      ...(fetched.commit ? { revision: { commit: fetched.commit } } : {}),
    });
    return 'Complete';
  } catch (err) {
    if (abort.signal.reason instanceof BuildTimeout) {
      const message = `the build ran past the platform's limit of ${Math.round(limits.timeoutMs / 1000)} s`;
      log.line(`error: ${message}`);
      await log.flush();
      await finishBuild(store, ref, attempt, start, { phase: 'Failed', reason: 'DeadlineExceeded', message, logSnippet: log.lastLines() });
      return 'Failed';
    }
    if (abort.signal.aborted) {
      log.line('Build stopped.');
      await log.flush();
      return undefined;
    }
    const { phase, reason, message } = classify(err);
    log.line(`error: ${message}`);
    await log.flush();
    await finishBuild(store, ref, attempt, start, { phase, reason, message, logSnippet: log.lastLines() });
    return phase;
  } finally {
    clearInterval(watch);
    clearTimeout(timeout);
    await network?.close();
    if (fetched) await rm(fetched.root ?? fetched.dir, { recursive: true, force: true });
  }
}

/** The checks of admission, again: the stored Build may predate them or have been written around them. */
async function checkBuild(deps: AgentDeps, b: Build, ref: ObjectRef, settings: BuildSettings): Promise<void> {
  const problems = buildSpecProblems(b.spec, ref.project, { git: settings.git, registry: deps.platformRegistry });
  if (problems.length) throw new SourceError('InvalidBuildSpec', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  if (b.spec.strategy.type === 'Docker' && !(await dockerBuildsAllowed(deps.store, ref.project))) throw new SourceError('DockerBuildsNotAllowed', DOCKER_BUILDS_OFF);
}

async function fetchSource(deps: AgentDeps, b: Build, ref: ObjectRef, settings: BuildSettings, log: (l: string) => void, signal: AbortSignal): Promise<FetchedSource> {
  const git = b.spec.source.git;
  if (git) {
    return fetchGitInContainer(deps.docker, {
      uri: git.uri, ref: git.ref, commit: b.spec.revision?.commit, image: settings.fetchImage, policy: settings.git,
      maxBytes: deps.maxArchiveBytes ?? MAX_ARCHIVE_BYTES, memoryBytes: Math.min(settings.limits.memoryBytes, 1024 * 2 ** 20), nanoCpus: settings.limits.nanoCpus,
      timeoutMs: Math.min(settings.limits.timeoutMs, 15 * 60_000), build: { project: ref.project, name: ref.name }, log, signal,
    });
  }
  const archive = await deps.sources.get(ref);
  if (!archive) throw new SourceError('MissingSource', 'this binary build has no uploaded source; start it with `berth start-build BC --from-dir DIR`');
  const dir = await mkdtemp(join(tmpdir(), 'berth-src-'));
  log('Receiving source from the uploaded archive ...');
  try {
    await deps.engine.extractArchive(archive, dir, { maxBytes: deps.maxArchiveBytes ?? MAX_ARCHIVE_BYTES });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new SourceError('InvalidSourceArchive', (err as Error).message);
  }
  return { dir };
}

/**
 * What the user gave as the build's source, for the image's io.openshift.build.source-location
 * label: the git URL, or the uploaded archive's name (never where the agent unpacked it).
 * @example sourceLocationOf(build) // 'https://git.example/shop.git' or 'uploaded archive shop.tar.gz'
 */
export function sourceLocationOf(b: Build): string {
  if (b.spec.source.git) return withoutCredentials(b.spec.source.git.uri);
  const name = b.metadata.annotations[SOURCE_ARCHIVE_ANNOTATION];
  return name ? `uploaded archive ${name}` : 'uploaded archive';
}

/** A URL without a user name or password in it (a token there must not end up in an image). */
function withoutCredentials(uri: string): string {
  try {
    const u = new URL(uri);
    if (!u.username && !u.password) return uri;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return uri;
  }
}

/** The image an ImageRef names: a DockerImage as is, an ImageStreamTag by its newest image. */
async function resolveImage(store: ObjectStore, project: string, from: BuilderImageRef): Promise<string> {
  if (from.kind === 'DockerImage') return from.name;
  const namespace = from.namespace ?? project;
  if (namespace !== project && namespace !== SHARED_PROJECT) throw new SourceError('InvalidBuilderImage', `ImageStreamTag ${namespace}/${from.name} is in another project`);
  const [stream, tag = 'latest'] = from.name.split(':');
  const found = await latestImage(store, namespace, stream!, tag);
  if (!found) throw new SourceError('InvalidBuilderImage', `ImageStreamTag ${namespace === project ? '' : `${namespace}/`}${from.name} has no image yet`);
  return found;
}

async function latestImage(store: ObjectStore, project: string, stream: string, tag: string): Promise<string | undefined> {
  const is = await store.get<ImageStream>({ kind: 'ImageStream', project, name: stream });
  return is?.status.tags?.find((t) => t.tag === tag)?.items[0]?.dockerImageReference;
}

async function push(deps: AgentDeps, target: string, log: (l: string) => void): Promise<string> {
  const stream = await pushImage(deps.docker, target, await deps.registry.auth());
  return new Promise((resolve, reject) => {
    let digest: string | undefined;
    let failure: string | undefined;
    deps.docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err || failure) reject(new SourceError('PushImageToRegistryFailed', `pushing ${target} failed: ${failure ?? err?.message}`));
        else if (!digest) reject(new SourceError('PushImageToRegistryFailed', `the registry did not report a digest for ${target}`));
        else resolve(digest);
      },
      (event: { status?: string; error?: string; aux?: { Digest?: string }; id?: string; progress?: string }) => {
        if (event.error) failure = event.error;
        if (event.aux?.Digest) digest = event.aux.Digest;
        if (event.status && !event.progress && event.status !== 'Pushing') log(event.id ? `${event.id}: ${event.status}` : event.status);
      },
    );
  });
}

/**
 * Starts a push. The engine wants an X-Registry-Auth header even for a registry that needs no
 * credentials, so an open registry gets one naming only its address.
 */
export function pushImage(docker: Docker, target: string, auth: RegistryAuth | undefined): Promise<NodeJS.ReadableStream> {
  return docker.getImage(target).push({ authconfig: auth ?? { serveraddress: target.split('/')[0]! } });
}

/**
 * Moves the tag: the new image goes first in the tag's history. With `whileHead` (a digest, or
 * null for a tag not there yet), only while the tag's newest image is still that one: a writer
 * that read the tag before another moved it (the registry resync) then changes nothing; returns
 * whether the tag moved.
 */
export async function recordImage(store: ObjectStore, project: string, stream: string, tag: string, item: TagEvent, whileHead?: string | null): Promise<boolean> {
  const ref = { kind: 'ImageStream', project, name: stream };
  if (!(await store.get(ref))) {
    await store.create({ kind: 'ImageStream', metadata: { name: stream, project }, spec: { tags: [] } }).catch(ignoring(AlreadyExistsError));
  }
  const repo = item.dockerImageReference.split('@')[0]!;
  const moved = await patchStatus<ImageStream>(store, ref, (is) => {
    const tags = [...(is.status.tags ?? [])];
    const i = tags.findIndex((t) => t.tag === tag);
    if (whileHead !== undefined && (tags[i]?.items[0]?.image ?? null) !== whileHead) return undefined;
    const history = [item, ...(i >= 0 ? tags[i]!.items.filter((x) => x.image !== item.image) : [])].slice(0, 20);
    if (i >= 0) tags[i] = { tag, items: history };
    else tags.push({ tag, items: history });
    return { ...is.status, dockerImageRepository: repo, tags };
  });
  return moved !== undefined;
}

async function finishBuild(store: ObjectStore, ref: ObjectRef, attempt: string | undefined, start: number, status: BuildStatus): Promise<void> {
  const end = Date.now();
  await patchStatus<Build>(store, ref, (b) =>
    b.status.attempt === attempt && !isTerminal(b)
      ? { ...b.status, ...status, completionTimestamp: new Date(end).toISOString(), duration: Math.max(0, end - start) }
      : undefined,
  );
}

function classify(err: unknown): { phase: 'Failed' | 'Error'; reason: string; message: string } {
  const e = err as { reason?: string; code?: string; message?: string; suggestion?: string; statusCode?: number };
  const message = [e.message ?? String(err), e.suggestion].filter(Boolean).join('; ');
  if (err instanceof SourceError) return { phase: 'Failed', reason: err.reason, message };
  if (/no such image|not found|manifest unknown|pull access denied/i.test(e.message ?? '') && /image/i.test(e.message ?? '')) {
    return { phase: 'Error', reason: 'BuilderImageMissing', message };
  }
  if (e.code) return { phase: 'Failed', reason: e.code, message };
  return { phase: 'Error', reason: 'BuildError', message };
}
