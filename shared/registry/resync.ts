// Catches the image stream tags up with the registry. Distribution keeps its notifications in
// memory only, and ECR's events may be lost for good (after EventBridge's retries): such a push
// moves no tag. The resync reads what the registry holds, through the ImageRegistry's listing
// (locally catalog → tags → each tag's digest by HEAD; on ECR DescribeRepositories →
// DescribeImages), for the repositories of existing projects, and moves a
// tag whose registry digest the tag has never held. It never races a live notification: it
// notes the tag's newest image before asking the registry and moves the tag only while that is
// still its newest (recordImage's `whileHead`), so a push recorded meanwhile wins; the next pass
// looks again. A tag moved elsewhere on purpose (`berth tag`, a rollback to an older image) is
// left alone: its registry digest is in its history.
import { recordImage } from '../builds/agent.ts';
import type { ImageRegistry } from '../builds/ports.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { MANIFEST_MEDIA_TYPES, type RecordedPush } from './events.ts';
import type { RegistryHttp } from './http.ts';

/** What the resync reads of a registry: its `<project>/<stream>` repositories and their tags (LocalRegistry, EcrRegistry). */
export type RegistryListing = Required<Pick<ImageRegistry, 'listRepositories' | 'listTags'>>;

export interface RegistryResyncDeps {
  store: ObjectStore;
  /** Read with the platform's own rights (every repository). */
  registry: RegistryListing;
  /** Test seam: called after a repository's tags' heads were noted and before the registry is asked (a notification racing the resync). */
  beforeRegistryRead?: (repository: string) => Promise<void>;
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

/** A Distribution repository's tags and the manifest digest each names now (by HEAD: no manifest bodies are read). */
export async function registryTags(http: RegistryHttp, host: string, repository: string): Promise<{ tag: string; digest: string }[]> {
  const res = await http.fetch(`http://${host}/v2/${repository}/tags/list`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`the registry's tags of ${repository} answered HTTP ${res.status}`);
  const out: { tag: string; digest: string }[] = [];
  for (const tag of ((await res.json()) as { tags?: string[] | null }).tags ?? []) {
    const head = await http.fetch(`http://${host}/v2/${repository}/manifests/${encodeURIComponent(tag)}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
    // Not a manifest (or gone meanwhile): nothing to record.
    const digest = head.ok && MANIFEST_MEDIA_TYPES.has(head.headers.get('content-type') ?? '') ? head.headers.get('docker-content-digest') : null;
    if (digest) out.push({ tag, digest });
  }
  return out;
}

/**
 * One pass: every tag of every `<project>/<stream>` repository of an existing project whose digest
 * its ImageStream tag has never held is moved there (the stream made if missing). Returns the
 * tags moved. Cheap when nothing is behind: locally one catalog page, one tags list per repository
 * and one HEAD per tag; on ECR one DescribeRepositories page and one DescribeImages page per
 * repository; and reads of the table.
 * @example await resyncRegistryTags({ store, registry: new LocalRegistry('127.0.0.1:7500', undefined, platformLogin) }) // [{ project: 'demo', stream: 'web', tag: 'v2', digest: 'sha256:…' }]
 */
export async function resyncRegistryTags(deps: RegistryResyncDeps): Promise<RecordedPush[]> {
  const { store, registry } = deps;
  const moved: RecordedPush[] = [];
  const projects = new Map<string, boolean>();
  for await (const repo of registry.listRepositories()) {
    // The platform's own namespaces (builder images) and repositories of no project move nothing.
    if (!projects.has(repo.project)) projects.set(repo.project, !!(await store.get({ kind: 'Project', project: '', name: repo.project })));
    if (!projects.get(repo.project)) continue;
    // Each tag's newest image as it is before the registry is read: a tag is moved only while it still is.
    const stream = await store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: repo.project, name: repo.stream });
    await deps.beforeRegistryRead?.(repo.name);
    for (const { tag, digest } of await registry.listTags(repo)) {
      const history = stream?.status.tags?.find((t) => t.tag === tag)?.items ?? [];
      if (history.some((i) => i.image === digest)) continue;
      const item = { created: new Date().toISOString(), dockerImageReference: `${repo.reference}@${digest}`, image: digest };
      if (await recordImage(store, repo.project, repo.stream, tag, item, history[0]?.image ?? null)) moved.push({ project: repo.project, stream: repo.stream, tag, digest });
    }
  }
  return moved;
}

/**
 * Whether a scheduled pass at `time` (an EventBridge scheduled event's `time`; now when absent)
 * runs the registry resync, which runs every `everyMinutes` of the clock.
 * @example registryResyncDue('2026-12-03T11:45:00Z', 5) // true; '2026-12-03T11:46:00Z' → false
 */
export function registryResyncDue(time: string | undefined, everyMinutes: number): boolean {
  const at = time && !Number.isNaN(Date.parse(time)) ? new Date(time) : new Date();
  return at.getUTCMinutes() % everyMinutes === 0;
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
