// The CLI harness for build commands: the real API with a python builder image offered, a
// logged-in admin in project "demo", and the hands a test needs where no reconciler or builder
// runs — write a build's log and status, read the uploaded source back, make source trees.
// `cutFollowAfterMs` makes the server end every followed log early, as a proxy timeout would.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { ApiDeps } from '../../shared/api/env.ts';
import { createApi } from '../../shared/api/app.ts';
// The CLI's naming tests use file:// URLs: allowed as PAAS_ALLOW_LOCAL_GIT=1 would.
import type { Build } from '../../shared/builds/instantiate.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { startCli, type CliHarness, type ServedApp } from './harness.ts';

export const PYTHON = { name: 'python', image: '127.0.0.1:7500/berth/python:3.11', description: 'Python 3.11 with pip, gunicorn and S2I scripts' };
export const PROJECT = 'demo';

export interface BuildHarness extends CliHarness {
  /** While set, followed logs end this many ms after they start, whatever the build's phase. */
  cutFollowAfterMs?: number;
  appendLog(build: string, text: string): Promise<void>;
  setStatus(build: string, status: Build['status']): Promise<void>;
  get(plural: string, name: string): Promise<any>;
  /** The uploaded source of a build, entry by entry. */
  uploaded(build: string): Promise<Map<string, UploadedEntry>>;
}

export interface UploadedEntry {
  type: string;
  mode: number;
  content: string;
  linkname?: string;
}

/** `deps`: more of the API's dependencies (the routers' ports, …). */
export async function startBuildCli(deps: Partial<ApiDeps> = {}): Promise<BuildHarness> {
  let h: BuildHarness | undefined;
  const base = await startCli((api) => cutFollowStreams(createApi({ store: api.store, identity: api.identity, builds: api.builds, builderImages: [PYTHON], buildPolicy: { git: { allowLocal: true } }, ...deps }), () => h?.cutFollowAfterMs));
  const ref = (name: string) => ({ kind: 'Build', project: PROJECT, name });
  // The CLI under test may not have made the build yet (a slow start on a busy machine): wait for it.
  const made = async (build: string) => {
    for (const deadline = Date.now() + 30_000; !(await base.api.store.get(ref(build))); await sleep(50)) {
      if (Date.now() > deadline) throw new Error(`build ${build} was never made`);
    }
  };
  h = Object.assign(base, {
    async appendLog(build: string, text: string) {
      await made(build);
      await base.api.builds.logs.append(ref(build), text);
    },
    async setStatus(build: string, status: Build['status']) {
      await made(build);
      if (!(await patchStatus<Build>(base.api.store, ref(build), (b) => ({ ...b.status, ...status })))) throw new Error(`build ${build} is gone`);
    },
    async get(plural: string, name: string) {
      const r = await base.api.call('GET', `/api/v1/projects/${PROJECT}/${plural}/${name}`, base.api.adminToken);
      return r.status === 200 ? r.body : undefined;
    },
    async uploaded(build: string) {
      const archive = await base.api.builds.sources.get(ref(build));
      if (!archive) throw new Error(`no source archive for ${build}`);
      return untar(archive);
    },
  });
  await h.login('admin');
  await h.berth(['new-project', PROJECT]);
  return h;
}

function cutFollowStreams(app: ServedApp, cutAfter: () => number | undefined): ServedApp {
  return {
    async fetch(request, ...rest) {
      const res = await app.fetch(request, ...rest);
      const ms = cutAfter();
      if (ms === undefined || !new URL(request.url).searchParams.has('follow') || !res.body) return res;
      const reader = res.body.getReader();
      const stop = sleep(ms).then(() => 'cut' as const);
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const r = await Promise.race([reader.read(), stop]);
          if (r === 'cut' || r.done) {
            await reader.cancel().catch(() => {});
            controller.close();
          } else controller.enqueue(r.value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    },
  };
}

async function untar(archive: NodeJS.ReadableStream): Promise<Map<string, UploadedEntry>> {
  const extract = tar.extract();
  (archive as NodeJS.ReadableStream & { pipe: Function }).pipe(createGunzip()).pipe(extract as unknown as NodeJS.WritableStream);
  const entries = new Map<string, UploadedEntry>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const { name, type, mode, linkname } = entry.header;
    entries.set(name, { type, mode, content: Buffer.concat(chunks).toString('utf8'), ...(linkname ? { linkname } : {}) });
  }
  return entries;
}

/** A source tree in a fresh temporary directory: path → text, or text with a mode; `{ link }` makes a symlink. */
export function sourceTree(files: Record<string, string | { text: string; mode: number } | { link: string }>, dirName = 'app'): string {
  const root = join(mkdtempSync(join(tmpdir(), 'berth-src-')), dirName);
  mkdirSync(root, { recursive: true });
  for (const [path, spec] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    if (typeof spec === 'string') writeFileSync(file, spec);
    else if ('link' in spec) symlinkSync(spec.link, file);
    else {
      writeFileSync(file, spec.text);
      chmodSync(file, spec.mode);
    }
  }
  return root;
}

/** Runs `act` after `ms`, while the CLI is working. */
export const after = (ms: number, act: () => Promise<unknown>): Promise<unknown> => sleep(ms).then(act);
