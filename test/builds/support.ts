// Helpers for the build tests: the shared Docker client and builder image, copies of the sample
// apps, builds that keep their log, and running an image the way Berth runs tenant pods (an
// arbitrary non-root UID in group 0, no capabilities, port 8080 published on 127.0.0.1).
import { cp, mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, inject } from 'vitest';
import { ensureBuilderImages, type Variant } from '../../images/build.ts';
import { s2iBuild } from '../../shared/builds/s2i/index.ts';
import { mkdtempSync } from 'node:fs';
import { extractArchive } from '../../shared/builds/archive.ts';
import { pushImage, type AgentDeps } from '../../shared/builds/agent.ts';
import { dockerfileBuild } from '../../shared/builds/docker-build.ts';
import { FileBuildLogs, FileSourceArchives, LocalRegistry } from '../../shared/builds/local-adapters.ts';
import type { BuildSettings } from '../../shared/builds/settings.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import type { S2IRequest } from '../../shared/builds/s2i/types.ts';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });
export const APPS = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/apps');
export const ARBITRARY_USER = '1000770000:0';

/** The builder image's progress, without Docker's per-step chatter. */
export function builderLog(variant: string): (line: string) => void {
  return (line) => {
    if (/^(Step \d|mmdebstrap|made |Built )/.test(line)) console.log(`[${variant} builder image] ${line}`);
  };
}

export interface BuildSuite {
  /** The builder image, once beforeAll has run. */
  builder: string;
  /** A unique tag in the test registry's namespace, removed after the file's tests. */
  tag(app: string): string;
}

/** Registers the hooks of a file of build tests: the builder image before, its images removed after. */
export function buildSuite(variant: Variant = 'test'): BuildSuite {
  const suite: BuildSuite = { builder: '', tag: tagSuite() };
  beforeAll(async () => {
    suite.builder = await ensureBuilderImages(docker, { variant, log: builderLog(variant) });
  }, 20 * 60_000);
  return suite;
}

/** Unique tags in the test registry's namespace, removed after the file's tests (no builder image made). */
export function tagSuite(): (app: string) => string {
  const tags: string[] = [];
  afterAll(() => removeImages(tags));
  return (app) => {
    const t = testTag(inject('registryHost'), app);
    tags.push(t);
    return t;
  };
}

/** A fresh copy of a sample app (or an empty dir), with extra files written into it. */
export async function appSource(app: string | undefined, files: Record<string, string | { text: string; mode: number }> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-app-${app ?? 'empty'}-`));
  if (app) await cp(join(APPS, app), dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    if (typeof content === 'string') await writeFile(path, content);
    else await writeFile(path, content.text, { mode: content.mode });
  }
  return dir;
}

export interface Built {
  imageId: string;
  tag: string;
  lines: string[];
}

/** s2iBuild with the log kept; the rest of the request defaults to a plain build. */
export async function build(req: Partial<S2IRequest> & { builderImage: string; sourceDir: string; tag: string }): Promise<Built> {
  const lines: string[] = [];
  const { imageId } = await s2iBuild(docker, { env: [], incremental: false, ...req, log: (l) => lines.push(l) });
  return { imageId, tag: req.tag, lines };
}

export interface RunningApp {
  port: number;
  logs(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts an image as a tenant pod would run: arbitrary UID, group 0, no capabilities, 8080 on 127.0.0.1. */
export async function runApp(image: string, opts: { env?: string[]; memoryBytes?: number; cmd?: string[] } = {}): Promise<RunningApp> {
  const c = await docker.createContainer({
    Image: image,
    User: ARBITRARY_USER,
    Env: opts.env ?? [],
    ...(opts.cmd ? { Cmd: opts.cmd } : {}),
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: {
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      Memory: opts.memoryBytes ?? 256 * 1024 * 1024,
    },
  });
  await c.start();
  const info = await c.inspect();
  const port = Number(info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort);
  return {
    port,
    logs: async () => (await c.logs({ stdout: true, stderr: true })).toString('utf8'),
    stop: () => c.remove({ force: true }).then(() => undefined),
  };
}

/** Runs a one-off command in an image (as the arbitrary UID) and returns its output. */
export async function runOnce(image: string, cmd: string[], opts: { env?: string[]; user?: string; memoryBytes?: number } = {}): Promise<{ code: number; output: string }> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Entrypoint: [],
    User: opts.user ?? ARBITRARY_USER,
    Env: opts.env ?? [],
    HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], NetworkMode: 'none', ...(opts.memoryBytes ? { Memory: opts.memoryBytes } : {}) },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const raw = await c.logs({ stdout: true, stderr: true });
    return { code: StatusCode, output: demux(raw) };
  } finally {
    await c.remove({ force: true });
  }
}

/** Docker's multiplexed log frames → text. */
function demux(raw: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

/** GETs http://127.0.0.1:port/path until it answers `status` (bounded), and returns the body. */
export async function getWhenReady(app: RunningApp, path = '/', timeoutMs = 60_000, status = 200): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${app.port}${path}`, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.status === status) return body;
      last = `HTTP ${res.status}: ${body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`no answer from the app within ${timeoutMs} ms (${last}); its log:\n${await app.logs()}`);
}

/** Runs the image as a tenant pod until it answers `status` on /, then stops it: the answer and the log. */
export async function answerOf(image: string, opts: Parameters<typeof runApp>[1] = {}, status = 200): Promise<{ body: string; logs: string }> {
  const running = await runApp(image, opts);
  try {
    const body = await getWhenReady(running, '/', 60_000, status);
    return { body, logs: await running.logs() };
  } finally {
    await running.stop();
  }
}

/** Removes images by tag, ignoring ones already gone. */
export async function removeImages(tags: string[]): Promise<void> {
  await Promise.all(tags.map((t) => docker.getImage(t).remove({ force: true }).catch(() => undefined)));
}

/** A unique image name in the test registry's namespace. */
export function testTag(registryHost: string, app: string): string {
  return `${registryHost}/t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}/${app}:latest`;
}

/** Which checks the builder agent makes beyond the defaults, for agentDeps. */
export interface AgentDepsOptions {
  settings?: BuildSettings;
  /** Whether the agent knows the registry's layout and so checks which images a project may use (default true). */
  imageChecks?: boolean;
}

/**
 * The builder agent's dependencies over the real engines: logs and uploaded sources in a fresh
 * temporary directory, the test registry, this Docker Engine.
 * @example const deps = agentDeps(t.store, inject('registryHost'), { settings: buildSettings({ PAAS_ALLOW_LOCAL_GIT: '1' }) })
 */
export function agentDeps(store: ObjectStore, registryHost: string, opts: AgentDepsOptions = {}): AgentDeps {
  const dir = mkdtempSync(join(tmpdir(), 'berth-agent-'));
  return {
    store,
    logs: new FileBuildLogs(join(dir, 'logs')),
    sources: new FileSourceArchives(join(dir, 'sources')),
    registry: new LocalRegistry(registryHost),
    docker,
    engine: { s2iBuild, dockerfileBuild, extractArchive },
    ...(opts.settings ? { settings: opts.settings } : {}),
    ...(opts.imageChecks === false ? {} : { platformRegistry: { host: registryHost, prefix: '', shared: ['berth'] } }),
  };
}

/** Removes from this engine's image store the images tests pushed for `project` to the test registry. */
export async function removeProjectImages(registryHost: string, project: string): Promise<void> {
  const mine = `${registryHost}/${project}/`;
  for (const img of await docker.listImages()) {
    for (const tag of img.RepoTags ?? []) if (tag.startsWith(mine)) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  }
}

/** Pushes a local image to the (open, loopback) registry its name names; returns the pushed manifest's digest. */
export async function pushToRegistry(tag: string): Promise<string> {
  const stream = await pushImage(docker, tag, undefined);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(`pushing ${tag} failed: ${failed}`));
      else resolve();
    }),
  );
  const repo = tag.slice(0, tag.lastIndexOf(':'));
  return (await docker.getImage(tag).inspect()).RepoDigests.find((r) => r.startsWith(`${repo}@`))!.split('@')[1]!;
}
