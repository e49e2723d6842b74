// The routing capability's vocabulary: routes and the services they point at, as stored.
import type { Route } from '../model/objects.ts';
import type { ObjectRef } from '../model/types.ts';
import type { Reconciler } from '../reconcile/types.ts';

/** The name routers write in status.ingress[].routerName. */
export const ROUTER_NAME = 'berth';
/**
 * Cluster-scoped claim records, one per route (`<project>.<route>`), labelled by the hash of
 * their host, of their subdomain (the host without its first label; `*.S` → S), and, on
 * wildcard claims only, of the subdomain they cover.
 */
export const CLAIM_KIND = 'RouteClaim';
export const HOST_HASH_LABEL = 'berth.io/host-hash';
export const SUBDOMAIN_HASH_LABEL = 'berth.io/subdomain-hash';
export const WILDCARD_HASH_LABEL = 'berth.io/wildcard-hash';

/** The subdomain a host sits in, or a wildcard host covers: `a.example.com` and `*.example.com` → `example.com`. */
export const subdomainOf = (host: string): string => (host.startsWith('*.') ? host.slice(2) : host.slice(host.indexOf('.') + 1));

/** Whether the route's Admitted condition is True. */
export function isAdmitted(r: Route): boolean {
  const ing = r.status?.ingress?.find((i) => i.routerName === ROUTER_NAME);
  return !!ing && ing.host === r.spec.host && ing.conditions.some((c) => c.type === 'Admitted' && c.status === 'True');
}

/** A reconciler that hands every Route and Service change to `fn` (what the routers follow). */
export function routingChanges(name: string, fn: (ref: ObjectRef) => Promise<unknown>): Reconciler {
  return {
    name,
    kinds: ['Route', 'Service'],
    async reconcile(ref) {
      await fn(ref);
      return {};
    },
  };
}
