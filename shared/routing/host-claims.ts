// When a route claimed its host, and which hosts a project may claim at all. A host belongs to
// whoever claimed *that host* first: a route's claim dates from its creation, or from the last
// write that changed its host (recorded by the API in a system annotation tenants cannot
// write), never from the route's own age, so an old route cannot take a younger route's host
// by renaming itself onto it. Generated hosts (`<route>-<project>.<apps domain>`) are reserved
// to their project: a host one label below the apps domain that carries a "-" must end with
// `-<own project>`, so no project can squat another's generated names.
import type { BerthObject } from '../model/types.ts';

/** The instant a route's current host was claimed, when it changed after the route was created. */
export const HOST_CLAIMED_AT_ANNOTATION = 'berth.io/host-claimed-at';

type RouteLike = Pick<BerthObject<{ host?: string }>, 'metadata' | 'spec'>;

/** When `route` claimed the host it has now. */
export const hostClaimedAt = (route: RouteLike): string => route.metadata.annotations?.[HOST_CLAIMED_AT_ANNOTATION] ?? route.metadata.creationTimestamp;

/**
 * The annotations a write of a route ends with: a changed host is a new claim, dated `now`.
 * @example withHostClaim(stored, { spec: { host: 'b.example.com' }, annotations: {} }, now) // { 'berth.io/host-claimed-at': now }
 */
export function withHostClaim(stored: RouteLike, next: { spec: unknown; annotations: Record<string, string> }, now: Date): Record<string, string> {
  const host = (next.spec as { host?: string }).host ?? '';
  if (host === (stored.spec.host ?? '')) return next.annotations;
  return { ...next.annotations, [HOST_CLAIMED_AT_ANNOTATION]: now.toISOString() };
}

/**
 * Why `project` may not claim `host` under the apps `domain`, or undefined when it may: the label
 * right below the domain, when it has a "-", may be another project's generated host, so it
 * must end with `-<project>` (this holds for hosts below it too).
 * @example generatedHostProblem('web-shop.apps.localhost', 'evil', 'apps.localhost') // 'hosts of the form …'
 */
export function generatedHostProblem(host: string, project: string, domain: string): string | undefined {
  const suffix = `.${domain}`;
  if (!host.endsWith(suffix)) return undefined;
  // The label right below the domain: hosts under another project's generated host are its too.
  const label = host.slice(0, -suffix.length).split('.').pop()!;
  if (!label.includes('-')) return undefined;
  if (label.endsWith(`-${project}`)) return undefined;
  return `hosts of the form <name>-<project>.${domain} are generated for each project: this project may use <name>-${project}.${domain}`;
}
