// What `berth describe quota` and `berth get quota` show of a ResourceQuota: each limited
// resource with what is used of it and its hard limit, as `oc describe quota` does. Pure.
import type { ApiObject } from './client.ts';
import { table } from './output.ts';

const rows = (o: ApiObject): [string, string, string][] => {
  const hard = (o.status?.hard ?? {}) as Record<string, string>;
  const used = (o.status?.used ?? {}) as Record<string, string>;
  return Object.keys(hard)
    .sort()
    .map((r) => [r, used[r] ?? '0', hard[r]!]);
};

/** The used/hard table, after the object's Status. */
export function quotaDetails(o: ApiObject): string[] {
  const r = rows(o);
  if (!r.length) return ['Resource Usage:  <none>'];
  return [`Resource Usage:\n${table(['RESOURCE', 'USED', 'HARD'], r).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}`];
}

/** One line for `berth get quota`: `pods: 3/10, requests.cpu: 500m/2`. */
export const quotaSummary = (o: ApiObject): string => rows(o).map(([r, u, h]) => `${r}: ${u}/${h}`).join(', ') || '<none>';
