// A ResourceQuota's status, pure: its hard limits and what the project uses of each, read from
// the usage counter when the quota is read, so status.used is never behind.
import type { Counter } from './admission.ts';
import { hardOf, QUOTA_KIND, type ResourceQuota, type ResourceQuotaStatus } from './kinds.ts';
import { formatAmount, type QuotaResource } from './resources.ts';

/** The kinds whose status a read computes rather than shows as stored (shared/api/shown.ts). */
export const COMPUTED_STATUS_KINDS: readonly string[] = [QUOTA_KIND];

export function quotaStatus(quota: ResourceQuota, counter: Counter): ResourceQuotaStatus {
  const hard: Record<string, string> = {};
  const used: Record<string, string> = {};
  for (const [r, n] of Object.entries(hardOf(quota)) as [QuotaResource, number][]) {
    hard[r] = formatAmount(r, n);
    used[r] = formatAmount(r, counter.used[r] ?? 0);
  }
  return { hard, used };
}

/** Quotas with their status filled in from the project's counter (one read for the lot). */
export async function withQuotaStatus<T extends { kind: string; metadata: { project: string } }>(objects: T[], usage: (project: string) => Promise<Counter>): Promise<T[]> {
  const quotas = objects.filter((o) => o.kind === QUOTA_KIND);
  if (!quotas.length) return objects;
  const counters = new Map<string, Counter>();
  for (const p of new Set(quotas.map((q) => q.metadata.project))) counters.set(p, await usage(p));
  return objects.map((o) => (o.kind === QUOTA_KIND ? { ...o, status: quotaStatus(o as unknown as ResourceQuota, counters.get(o.metadata.project)!) } : o));
}
