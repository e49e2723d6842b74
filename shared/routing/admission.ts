// Route admission: a host belongs to the project whose route claimed it first (the oldest claim
// on that host: a claim is dated when its route took the host, see host-claims.ts; then project
// and name); within that project, paths split the host, and
// the same host and path go to the oldest route. A later claim from another project is not
// admitted (HostAlreadyClaimed, naming nothing of the owner) until the owner lets go.
// A wildcard route (`*.example.com`, serving the hosts one label below example.com that no
// route names) claims the whole subdomain: it conflicts with every route in example.com of
// another project, and the oldest claim decides, so neither side can take the other's hosts.
// Nobody may take a wildcard on the apps domain itself: every project's generated hosts live
// there.
//
// Claims are kept as cluster-scoped RouteClaim objects, one per route, named
// `<project>.<route>` and labelled with a hash of the host. A claim keeps its date while its
// route keeps the host; a host change is a new claim. A deleted route leaves only its
// reference to the reconciler; its claim record says which host it held, so the routes
// waiting on that host are looked at again at once. The host default
// (`<route>-<project>.<domain>`) is written into spec.host here, as the first thing admission
// does: the API's create path knows neither the apps domain nor how to default per object.
// A route the router marked not admitted because HAProxy refused it (HAProxyRejected) keeps that
// verdict while its claim stands: the router, which tried it, takes it back (router-status.ts).
import { createHash } from 'node:crypto';
import { NotFoundError, ignoring } from '../errors.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import { hostProblem } from '../model/route-kinds.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { collect, eachObject, eachOfKind } from '../store/each.ts';
import { patchObject, patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Route } from '../model/objects.ts';
import { generatedHostProblem, hostClaimedAt } from './host-claims.ts';
import { HAPROXY_REJECTED } from './refusals.ts';
import { CLAIM_KIND, HOST_HASH_LABEL, ROUTER_NAME, SUBDOMAIN_HASH_LABEL, subdomainOf, WILDCARD_HASH_LABEL } from './types.ts';

export interface ClaimSpec {
  host: string;
  path: string;
  project: string;
  route: string;
  /** When the route claimed this host (host-claims.ts): older claims win. */
  since: string;
}
type Claim = BerthObject<ClaimSpec, unknown>;

export interface Verdict {
  admitted: boolean;
  reason?: 'HostAlreadyClaimed' | 'InvalidHost';
  message?: string;
}

export const hostHash = (host: string): string => createHash('sha256').update(host).digest('hex').slice(0, 40);
export const defaultHost = (route: string, project: string, domain: string): string => `${route}-${project}.${domain}`;
const claimName = (project: string, route: string) => `${project}.${route}`;
const older = (a: ClaimSpec, b: ClaimSpec) => a.since.localeCompare(b.since) || a.project.localeCompare(b.project) || a.route.localeCompare(b.route);

const isWildcard = (host: string) => host.startsWith('*.');

/** Whether two claims compete: the same host, or a wildcard and anything in its subdomain. */
export const conflicting = (a: ClaimSpec, b: ClaimSpec): boolean =>
  a.host === b.host || ((isWildcard(a.host) || isWildcard(b.host)) && subdomainOf(a.host) === subdomainOf(b.host));

/**
 * Pure: who may serve `mine`, given the claims around it (its own included; those it does not
 * compete with are left out). The oldest competing claim's project owns the host.
 * @example judge(mine, claims) // { admitted: false, reason: 'HostAlreadyClaimed', message: … }
 */
export function judge(mine: ClaimSpec, claims: ClaimSpec[]): Verdict {
  const all = claims.filter((c) => conflicting(c, mine)).sort(older);
  const owner = all[0] ?? mine;
  if (owner.project !== mine.project) {
    const what = owner.host === mine.host ? `host ${mine.host} is` : `hosts in ${subdomainOf(mine.host)} are`;
    return { admitted: false, reason: 'HostAlreadyClaimed', message: `${what} already in use by another project` };
  }
  const first = all.find((c) => c.project === mine.project && c.host === mine.host && c.path === mine.path) ?? mine;
  if (first.route !== mine.route) {
    return { admitted: false, reason: 'HostAlreadyClaimed', message: `route ${first.route} in this project already serves host ${mine.host}${mine.path ? ` path ${mine.path}` : ''}` };
  }
  return { admitted: true };
}

export interface AdmissionDeps {
  store: ObjectStore;
  /** The apps domain generated hosts live under (apps.localhost locally). */
  domain: string;
  now?: () => Date;
}

export function routeAdmission(deps: AdmissionDeps): Reconciler {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());

  /** Fills spec.host when empty; the route as stored afterwards. */
  async function withHost(ref: ObjectRef): Promise<Route | undefined> {
    return patchObject<Route>(store, ref, (r) =>
      r.metadata.deletionTimestamp || r.spec.host ? undefined : { ...r, spec: { ...r.spec, host: defaultHost(r.metadata.name, r.metadata.project, deps.domain) } },
    );
  }

  const claimsBy = (label: string, hash: string) => collect(eachObject<Claim>(store, CLAIM_KIND, '', { [label]: hash }));

  /** The claims that compete with one on `host`: its host's, and its subdomain's wildcards (all of the subdomain for a wildcard). */
  async function around(host: string): Promise<Claim[]> {
    const sub = hostHash(subdomainOf(host));
    const [same, near] = await Promise.all([claimsBy(HOST_HASH_LABEL, hostHash(host)), claimsBy(isWildcard(host) ? SUBDOMAIN_HASH_LABEL : WILDCARD_HASH_LABEL, sub)]);
    const seen = new Set(same.map((c) => c.metadata.name));
    return [...same, ...near.filter((c) => !seen.has(c.metadata.name))];
  }

  async function writeVerdict(ref: ObjectRef, host: string, wildcardPolicy: string, v: Verdict): Promise<void> {
    const cond = { type: 'Admitted', status: v.admitted ? 'True' : 'False', reason: v.reason, message: v.message } as const;
    await patchStatus<Route>(store, ref, (r) => {
      if (r.spec.host !== host) return undefined;
      const old = r.status?.ingress?.find((i) => i.routerName === ROUTER_NAME);
      const oldCond = old?.conditions.find((c) => c.type === 'Admitted');
      if (old?.host === host && oldCond && oldCond.status === cond.status && oldCond.reason === cond.reason && oldCond.message === cond.message) return undefined;
      // The host is the route's, but HAProxy refused the route: the router takes that back once it serves it.
      if (v.admitted && old?.host === host && oldCond?.status === 'False' && oldCond.reason === HAPROXY_REJECTED) return undefined;
      const others = (r.status?.ingress ?? []).filter((i) => i.routerName !== ROUTER_NAME);
      const ingress = { host, routerName: ROUTER_NAME, wildcardPolicy, conditions: [{ ...cond, lastTransitionTime: now().toISOString() }] };
      return { ...r.status, ingress: [...others, ingress] };
    });
  }

  /** Looks again at every route whose admission a claim on `host` can change (after one came or went). */
  async function judgeAround(host: string): Promise<void> {
    const live: { claim: ClaimSpec; route: Route }[] = [];
    const claims = await around(host);
    for (const c of claims) {
      const route = await store.get<Route>({ kind: 'Route', project: c.spec.project, name: c.spec.route });
      if (!route || route.metadata.deletionTimestamp || route.spec.host !== c.spec.host) {
        if (!route || route.metadata.deletionTimestamp) await store.delete({ kind: CLAIM_KIND, project: '', name: c.metadata.name }).catch(ignoring(NotFoundError));
        continue;
      }
      live.push({ claim: c.spec, route });
    }
    // The claims just read (those still alive) are the competitors of `host`; other hosts' are read.
    const competitors = new Map<string, Promise<ClaimSpec[]>>([[host, Promise.resolve(live.map((l) => l.claim))]]);
    const of = (h: string) => {
      let p = competitors.get(h);
      if (!p) competitors.set(h, (p = around(h).then((cs) => cs.map((c) => c.spec))));
      return p;
    };
    for (const { claim, route } of live) {
      await writeVerdict({ kind: 'Route', project: claim.project, name: claim.route }, claim.host, route.spec.wildcardPolicy, judge(claim, await of(claim.host)));
    }
  }

  /** Makes the route's claim record say what the route says; the host it claimed before, if another. */
  async function syncClaim(r: Route): Promise<string | undefined> {
    const name = claimName(r.metadata.project, r.metadata.name);
    const old = await store.get<Claim>({ kind: CLAIM_KIND, project: '', name });
    // The claim keeps its date while the route keeps its host; a new host is a new claim, dated
    // when the route took it, and never earlier than the claim it replaces.
    const claimedAt = hostClaimedAt(r);
    const since = old?.spec.host === r.spec.host ? old.spec.since : old && claimedAt <= old.spec.since ? now().toISOString() : claimedAt;
    const spec: ClaimSpec = { host: r.spec.host, path: r.spec.path ?? '', project: r.metadata.project, route: r.metadata.name, since };
    const sub = hostHash(subdomainOf(spec.host));
    const labels = { [HOST_HASH_LABEL]: hostHash(spec.host), [SUBDOMAIN_HASH_LABEL]: sub, ...(isWildcard(spec.host) ? { [WILDCARD_HASH_LABEL]: sub } : {}) };
    const sameLabels = old && Object.keys(old.metadata.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => old.metadata.labels[k] === v);
    if (old && sameLabels && old.spec.host === spec.host && old.spec.path === spec.path && old.spec.since === spec.since) return undefined;
    if (old) {
      await store.update<Claim>({ ...old, metadata: { ...old.metadata, labels }, spec });
      return old.spec.host !== spec.host ? old.spec.host : undefined;
    }
    await store.create({ kind: CLAIM_KIND, metadata: { name, project: '', labels }, spec });
    return undefined;
  }

  async function release(ref: ObjectRef): Promise<void> {
    const claim = await store.get<Claim>({ kind: CLAIM_KIND, project: '', name: claimName(ref.project, ref.name) });
    if (!claim) return;
    await store.delete({ kind: CLAIM_KIND, project: '', name: claim.metadata.name }).catch(ignoring(NotFoundError));
    await judgeAround(claim.spec.host);
  }

  return {
    name: 'route-admission',
    kinds: ['Route'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      const r = await withHost(ref);
      if (!r || r.metadata.deletionTimestamp) {
        await release(ref);
        return {};
      }
      const problem = hostProblem(r.spec.host, r.spec.wildcardPolicy) ??
        (isWildcard(r.spec.host) && subdomainOf(r.spec.host) === deps.domain ? `a wildcard cannot cover the apps domain ${deps.domain}: every project's generated hosts live there` : undefined) ??
        generatedHostProblem(r.spec.host, r.metadata.project, deps.domain);
      if (problem) {
        await release(ref);
        await writeVerdict(ref, r.spec.host, r.spec.wildcardPolicy, { admitted: false, reason: 'InvalidHost', message: problem });
        return {};
      }
      const left = await syncClaim(r);
      await judgeAround(r.spec.host);
      if (left) await judgeAround(left);
      return {};
    },
    async *resync() {
      for await (const r of eachOfKind<Route>(store, 'Route')) yield { kind: 'Route', project: r.metadata.project, name: r.metadata.name };
    },
  };
}
