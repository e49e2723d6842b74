// What a push connection watches, and which changes concern it. A topic is a path the API
// serves: a kind's list in a project (`/api/v1/projects/<p>/pods`), a project's overview
// (`/api/v1/projects/<p>/overview`: any of the kinds it shows) or a build's log
// (`/api/v1/projects/<p>/builds/<name>/log`). A notice says that the path has something new, and
// may carry what a read would give (shared/push/changes.ts); else the client reads it through the
// API, which authorises that read as any other.
import { KIND_NAMES, type Category } from '../model/kind-names.ts';
import type { Verb } from '../auth/rbac.ts';
import { OVERVIEW_KINDS } from '../overview/shown.ts';
import { buildOfLogPartition, refOfKey, type ItemKey } from '../store/keys.ts';

/** Where the API takes push connections (a WebSocket upgrade). */
export const PUSH_PATH = '/api/v1/push';
/** The header on watch and log answers that tells a client where it can be told of changes instead of asking again. */
export const PUSH_HEADER = 'X-Berth-Push';

export interface Topic {
  project: string;
  /** The path below the project: a kind's plural, or `builds/<name>/log`. */
  topic: string;
}

/** What a client sends on a push connection. */
export type PushRequest = { watch: string } | { unwatch: string };

/** What the platform sends on a push connection. */
export type PushMessage =
  | { type: 'watching'; path: string }
  | { type: 'unwatched'; path: string }
  /**
   * Something on the path changed. A build log's notice may carry the text appended at `offset`
   * (bytes); a list's may carry the objects written, as its watch shows them, and the names of
   * those removed (`objects` and `gone` together, either possibly empty).
   */
  | { type: 'changed'; path: string; offset?: number; text?: string; objects?: object[]; gone?: string[] }
  | { type: 'error'; path?: string; status: number; message: string };

const NAME = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const TOPIC_PATH = new RegExp(`^/api/v1/projects/(${NAME})/([a-z]+)(?:/(${NAME}(?:\\.${NAME})*)/log)?$`);
const PLURALS = new Map<string, Category>((KIND_NAMES as readonly { plural: string; category: Category; scope: string }[]).filter((k) => k.scope === 'project').map((k) => [k.plural, k.category]));
const KIND_PLURALS = new Map<string, string>((KIND_NAMES as readonly { kind: string; plural: string }[]).map((k) => [k.kind, k.plural]));

/** The plural a kind's list is watched by (`pods` for Pod); undefined for a kind with no list. */
export const pluralOfKind = (kind: string): string | undefined => KIND_PLURALS.get(kind);

export const topicPath = (t: Topic): string => `/api/v1/projects/${t.project}/${t.topic}`;

/** The topic of a project's overview (reading it takes what listing the project's applications does). */
const OVERVIEW = 'overview';

/** The topic of a build's log. */
export const logTopic = (build: { project: string; name: string }): Topic => ({ project: build.project, topic: `builds/${build.name}/log` });

/**
 * The topic of a path a client may watch, with what reading it takes; undefined for any other path.
 * @example parseTopic('/api/v1/projects/demo/pods') // { project: 'demo', topic: 'pods', verb: 'list', resource: 'app' }
 */
export function parseTopic(path: string): (Topic & { verb: Verb; resource: Category }) | undefined {
  const m = TOPIC_PATH.exec(path);
  if (!m) return undefined;
  const [, project, plural, build] = m as unknown as [string, string, string, string | undefined];
  if (build !== undefined) return plural === 'builds' ? { ...logTopic({ project, name: build }), verb: 'get', resource: 'app' } : undefined;
  if (plural === OVERVIEW) return { project, topic: OVERVIEW, verb: 'list', resource: 'app' };
  const resource = PLURALS.get(plural);
  return resource ? { project, topic: plural, verb: 'list', resource } : undefined;
}

/** The topics that items written under these keys concern (each once): objects' kinds, the overview of the kinds it shows, and builds' logs. */
export function topicsOfKeys(keys: Iterable<ItemKey>): Topic[] {
  const seen = new Map<string, Topic>();
  const add = (t: Topic) => seen.set(topicPath(t), t);
  for (const key of keys) {
    const build = buildOfLogPartition(key.pk);
    if (build) {
      add(logTopic(build));
      continue;
    }
    const ref = refOfKey(key);
    const plural = ref?.project ? pluralOfKind(ref.kind) : undefined;
    if (ref?.project && plural) add({ project: ref.project, topic: plural });
    if (ref?.project && OVERVIEW_KINDS.has(ref.kind)) add({ project: ref.project, topic: OVERVIEW });
  }
  return [...seen.values()];
}
