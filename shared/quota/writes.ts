// What a write of some objects does to their projects' usage counters, pure: the usage each
// project gains or gives back, and the hard limits a ResourceQuota write sets.
import type { BerthObject } from '../model/types.ts';
import { hardOf, QUOTA_KIND } from './kinds.ts';
import { isCounted, usageDelta, type Usage } from './resources.ts';

export interface Change {
  before?: BerthObject;
  after?: BerthObject;
}

export interface CounterChange {
  project: string;
  /** What the project's used changes by (zeros left out). */
  delta: Usage;
  /** A quota written: its hard limits before and after. */
  quota?: { name: string; before: Usage; after: Usage };
}

const isIncrease = (u: Usage) => Object.values(u).some((n) => n! > 0);
export const increases = (c: CounterChange): boolean => isIncrease(c.delta);

/** Whether writes of this kind touch a counter at all (so the store can skip the read otherwise). */
export const touchesCounter = (kind: string): boolean => kind === QUOTA_KIND || isCounted(kind);

/** The counter change of each project the changes touch; projects whose counter does not move are left out. */
export function counterChanges(changes: Change[]): CounterChange[] {
  const byProject = new Map<string, CounterChange>();
  for (const { before, after } of changes) {
    const o = after ?? before;
    if (!o || !o.metadata.project || !touchesCounter(o.kind)) continue;
    const project = o.metadata.project;
    const entry = byProject.get(project) ?? { project, delta: {} };
    if (o.kind === QUOTA_KIND) {
      if (entry.quota) throw new Error('one quota per project per write');
      entry.quota = { name: o.metadata.name, before: before ? hardOf(before) : {}, after: after ? hardOf(after) : {} };
    } else {
      for (const [r, n] of Object.entries(usageDelta(before, after)) as [keyof Usage, number][]) entry.delta[r] = (entry.delta[r] ?? 0) + n;
    }
    byProject.set(project, entry);
  }
  for (const e of byProject.values()) for (const [r, n] of Object.entries(e.delta)) if (n === 0) delete e.delta[r as keyof Usage];
  return [...byProject.values()].filter((e) => e.quota || Object.keys(e.delta).length > 0);
}
