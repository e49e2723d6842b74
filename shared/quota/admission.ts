// Quota admission, pure: given a project's usage counter and what a write would add, either the
// conditions the counter must still meet when the write lands (so that concurrent writes can
// never together pass a hard limit), or the refusal, in Kubernetes' words.
import type { QuotaResource, Usage } from './resources.ts';
import { formatAmount } from './resources.ts';

/** A project's usage counter as read: what is used, each quota's hard limits, and a version every quota write bumps. */
export interface Counter {
  version: number;
  used: Usage;
  hard: Record<string, Usage>;
}

export const EMPTY_COUNTER: Counter = { version: 0, used: {}, hard: {} };

/** A limit the counter must still be within when the write lands: used[resource] ≤ atMost. */
export interface Bound {
  resource: QuotaResource;
  atMost: number;
}

export interface Refusal {
  quota: string;
  resource: QuotaResource;
  requested: number;
  used: number;
  hard: number;
}

export type Decision = { admit: true; bounds: Bound[] } | { admit: false; refusal: Refusal };

/**
 * Whether `delta` fits every quota. Only increases are checked (giving back never fails), and
 * for each increased resource the tightest quota gives the bound.
 * @example admit({ version: 1, used: { pods: 9 }, hard: { q: { pods: 10 } } }, { pods: 1 }) // admit, pods ≤ 9
 */
export function admit(counter: Counter, delta: Usage): Decision {
  const bounds = new Map<QuotaResource, number>();
  for (const [quota, hard] of Object.entries(counter.hard).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [r, n] of Object.entries(delta) as [QuotaResource, number][]) {
      const limit = hard[r];
      if (n <= 0 || limit === undefined) continue;
      const used = counter.used[r] ?? 0;
      if (used + n > limit) return { admit: false, refusal: { quota, resource: r, requested: n, used, hard: limit } };
      bounds.set(r, Math.min(bounds.get(r) ?? Infinity, limit - n));
    }
  }
  return { admit: true, bounds: [...bounds].map(([resource, atMost]) => ({ resource, atMost })) };
}

/** Kubernetes' refusal text: `exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10`. */
export function refusalMessage(r: Refusal): string {
  const f = (n: number) => `${r.resource}=${formatAmount(r.resource, n)}`;
  return `exceeded quota: ${r.quota}, requested: ${f(r.requested)}, used: ${f(r.used)}, limited: ${f(r.hard)}`;
}
