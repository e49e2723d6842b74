// Catches the image stream tags up with the registry. Distribution keeps its notifications in
// memory only: a push made while the API was down (or whose notification failed for good) moves
// no tag. The resync reads what the registry holds (catalog → tags → each tag's manifest digest,
// by HEAD: no manifest bodies are read) for the repositories of existing projects, and moves a
// tag whose registry digest the tag has never held. It never races a live notification: it
// notes the tag's newest image before asking the registry and moves the tag only while that is
// still its newest (recordImage's `whileHead`), so a push recorded meanwhile wins; the next pass
// looks again. A tag moved elsewhere on purpose (`berth tag`, a rollback to an older image) is
// left alone: its registry digest is in its history.
import { recordImage } from '../builds/agent.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { MANIFEST_MEDIA_TYPES, type RecordedPush } from './events.ts';
import type { RegistryHttp } from './http.ts';
import { repositoryParts } from './scopes.ts';

export interface RegistryResyncDeps {
  store: ObjectStore;
  /** Logged in as the platform's user (it may read the catalog and every repository). */
  http: RegistryHttp;
  /** host:port of the registry, as image references name it. */
  host: string;
  /** Test seam: called after a tag's head was noted and before the registry is asked (a notification racing the resync). */
  beforeRegistryRead?: (repository: string, tag: string) => Promise<void>;
}

const ACCEPT = [...MANIFEST_MEDIA_TYPES].join(', ');
const PAGE = 1000;

/** Every repository of the registry's catalog, page by page (Distribution's `Link: <…>; rel="next"`). */
export async function* registryCatalog(http: RegistryHttp, host: string): AsyncGenerator<string> {
  let next: string | undefined = `/v2/_catalog?n=${PAGE}`;
  while (next) {
    const res = await http.fetch(`http://${host}${next}`);
    if (!res.ok) throw new Error(`the registry's catalog answered HTTP ${res.status}`);
    const body = (await res.json()) as { repositories?: string[] | null };
    yield* body.repositories ?? [];
    next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  }
}

async function tagsOf(http: RegistryHttp, host: string, repository: string): Promise<string[]> {
  const res = await http.fetch(`http://${host}/v2/${repository}/tags/list`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`the registry's tags of ${repository} answered HTTP ${res.status}`);
  return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
}

/** The digest a tag names now, if it names a manifest (not a blob, not gone meanwhile). */
async function digestOf(http: RegistryHttp, host: string, repository: string, tag: string): Promise<string | undefined> {
  const res = await http.fetch(`http://${host}/v2/${repository}/manifests/${encodeURIComponent(tag)}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  if (!res.ok || !MANIFEST_MEDIA_TYPES.has(res.headers.get('content-type') ?? '')) return undefined;
  return res.headers.get('docker-content-digest') ?? undefined;
}

/**
 * One pass: every tag of every `<project>/<name>` repository of an existing project whose digest
 * its ImageStream tag has never held is moved there (the stream made if missing). Returns the
 * tags moved. Cheap when nothing is behind: one catalog page, one tags list per repository and
 * one HEAD per tag, and reads of the table.
 * @example await resyncRegistryTags({ store, http: new RegistryHttp(platformLogin), host: '127.0.0.1:7500' }) // [{ project: 'demo', stream: 'web', tag: 'v2', digest: 'sha256:…' }]
 */
export async function resyncRegistryTags(deps: RegistryResyncDeps): Promise<RecordedPush[]> {
  const { store, http, host } = deps;
  const moved: RecordedPush[] = [];
  const projects = new Map<string, boolean>();
  for await (const repository of registryCatalog(http, host)) {
    const repo = repositoryParts(repository);
    if (!repo) continue;
    // The platform's own namespaces (builder images) and repositories of no project move nothing.
    if (!projects.has(repo.project)) projects.set(repo.project, !!(await store.get({ kind: 'Project', project: '', name: repo.project })));
    if (!projects.get(repo.project)) continue;
    for (const tag of await tagsOf(http, host, repository)) {
      const stream = await store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: repo.project, name: repo.stream });
      const history = stream?.status.tags?.find((t) => t.tag === tag)?.items ?? [];
      const head = history[0]?.image ?? null;
      await deps.beforeRegistryRead?.(repository, tag);
      const digest = await digestOf(http, host, repository, tag);
      if (!digest || history.some((i) => i.image === digest)) continue;
      const item = { created: new Date().toISOString(), dockerImageReference: `${host}/${repository}@${digest}`, image: digest };
      if (await recordImage(store, repo.project, repo.stream, tag, item, head)) moved.push({ project: repo.project, stream: repo.stream, tag, digest });
    }
  }
  return moved;
}

export interface RegistryResyncLoop {
  /** Runs a pass now (one at a time: a request during a pass runs one more after it). */
  request(): Promise<void>;
  stop(): void;
}

/** Runs the resync at once and then every `intervalMs`, one pass at a time. */
export function scheduleRegistryResync(deps: RegistryResyncDeps & { intervalMs: number; onMoved?: (moved: RecordedPush[]) => void; onError?: (err: Error) => void }): RegistryResyncLoop {
  let running: Promise<void> | undefined;
  let again = false;
  const pass = async (): Promise<void> => {
    do {
      again = false;
      try {
        const moved = await resyncRegistryTags(deps);
        if (moved.length) deps.onMoved?.(moved);
      } catch (err) {
        deps.onError?.(err as Error);
      }
    } while (again);
  };
  const request = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = pass().finally(() => (running = undefined));
    return running;
  };
  const interval = setInterval(() => void request(), deps.intervalMs);
  interval.unref();
  void request();
  return { request, stop: () => clearInterval(interval) };
}
