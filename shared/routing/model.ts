// From admitted routes and their services' endpoints to the router's model: a HAProxy backend
// per route with pre-allocated server slots (so that endpoint changes are Runtime API updates,
// not reloads), the host and path maps of each frontend, and the certificates to write. Pure:
// the agent does the I/O. Slots are assigned stably: an endpoint keeps its slot (and its sticky
// cookie) as long as it lives, and the slot count only grows when the endpoints outgrow it.
//
// Routes with the default backend settings (the great majority) take a backend from a pool of
// identical, pre-declared ones, so a new route is map entries and server settings through the
// Runtime API, with no reload. There are two pools: narrow backends (`be_pool_<n>`, POOL_SLOTS
// servers each) for routes with few endpoints, and wide ones (`be_poolw_<n>`, WIDE_POOL_SLOTS)
// for the others; a route whose endpoints outgrow its narrow backend moves to a wide one, again
// without a reload. HAProxy's memory goes mostly to backends and server slots (about 11 KB a
// backend and 5.5 KB a server), so most routes holding two slots rather than eight is what keeps
// 10,000 routes in a few hundred MiB. A pool grows, by a reload, only when fewer than
// POOL_MIN_FREE of its backends are left. Routes with their own settings (annotations,
// passthrough, re-encryption, more endpoints than WIDE_POOL_SLOTS) get a backend of their own,
// named after them.
import { createHash } from 'node:crypto';
import { parseAllowList, parseBalance, parseFlag, parseHsts, parseRate, parseTimeout, ROUTER_ANNOTATION } from '../model/route-annotations.ts';
import type { Termination } from '../model/route-kinds.ts';
import type { Route, Service } from '../model/objects.ts';
import { isIdled } from '../idling/annotations.ts';

export const ANNOTATION = ROUTER_ANNOTATION;

export interface ServerSlot {
  name: string;
  /** The endpoint occupying the slot (`service|pod|ip:port`), or '' when the slot is free. */
  key: string;
  ip: string;
  port: number;
  weight: number;
  /** The sticky-cookie value of the slot (stable across endpoint changes). */
  cookie: string;
}

export interface BackendModel {
  name: string;
  mode: 'http' | 'tcp';
  /** The route served (absent for a free pool backend). */
  route?: { project: string; name: string; host: string };
  termination?: Termination;
  balance: string;
  timeout?: string;
  /** The sticky cookie's name, or undefined when cookies are off. */
  cookie?: string;
  hsts?: string;
  allow?: string[];
  maxConnPerIp?: number;
  maxHttpRate?: number;
  /** Re-encrypt: the file of the CA the pods' certificates are checked against ('' = not checked). */
  destinationCa?: string;
  servers: ServerSlot[];
}

/** Host and path lookups of one frontend: exact hosts, host+path prefixes, wildcards by parent domain (`.example.com`). */
export interface MapSet {
  hosts: [string, string][];
  paths: [string, string][];
  wildcards: [string, string][];
}

export interface RouterModel {
  backends: BackendModel[];
  maps: { http: MapSet; https: MapSet; redirect: MapSet; passthrough: MapSet };
  /** Files under certs/: `<backend>.pem` (certificate, key, CA) and `<backend>.dest-ca.pem`. */
  certs: { file: string; pem: string; host?: string }[];
}

/** Per backend, which endpoint sits in each slot ('' = free); fed back into the next build. */
export type SlotTable = Map<string, string[]>;

/** What one build hands the next, so that endpoints keep their slots and routes their backends. */
export interface RouterState {
  slots: SlotTable;
  /** The narrow pool's size, and which route (`project/name`) holds each of its backends taken. */
  pool: Pool;
  /** The same for the wide pool. */
  widePool: Pool;
  /** The free pool backends of the last build, by name: the same every time, so built once. */
  free: Map<string, BackendModel>;
  /**
   * Per route (`project/name`), the backend built from exactly these Route and Service objects:
   * reused as it is while they are the same objects, so a change costs its own route's work.
   */
  built: Map<string, { route: Route; services: (Service | undefined)[]; backend: BackendModel }>;
}

/** A pool's size, and which route (`project/name`) holds each of its backends taken. */
export interface Pool {
  size: number;
  owners: Map<string, string>;
}

/** Server slots of a narrow pool backend: routes with more endpoints take a wide one. */
export const POOL_SLOTS = 2;
/** Server slots of a wide pool backend: routes with more endpoints get a backend of their own. */
export const WIDE_POOL_SLOTS = 8;
/** A pool grows (one reload) when fewer free backends than this are left. */
export const POOL_MIN_FREE = 16;
const POOL_PREFIX = 'be_pool_';
const WIDE_POOL_PREFIX = 'be_poolw_';
type Tier = 'narrow' | 'wide';
const TIERS: Record<Tier, { prefix: string; slots: number }> = { narrow: { prefix: POOL_PREFIX, slots: POOL_SLOTS }, wide: { prefix: WIDE_POOL_PREFIX, slots: WIDE_POOL_SLOTS } };
const tierOf = (backend: string): Tier | undefined => (backend.startsWith(WIDE_POOL_PREFIX) ? 'wide' : backend.startsWith(POOL_PREFIX) ? 'narrow' : undefined);
/** A pool's size for `used` backends: room for a 32nd more (at least POOL_MIN_FREE), in steps of 64. */
export const poolSizeFor = (used: number) => Math.ceil((used + Math.max(POOL_MIN_FREE, Math.ceil(used / 32))) / 64) * 64;

const slotCount = (n: number) => Math.ceil((n + 4) / 8) * 8;
const hash = (s: string, n = 32) => createHash('sha256').update(s).digest('hex').slice(0, n);
/** Code-unit order: deterministic and much cheaper than localeCompare over 10,000s of names. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const backendName = (r: Route) => `be_${r.spec.tls?.termination ?? 'http'}_${r.metadata.project}_${r.metadata.name}`;

/**
 * The endpoints a route's service reaches, at the service port the route names: by its number or
 * target port number, or by its name or its named target port (`targetPort: web`, as OpenShift
 * templates write it).
 */
export function endpointsOf(route: Route, svc: Service | undefined): { key: string; ip: string; port: number }[] {
  if (!svc) return [];
  const want = route.spec.port?.targetPort;
  const sp =
    want === undefined ? svc.spec.ports[0] : svc.spec.ports.find((p) => (typeof want === 'number' ? p.port === want || p.targetPort === want : p.name === want || p.targetPort === want));
  if (!sp) return [];
  const out: { key: string; ip: string; port: number }[] = [];
  for (const e of svc.status?.endpoints ?? []) {
    const hp = e.ports.find((p) => p.port === sp.port)?.hostPort;
    if (hp) out.push({ key: `${svc.metadata.name}|${e.pod}|${e.ip}:${hp}`, ip: e.ip, port: hp });
  }
  return out.sort((a, b) => cmp(a.key, b.key));
}

const cookieHashes = new Map<string, string>();
/** A backend's cookie hash (its sticky cookie's name; its first 12 digits prefix the slots' values). */
function cookieHash(be: string): string {
  let h = cookieHashes.get(be);
  if (h === undefined) {
    if (cookieHashes.size > 200_000) cookieHashes.clear();
    h = hash(be);
    cookieHashes.set(be, h);
  }
  return h;
}
/** The sticky-cookie value of a slot: stable per backend and slot, opaque to clients. */
const slotCookie = (be: string, slot: number) => `${cookieHash(be).slice(0, 12)}${slot.toString(16).padStart(4, '0')}`;

function assignSlots(be: string, wanted: Endpoint[], previous: string[] | undefined, fixed?: number): ServerSlot[] {
  const size = fixed ?? (previous && previous.length >= wanted.length ? previous.length : slotCount(wanted.length));
  const keys: string[] = Array.from({ length: size }, (_, i) => previous?.[i] ?? '');
  const byKey = new Map(wanted.map((w) => [w.key, w]));
  for (let i = 0; i < keys.length; i++) if (keys[i] && !byKey.has(keys[i]!)) keys[i] = '';
  const placed = new Set(keys.filter(Boolean));
  for (const w of wanted) {
    if (placed.has(w.key)) continue;
    const free = keys.indexOf('');
    keys[free] = w.key;
    placed.add(w.key);
  }
  return keys.map((key, i) => {
    const w = byKey.get(key);
    return { name: `s${i + 1}`, key, ip: w?.ip ?? '127.0.0.1', port: w?.port ?? 1, weight: w?.weight ?? 0, cookie: slotCookie(be, i) };
  });
}

/** An endpoint with its server weight. */
type Endpoint = { key: string; ip: string; port: number; weight: number };

/**
 * Where a route sends requests for an idled Service while it has no endpoints: the router
 * agent's unidler, which holds each request while the Service's DCs are woken.
 */
export interface Unidler {
  ip: string;
  port: number;
}

/** Whether the unidler can hold a route's requests: HTTP reaches it (passthrough and re-encryption would not). */
const holdable = (route: Route) => route.spec.tls?.termination !== 'passthrough' && route.spec.tls?.termination !== 'reencrypt';

/** The Service of each of the route's targets (`to`, then `alternateBackends`), as looked up. */
const targetServices = (route: Route, services: ReadonlyMap<string, Service>) =>
  [route.spec.to, ...route.spec.alternateBackends].map((t) => services.get(`${route.metadata.project}/${t.name}`));

/**
 * Server weights: each service's share split over its endpoints, scaled to HAProxy's 0-256.
 * `targets` is targetServices(route, …).
 */
function weighted(route: Route, targets: (Service | undefined)[], unidler: Unidler | undefined): Endpoint[] {
  const hold = unidler && holdable(route);
  const groups = [route.spec.to, ...route.spec.alternateBackends].map((t, i) => {
    const svc = targets[i];
    const eps = endpointsOf(route, svc);
    // An idled Service with no endpoints yet: its share goes to the unidler, which wakes it.
    if (!eps.length && hold && svc && isIdled(svc)) eps.push({ key: `${t.name}|unidle|${unidler.ip}:${unidler.port}`, ip: unidler.ip, port: unidler.port });
    return { w: t.weight, eps };
  });
  const raw = groups.filter((g) => g.eps.length && g.w > 0).map((g) => g.w / g.eps.length);
  const scale = raw.length ? 256 / Math.max(...raw) : 1;
  return groups.flatMap((g) => g.eps.map((e) => ({ ...e, weight: g.w > 0 ? Math.max(1, Math.round((g.w / g.eps.length) * scale)) : 0 })));
}

type BackendSettings = Omit<BackendModel, 'name' | 'mode' | 'route' | 'termination' | 'servers' | 'cookie'> & { cookies: boolean };

function annotations(route: Route, mode: 'http' | 'tcp'): BackendSettings {
  const a = route.metadata.annotations ?? {};
  // A value that does not parse is left out (the API refuses it; an object written around the
  // API gets the default instead of a configuration HAProxy would refuse).
  const get = <T>(k: string, parse: (raw: string) => { value?: T }): T | undefined => {
    const raw = a[ANNOTATION + k]?.trim();
    return raw === undefined ? undefined : parse(raw).value;
  };
  const limited = get('rate-limit-connections', parseFlag) === true;
  const tls = route.spec.tls?.termination;
  const hsts = get('hsts_header', parseHsts);
  return {
    balance: get('balance', parseBalance) ?? 'roundrobin',
    timeout: get('timeout', parseTimeout),
    cookies: mode === 'http' && get('disable_cookies', parseFlag) !== true,
    hsts: mode === 'http' && (tls === 'edge' || tls === 'reencrypt') ? hsts : undefined,
    allow: get('ip_whitelist', parseAllowList),
    maxConnPerIp: limited ? get('rate-limit-connections.concurrent-tcp', parseRate) : undefined,
    maxHttpRate: limited && mode === 'http' ? get('rate-limit-connections.rate-http', parseRate) : undefined,
  };
}

const emptyMaps = (): MapSet => ({ hosts: [], paths: [], wildcards: [] });

/**
 * Adds a route's entry: a wildcard under its parent domain (`.example.com`), a path route under
 * host + path without trailing slashes + '/' (the frontend looks up host + request path + '/', so
 * `/api` serves `/api` and `/api/…`, not `/apix`), any other under its host.
 */
function addTo(set: MapSet, route: Route, value: string): void {
  const host = route.spec.host;
  const path = (route.spec.path ?? '').replace(/\/+$/, '');
  if (host.startsWith('*.')) set.wildcards.push([host.slice(1), value]);
  else if (path) set.paths.push([`${host}${path}/`, value]);
  else set.hosts.push([host, value]);
}

/** The pool a route can take a backend from (default settings, HTTP, few enough endpoints), if any. */
function poolOf(mode: 'http' | 'tcp', settings: BackendSettings, route: Route, endpoints: number): Tier | undefined {
  const defaults = mode === 'http' && route.spec.tls?.termination !== 'reencrypt' && settings.cookies && settings.balance === 'roundrobin' &&
    settings.timeout === undefined && settings.hsts === undefined && settings.allow === undefined && settings.maxConnPerIp === undefined && settings.maxHttpRate === undefined;
  if (!defaults || endpoints > WIDE_POOL_SLOTS) return undefined;
  return endpoints <= POOL_SLOTS ? 'narrow' : 'wide';
}

interface Plan {
  route: Route;
  key: string;
  /** The Service objects of the route's targets, as looked up. */
  services: (Service | undefined)[];
  /** The previous build's backend, when made from the same objects. */
  reuse?: BackendModel;
  mode: 'http' | 'tcp';
  settings?: BackendSettings;
  endpoints?: Endpoint[];
  /** The pool the route takes its backend from, if any. */
  tier?: Tier;
  name: string;
}

function plan(route: Route, services: ReadonlyMap<string, Service>, previous: RouterState | undefined, unidler: Unidler | undefined): Plan {
  const key = `${route.metadata.project}/${route.metadata.name}`;
  const mode = route.spec.tls?.termination === 'passthrough' ? 'tcp' : 'http';
  const targets = targetServices(route, services);
  const last = previous?.built.get(key);
  if (last && last.route === route && last.services.length === targets.length && last.services.every((s, i) => s === targets[i])) {
    return { route, key, services: targets, reuse: last.backend, mode, tier: tierOf(last.backend.name), name: last.backend.name };
  }
  const settings = annotations(route, mode);
  const endpoints = weighted(route, targets, unidler);
  return { route, key, services: targets, mode, settings, endpoints, tier: poolOf(mode, settings, route, endpoints.length), name: backendName(route) };
}

/** Gives each plan of one pool a backend of it (its previous one if it had one) and sizes the pool. */
function assignPool(plans: Plan[], tier: Tier, previous: Pool | undefined): Pool {
  const POOL_PREFIX = TIERS[tier].prefix;
  const held = new Map<string, string>();
  for (const [be, route] of previous?.owners ?? []) held.set(route, be);
  const owners = new Map<string, string>();
  const pooled = plans.filter((p) => p.tier === tier);
  const fresh: Plan[] = [];
  for (const p of pooled) {
    const be = held.get(p.key);
    if (be) {
      p.name = be;
      owners.set(be, p.key);
    } else fresh.push(p);
  }
  let size = previous?.size ?? 0;
  if (size < pooled.length + POOL_MIN_FREE) size = Math.max(size, poolSizeFor(pooled.length));
  let n = 1;
  for (const p of fresh) {
    while (owners.has(POOL_PREFIX + n)) n++;
    p.name = POOL_PREFIX + n;
    owners.set(p.name, p.key);
  }
  return { size, owners };
}

/**
 * The router's model from admitted routes and the services of their projects (keyed
 * `project/name`). `previous` is the state the last build returned (endpoints keep their slots,
 * routes their pool backends). With `unidler`, routes of idled Services without endpoints send
 * their requests there.
 * @example const { model, state } = buildRouterModel(routes, services, lastState)
 */
export function buildRouterModel(routes: Route[], services: ReadonlyMap<string, Service>, previous?: RouterState, unidler?: Unidler): { model: RouterModel; state: RouterState } {
  const model: RouterModel = { backends: [], maps: { http: emptyMaps(), https: emptyMaps(), redirect: emptyMaps(), passthrough: emptyMaps() }, certs: [] };
  const slots: SlotTable = new Map();
  const built: RouterState['built'] = new Map();
  const plans = [...routes]
    .sort((a, b) => cmp(a.metadata.project, b.metadata.project) || cmp(a.metadata.name, b.metadata.name))
    .map((route) => plan(route, services, previous, unidler));
  const pool = assignPool(plans, 'narrow', previous?.pool);
  const widePool = assignPool(plans, 'wide', previous?.widePool);
  const free = new Map<string, BackendModel>();
  const backend = (name: string, mode: 'http' | 'tcp', settings: BackendSettings, endpoints: Endpoint[], fixed?: number): BackendModel => {
    const { cookies, ...rest } = settings;
    const servers = assignSlots(name, endpoints, previous?.slots.get(name), fixed);
    return { name, mode, ...rest, cookie: cookies ? cookieHash(name) : undefined, servers };
  };
  for (const p of plans) {
    const { route: r, name } = p;
    const tls = r.spec.tls;
    let be = p.reuse;
    if (!be || be.name !== name) {
      be = backend(name, p.mode, p.settings ?? annotations(r, p.mode), p.endpoints ?? weighted(r, p.services, unidler), p.tier && TIERS[p.tier].slots);
      be.route = { project: r.metadata.project, name: r.metadata.name, host: r.spec.host };
      be.termination = tls?.termination;
      if (tls?.termination === 'reencrypt') be.destinationCa = tls.destinationCACertificate ? `${name}.dest-ca.pem` : '';
    }
    slots.set(name, be.servers.map((s) => s.key));
    built.set(p.key, { route: r, services: p.services, backend: be });
    if (be.destinationCa) model.certs.push({ file: be.destinationCa, pem: tls!.destinationCACertificate! });
    model.backends.push(be);
    if (!tls) {
      addTo(model.maps.http, r, name);
      continue;
    }
    if (tls.termination === 'passthrough') addTo(model.maps.passthrough, r, name);
    else {
      addTo(model.maps.https, r, name);
      if (tls.certificate && tls.key) {
        const pem = [tls.certificate, tls.key, tls.caCertificate].filter(Boolean).map((p) => p!.trim() + '\n').join('');
        model.certs.push({ file: `${name}.pem`, pem, host: r.spec.host });
      }
      if (tls.insecureEdgeTerminationPolicy === 'Allow') addTo(model.maps.http, r, name);
    }
    if (tls.insecureEdgeTerminationPolicy === 'Redirect') addTo(model.maps.redirect, r, name);
  }
  for (const [tier, p] of [['narrow', pool], ['wide', widePool]] as const) {
    for (let n = 1; n <= p.size; n++) {
      const name = TIERS[tier].prefix + n;
      if (p.owners.has(name)) continue;
      // A free pool backend's slots are all free: nothing to remember, and the same model as last time.
      const be = previous?.free.get(name) ?? backend(name, 'http', POOL_SETTINGS, [], TIERS[tier].slots);
      free.set(name, be);
      model.backends.push(be);
    }
  }
  model.backends.sort((a, b) => cmp(a.name, b.name));
  for (const set of Object.values(model.maps)) {
    // Path lookups take the longest prefix whatever the order: longest first for the reader.
    set.paths.sort((a, b) => b[0].length - a[0].length || cmp(a[0], b[0]));
    set.wildcards.sort((a, b) => cmp(a[0], b[0]));
    set.hosts.sort((a, b) => cmp(a[0], b[0]));
  }
  return { model, state: { slots, pool, widePool, free, built } };
}

/** The settings of every pool backend (the defaults). */
const POOL_SETTINGS: BackendSettings = { balance: 'roundrobin', cookies: true };
