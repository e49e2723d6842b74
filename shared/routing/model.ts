// From admitted routes and their services' endpoints to the router's model: one HAProxy backend
// per route with pre-allocated server slots (so that endpoint changes are Runtime API updates,
// not reloads), the host and path maps of each frontend, and the certificates to write. Pure:
// the agent does the I/O. Slots are assigned stably: an endpoint keeps its slot (and its sticky
// cookie) as long as it lives, and the slot count only grows when the endpoints outgrow it.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Termination } from '../model/route-kinds.ts';
import type { Route, Service } from './types.ts';

export const ANNOTATION = 'haproxy.router.openshift.io/';

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
  route: { project: string; name: string; host: string };
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

/** Host and path lookups of one frontend: exact hosts, host+path prefixes, wildcard suffixes. */
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

const slotCount = (n: number) => Math.ceil((n + 4) / 8) * 8;
const hash = (s: string, n = 32) => createHash('sha256').update(s).digest('hex').slice(0, n);
const TIMEOUT = /^\d{1,9}(us|ms|s|m|h|d)?$/;
const BALANCE = new Set(['roundrobin', 'leastconn', 'source', 'random', 'static-rr', 'first']);
const HSTS = /^[-a-zA-Z0-9=;, ]{1,256}$/;

function validSource(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || !ip) return false;
  const v = isIP(ip);
  if (!v) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (v === 4 ? 32 : 128);
}

export const backendName = (r: Route) => `be_${r.spec.tls?.termination ?? 'http'}_${r.metadata.project}_${r.metadata.name}`;

/** The endpoints a route's service reaches, at the service port the route names. */
export function endpointsOf(route: Route, svc: Service | undefined): { key: string; ip: string; port: number }[] {
  if (!svc) return [];
  const want = route.spec.port?.targetPort;
  const sp =
    want === undefined ? svc.spec.ports[0] : svc.spec.ports.find((p) => (typeof want === 'number' ? p.port === want || p.targetPort === want : p.name === want));
  if (!sp) return [];
  const out: { key: string; ip: string; port: number }[] = [];
  for (const e of svc.status?.endpoints ?? []) {
    const hp = e.ports.find((p) => p.port === sp.port)?.hostPort;
    if (hp) out.push({ key: `${svc.metadata.name}|${e.pod}|${e.ip}:${hp}`, ip: e.ip, port: hp });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

const cookieBase = new Map<string, string>();
/** The sticky-cookie value of a slot: stable per backend and slot, opaque to clients. */
function slotCookie(be: string, slot: number): string {
  let base = cookieBase.get(be);
  if (base === undefined) {
    if (cookieBase.size > 200_000) cookieBase.clear();
    base = hash(be, 12);
    cookieBase.set(be, base);
  }
  return `${base}${slot.toString(16).padStart(4, '0')}`;
}

function assignSlots(be: string, wanted: { key: string; ip: string; port: number; weight: number }[], previous: string[] | undefined): ServerSlot[] {
  const size = previous && previous.length >= wanted.length ? previous.length : slotCount(wanted.length);
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

/** Server weights: each service's share split over its endpoints, scaled to HAProxy's 0-256. */
function weighted(route: Route, services: ReadonlyMap<string, Service>): { key: string; ip: string; port: number; weight: number }[] {
  const targets = [route.spec.to, ...route.spec.alternateBackends];
  const groups = targets.map((t) => ({ w: t.weight, eps: endpointsOf(route, services.get(`${route.metadata.project}/${t.name}`)) }));
  const raw = groups.filter((g) => g.eps.length && g.w > 0).map((g) => g.w / g.eps.length);
  const scale = raw.length ? 256 / Math.max(...raw) : 1;
  return groups.flatMap((g) => g.eps.map((e) => ({ ...e, weight: g.w > 0 ? Math.max(1, Math.round((g.w / g.eps.length) * scale)) : 0 })));
}

function annotations(route: Route, mode: 'http' | 'tcp', be: string): Omit<BackendModel, 'name' | 'mode' | 'route' | 'termination' | 'servers'> {
  const a = route.metadata.annotations ?? {};
  const get = (k: string) => a[ANNOTATION + k]?.trim();
  const timeout = get('timeout');
  const balance = get('balance');
  const hsts = get('hsts_header');
  const allow = get('ip_whitelist')?.split(/\s+/).filter(Boolean);
  const limited = get('rate-limit-connections') === 'true';
  const num = (k: string) => {
    const v = Number(get(k));
    return limited && Number.isInteger(v) && v > 0 ? v : undefined;
  };
  const tls = route.spec.tls?.termination;
  return {
    balance: balance && BALANCE.has(balance) ? balance : 'roundrobin',
    timeout: timeout && TIMEOUT.test(timeout) ? timeout : undefined,
    cookie: mode === 'http' && get('disable_cookies') !== 'true' ? hash(be) : undefined,
    hsts: mode === 'http' && (tls === 'edge' || tls === 'reencrypt') && hsts && HSTS.test(hsts) ? hsts : undefined,
    allow: allow?.length && allow.every(validSource) ? allow : undefined,
    maxConnPerIp: num('rate-limit-connections.concurrent-tcp'),
    maxHttpRate: mode === 'http' ? num('rate-limit-connections.rate-http') : undefined,
  };
}

const emptyMaps = (): MapSet => ({ hosts: [], paths: [], wildcards: [] });

function addTo(set: MapSet, route: Route, value: string): void {
  const host = route.spec.host;
  const path = route.spec.path && route.spec.path !== '/' ? route.spec.path : '';
  if (host.startsWith('*.')) set.wildcards.push([host.slice(1), value]);
  else if (path) set.paths.push([host + path, value]);
  else set.hosts.push([host, value]);
}

/**
 * The router's model from admitted routes and the services of their projects (keyed
 * `project/name`). `previous` is the slot table of the last build (endpoints keep their slots).
 * @example const { model, slots } = buildRouterModel(routes, services, lastSlots)
 */
export function buildRouterModel(routes: Route[], services: ReadonlyMap<string, Service>, previous?: SlotTable): { model: RouterModel; slots: SlotTable } {
  const model: RouterModel = { backends: [], maps: { http: emptyMaps(), https: emptyMaps(), redirect: emptyMaps(), passthrough: emptyMaps() }, certs: [] };
  const slots: SlotTable = new Map();
  const sorted = [...routes].sort((a, b) => backendName(a).localeCompare(backendName(b)));
  for (const r of sorted) {
    const name = backendName(r);
    const tls = r.spec.tls;
    const mode = tls?.termination === 'passthrough' ? 'tcp' : 'http';
    const servers = assignSlots(name, weighted(r, services), previous?.get(name));
    slots.set(name, servers.map((s) => s.key));
    const be: BackendModel = { name, mode, route: { project: r.metadata.project, name: r.metadata.name, host: r.spec.host }, termination: tls?.termination, ...annotations(r, mode, name), servers };
    if (tls?.termination === 'reencrypt') {
      be.destinationCa = tls.destinationCACertificate ? `${name}.dest-ca.pem` : '';
      if (tls.destinationCACertificate) model.certs.push({ file: be.destinationCa, pem: tls.destinationCACertificate });
    }
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
  for (const set of Object.values(model.maps)) {
    // Prefix lookups take the first match in file order: longest prefixes first.
    set.paths.sort((a, b) => b[0].length - a[0].length || a[0].localeCompare(b[0]));
    set.wildcards.sort((a, b) => b[0].length - a[0].length || a[0].localeCompare(b[0]));
    set.hosts.sort((a, b) => a[0].localeCompare(b[0]));
  }
  return { model, slots };
}
