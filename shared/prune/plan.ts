// What `berth adm prune` removes, as `oc adm prune` decides it. Pure: the caller gathers the
// objects of every project and applies the plan.
// - builds: finished builds of each BuildConfig beyond the newest `keepComplete` complete and
//   `keepFailed` failed (failed, error, cancelled) ones, older than `keepYoungerThanMs`;
// - deployments: revisions (ReplicationControllers) with no replicas that are neither the latest
//   nor the running one of their DeploymentConfig, beyond the newest `keepComplete` complete and
//   `keepFailed` failed ones and the DC's revisionHistoryLimit, older than `keepYoungerThanMs`;
//   and those of DeploymentConfigs that are gone;
// - images: image stream tag history beyond the newest `keepTagRevisions` items, older than
//   `keepYoungerThanMs`, whose image no RC, pod, DeploymentConfig or unfinished build of any
//   project uses.
import { TERMINAL_PHASES, type BuildPhase } from '../model/build-phases.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import type { BerthObject } from '../model/types.ts';

export interface PruneOptions {
  keepComplete: number;
  keepFailed: number;
  keepYoungerThanMs: number;
  keepTagRevisions: number;
}

/** oc adm prune's defaults. */
export const PRUNE_DEFAULTS: PruneOptions = { keepComplete: 5, keepFailed: 1, keepYoungerThanMs: 60 * 60_000, keepTagRevisions: 3 };

export interface PruneItem {
  kind: string;
  project: string;
  name: string;
  /** Why it goes. */
  reason: string;
  /** Images: the image stream's tag and the image's digest. */
  tag?: string;
  image?: string;
}

type Stamped = BerthObject<unknown, unknown>;
const createdMs = (o: Stamped): number => Date.parse(o.metadata.creationTimestamp ?? '') || 0;
const groupBy = <T>(items: T[], key: (t: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const i of items) out.set(key(i), [...(out.get(key(i)) ?? []), i]);
  return out;
};

/** Of `finished` (newest first), those beyond the newest `keepComplete` complete and `keepFailed` failed, old enough. */
function beyondKeep<T extends Stamped>(finished: T[], complete: (t: T) => boolean, opts: PruneOptions, now: number, what: string): { item: T; reason: string }[] {
  let c = 0;
  let f = 0;
  const out: { item: T; reason: string }[] = [];
  for (const item of finished) {
    const isComplete = complete(item);
    const beyond = isComplete ? ++c > opts.keepComplete : ++f > opts.keepFailed;
    if (!beyond || now - createdMs(item) < opts.keepYoungerThanMs) continue;
    out.push({ item, reason: isComplete ? `beyond the ${opts.keepComplete} newest complete ${what}` : `beyond the ${opts.keepFailed} newest failed ${what}` });
  }
  return out;
}

type BuildLike = BerthObject<unknown, { phase?: BuildPhase }>;

export function planBuildPrune(builds: BuildLike[], configLabel: string, opts: PruneOptions, now: number): PruneItem[] {
  const finished = builds.filter((b) => TERMINAL_PHASES.includes(b.status?.phase as BuildPhase));
  const groups = groupBy(finished, (b) => `${b.metadata.project}/${b.metadata.labels?.[configLabel] ?? ''}`);
  const out: PruneItem[] = [];
  for (const group of groups.values()) {
    const newest = [...group].sort((a, b) => createdMs(b) - createdMs(a));
    for (const { item, reason } of beyondKeep(newest, (b) => b.status?.phase === 'Complete', opts, now, 'builds of its build config')) {
      out.push({ kind: 'Build', project: item.metadata.project, name: item.metadata.name, reason });
    }
  }
  return sortItems(out);
}

interface RcLike extends BerthObject<{ replicas: number }, { phase?: string; replicas?: number }> {}
interface DcLike extends BerthObject<{ revisionHistoryLimit?: number }, unknown> {}

export function planDeploymentPrune(dcs: DcLike[], rcs: RcLike[], dcLabel: string, revisionOf: (rc: RcLike) => number, opts: PruneOptions, now: number): PruneItem[] {
  const dcByKey = new Map(dcs.map((d) => [`${d.metadata.project}/${d.metadata.name}`, d]));
  const empty = (rc: RcLike) => rc.spec.replicas === 0 && (rc.status?.replicas ?? 0) === 0;
  const out: PruneItem[] = [];
  for (const [key, group] of groupBy(rcs, (rc) => `${rc.metadata.project}/${rc.metadata.labels?.[dcLabel] ?? ''}`)) {
    const newest = [...group].sort((a, b) => revisionOf(b) - revisionOf(a));
    const dc = dcByKey.get(key);
    if (!dc) {
      for (const rc of newest) if (empty(rc) && now - createdMs(rc) >= opts.keepYoungerThanMs) out.push({ kind: 'ReplicationController', project: rc.metadata.project, name: rc.metadata.name, reason: 'its deployment config is gone' });
      continue;
    }
    const running = newest.find((rc) => rc.status?.phase === 'Complete');
    const finished = newest.slice(1).filter((rc) => rc !== running && (rc.status?.phase === 'Complete' || rc.status?.phase === 'Failed') && empty(rc));
    const limit = dc.spec.revisionHistoryLimit ?? 10;
    const keep = { ...opts, keepComplete: Math.min(opts.keepComplete, limit), keepFailed: Math.min(opts.keepFailed, limit) };
    for (const { item, reason } of beyondKeep(finished, (rc) => rc.status?.phase === 'Complete', keep, now, 'revisions of its deployment config')) {
      out.push({ kind: 'ReplicationController', project: item.metadata.project, name: item.metadata.name, reason });
    }
  }
  return sortItems(out);
}

type StreamLike = BerthObject<unknown, ImageStreamStatus>;

/**
 * `inUse`: digests (sha256:…) of every image an RC, pod, DeploymentConfig or unfinished build of
 * any project names; digests are content addresses, so an image another project uses is kept
 * wherever else it is stored.
 */
export function planImagePrune(streams: StreamLike[], inUse: Set<string>, opts: PruneOptions, now: number): PruneItem[] {
  const out: PruneItem[] = [];
  for (const is of streams) {
    for (const t of is.status?.tags ?? []) {
      t.items.forEach((item, i) => {
        if (i < opts.keepTagRevisions || inUse.has(item.image)) return;
        if (now - (Date.parse(item.created) || 0) < opts.keepYoungerThanMs) return;
        out.push({ kind: 'ImageStreamImage', project: is.metadata.project, name: is.metadata.name, tag: t.tag, image: item.image, reason: `beyond the ${opts.keepTagRevisions} newest images of tag ${t.tag}, used by nothing` });
      });
    }
  }
  return sortItems(out);
}

/** The sha256 digests named in image references (`…@sha256:…`). */
export function digestsOf(images: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const image of images) {
    const m = /@(sha256:[0-9a-f]{64})$/.exec(image);
    if (m) out.add(m[1]!);
  }
  return out;
}

const sortItems = (items: PruneItem[]) => items.sort((a, b) => a.project.localeCompare(b.project) || a.name.localeCompare(b.name) || (a.tag ?? '').localeCompare(b.tag ?? '') || (a.image ?? '').localeCompare(b.image ?? ''));

/**
 * A duration as oc takes it: `90s`, `60m`, `1h30m`, `2d` (days are an extension); plain
 * numbers are refused (the unit is not guessed).
 * @example parseDuration('1h30m') // 5400000
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const [, d, h, min, s] = m.map((x) => Number(x ?? 0));
  return (((d! * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
}
