// What the router writes in a route's status: not admitted when HAProxy refuses the route's
// configuration (reason HAProxyRejected, HAProxy's words in the message), admitted again once it
// accepts it. Admission (admission.ts) judges host claims and leaves a HAProxyRejected verdict
// alone while the claim stands; only the router, which tried the route, takes it back. Writes go
// through the status path with conflict retries (patchStatus), like admission's.
import type { Route } from '../model/objects.ts';
import type { ObjectRef } from '../model/types.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { HAPROXY_REJECTED, isRefusedByHaproxy, routeFingerprint as fingerprint } from './refusals.ts';
import { isAdmitted, ROUTER_NAME } from './types.ts';

const refOf = (r: Route): ObjectRef => ({ kind: 'Route', project: r.metadata.project, name: r.metadata.name });

function withAdmitted(r: Route, status: 'True' | 'False', message: string | undefined, now: Date): Route['status'] {
  const old = r.status?.ingress?.find((i) => i.routerName === ROUTER_NAME);
  const others = (r.status?.ingress ?? []).filter((i) => i.routerName !== ROUTER_NAME);
  const cond = status === 'True'
    ? { type: 'Admitted', status, lastTransitionTime: now.toISOString() }
    : { type: 'Admitted', status, reason: HAPROXY_REJECTED, message, lastTransitionTime: now.toISOString() };
  const ingress = { host: r.spec.host, routerName: ROUTER_NAME, wildcardPolicy: old?.wildcardPolicy ?? r.spec.wildcardPolicy, conditions: [cond] };
  return { ...r.status, ingress: [...others, ingress] };
}

/** The Admitted condition's message on a route HAProxy refused with `problem`. */
export const refusedMessage = (problem: string): string => `HAProxy refused this route's configuration: ${problem}`;

/**
 * Marks a route HAProxy refused as not admitted, with `problem` as the message. Only a route
 * admitted (or refused by HAProxy before) for the same configuration is marked: a route changed
 * meanwhile, or refused by admission, is left as it is.
 */
export async function markRefused(store: ObjectStore, route: Route, problem: string, now = () => new Date()): Promise<void> {
  const message = refusedMessage(problem);
  await patchStatus<Route>(store, refOf(route), (r) => {
    if (fingerprint(r) !== fingerprint(route) || !(isAdmitted(r) || isRefusedByHaproxy(r))) return undefined;
    const cond = r.status?.ingress?.find((i) => i.routerName === ROUTER_NAME)?.conditions.find((c) => c.type === 'Admitted');
    if (cond?.reason === HAPROXY_REJECTED && cond.message === message) return undefined;
    return withAdmitted(r, 'False', message, now());
  });
}

/** Marks a route HAProxy refused before, and now serves, as admitted again. */
export async function markServed(store: ObjectStore, route: Route, now = () => new Date()): Promise<void> {
  await patchStatus<Route>(store, refOf(route), (r) => {
    if (fingerprint(r) !== fingerprint(route) || !isRefusedByHaproxy(r)) return undefined;
    return withAdmitted(r, 'True', undefined, now());
  });
}
