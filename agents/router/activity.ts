// Which Services had requests through this router, from HAProxy's own counters: every backend's
// cumulative session count (`stot` in the Runtime API's `show stat`) is compared with the last
// reading, and a backend whose count grew marks its route's Services as active. Read every
// reporting period and written as one aggregate per active Service (shared/idling/signals.ts),
// never a write per request.
import type { Route } from '../../shared/model/objects.ts';
import type { ServiceKey } from '../../shared/idling/signals.ts';

/** Backend name → cumulative sessions, from `show stat -1 2 -1` (backends only, CSV with a `# pxname,…` header). */
export function backendSessions(csv: string): Map<string, number> {
  const lines = csv.split('\n');
  const header = lines.find((l) => l.startsWith('# '))?.slice(2).split(',') ?? [];
  const px = header.indexOf('pxname');
  const sv = header.indexOf('svname');
  const stot = header.indexOf('stot');
  const out = new Map<string, number>();
  if (px < 0 || sv < 0 || stot < 0) return out;
  for (const line of lines) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(',');
    if (f[sv] === 'BACKEND') out.set(f[px]!, Number(f[stot]) || 0);
  }
  return out;
}

/** The Services a route sends requests to. */
export const servicesOfRoute = (r: Route): ServiceKey[] =>
  [r.spec.to, ...r.spec.alternateBackends].map((t) => ({ project: r.metadata.project, service: t.name }));

/**
 * Remembers each backend's last count and the route holding it; `observe` gives the routes whose
 * backend counted sessions since. A backend taken by another route, or seen for the first
 * time, starts from its count; a count that went down (HAProxy reloaded: its new worker starts
 * from 0) counts from 0.
 */
export class ActivityMeter {
  private readonly last = new Map<string, { owner: string; sessions: number }>();

  observe(sessions: ReadonlyMap<string, number>, ownerOf: (backend: string) => string | undefined): Set<string> {
    const active = new Set<string>();
    for (const [backend, count] of sessions) {
      const owner = ownerOf(backend);
      const before = this.last.get(backend);
      if (!owner) {
        this.last.delete(backend);
        continue;
      }
      if (before && before.owner === owner) {
        const grew = count >= before.sessions ? count - before.sessions : count;
        if (grew > 0) active.add(owner);
      }
      this.last.set(backend, { owner, sessions: count });
    }
    return active;
  }
}
