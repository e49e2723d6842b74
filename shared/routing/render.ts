// The router model as HAProxy's configuration: haproxy.cfg, the map files each frontend looks
// hosts and paths up in, the crt-list, certificates and Berth's 503 page. Pure. What changes
// between two models without a reload is decided beside it, in diff.ts.
import { join } from 'node:path';
import type { BackendModel, MapSet, RouterModel, ServerSlot } from './model.ts';

export interface RenderSettings {
  /** Where the agent keeps its sockets (admin.sock, sni.sock). */
  dir: string;
  bind: string;
  httpPort: number;
  httpsPort: number;
  /** The HTTPS port clients use (in redirects); httpsPort when absent. */
  publicHttpsPort?: number;
  /** The certificate (and key) served when no route's certificate matches. */
  defaultCert: string;
}

export interface Rendered {
  cfg: string;
  /** Relative file name → content: maps, crt-list, certificates, the 503 page. */
  files: Map<string, string>;
}

export const ADMIN_SOCKET = 'admin.sock';
/** The header every HTTP backend sets to its own name: the unidler learns from it which route a held request is for. */
export const BACKEND_HEADER = 'X-Berth-Backend';
const SNI_SOCKET = 'sni.sock';

export const NOT_AVAILABLE_PAGE = [
  'HTTP/1.0 503 Service Unavailable',
  'Cache-Control: no-cache',
  'Connection: close',
  'Content-Type: text/html',
  '',
  '<!doctype html><html><head><title>Application is not available</title></head><body>',
  '<h1>Application is not available</h1>',
  '<p>Berth has no running application at this address: no route has this host name, or the application behind it has no ready pods.</p>',
  '<p>Check the host name, then the route (<code>berth get routes</code>) and its service\'s pods.</p>',
  '</body></html>',
  '',
].join('\r\n');

function serverLine(be: BackendModel, s: ServerSlot, masked: boolean): string {
  const live = s.key !== '';
  const state = masked ? '{}' : `${s.ip}:${s.port} weight ${s.weight}${live ? '' : ' disabled'}`;
  const cookie = be.cookie ? ` cookie ${s.cookie}` : '';
  const tls = be.destinationCa === undefined ? '' : be.destinationCa ? ` ssl verify required ca-file certs/${be.destinationCa}` : ' ssl verify none';
  return `  server ${s.name} ${state}${cookie}${tls}`;
}

function backend(be: BackendModel, masked: boolean): string[] {
  const out = [`backend ${be.name}`, `  mode ${be.mode}`, `  balance ${be.balance}`];
  if (be.timeout) out.push(`  timeout server ${be.timeout}`, `  timeout tunnel ${be.timeout}`);
  if (be.allow) out.push(be.mode === 'http' ? `  http-request deny deny_status 403 if !{ src ${be.allow.join(' ')} }` : `  tcp-request content reject if !{ src ${be.allow.join(' ')} }`);
  if (be.maxConnPerIp || be.maxHttpRate) {
    out.push(`  stick-table type ip size 100k expire 30s store conn_cur,http_req_rate(10s)`, `  tcp-request content track-sc2 src`);
    if (be.maxConnPerIp) out.push(`  tcp-request content reject if { sc2_conn_cur gt ${be.maxConnPerIp} }`);
    if (be.maxHttpRate) out.push(`  http-request deny deny_status 429 if { sc2_http_req_rate gt ${be.maxHttpRate} }`);
  }
  if (be.mode === 'http') {
    // Names the backend to the unidler (agents/router/unidler.ts); set here, so never the client's.
    out.push('  option forwardfor', `  http-request set-header ${BACKEND_HEADER} %[be_name]`);
    if (be.cookie) out.push(`  cookie ${be.cookie} insert indirect nocache httponly`);
    if (be.hsts) out.push(`  http-response set-header Strict-Transport-Security "${be.hsts}"`);
  }
  for (const s of be.servers) out.push(serverLine(be, s, masked));
  return out;
}

/**
 * The use_backend rules of one map set, over the variables the frontend set: exact hosts, then
 * host + path prefixes, then wildcards, looked up by the host's parent domain (`a.example.com`
 * → `.example.com`), so `*.example.com` covers one label, as OpenShift's routers do.
 */
function routing(prefix: string, host: string, hostPath: string | undefined, parent: string): string[] {
  const rule = (fetch: string) => `  use_backend %[${fetch}] if { ${fetch} -m found }`;
  return [...(hostPath ? [rule(`${hostPath},map_beg(${prefix}.paths.map)`)] : []), rule(`${host},map_str(${prefix}.hosts.map)`), rule(`${parent},map_str(${prefix}.wildcards.map)`)];
}

/** A host's parent domain with its leading dot: `a.example.com` → `.example.com`. */
const PARENT = 'regsub(^[^.]*,)';

/** host, its parent domain, path, and host + path + '/' (the paths maps' keys end in '/': see addTo in model.ts). */
const HTTP_VARS = [
  '  http-request set-var(txn.host) req.hdr(host),field(1,:),lower',
  `  http-request set-var(txn.parent) var(txn.host),${PARENT}`,
  '  http-request set-var(txn.path) path',
  '  http-request set-var(txn.hostpath) var(txn.host),concat(,txn.path,/)',
];

/** The map files of a model: `<frontend>.<hosts|paths|wildcards>.map` → entries. */
export function mapFiles(model: RouterModel): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  for (const [name, set] of Object.entries(model.maps) as [string, MapSet][]) {
    out.set(`${name}.hosts.map`, set.hosts);
    out.set(`${name}.paths.map`, set.paths);
    out.set(`${name}.wildcards.map`, set.wildcards);
  }
  return out;
}

function mapFile(entries: [string, string][]): string {
  return entries.map(([k, v]) => `${k} ${v}\n`).join('');
}

/** haproxy.cfg; `masked` leaves out every server's address, weight and state (see sameStructure in diff.ts). */
export function configText(model: RouterModel, settings: RenderSettings, masked = false): string {
  const redirectPort = settings.publicHttpsPort ?? settings.httpsPort;
  const portSuffix = redirectPort === 443 ? '' : `:${redirectPort}`;
  const head = [
    '# Written by the Berth router agent: changes here are overwritten.',
    'global',
    '  maxconn 8000',
    `  stats socket ${join(settings.dir, ADMIN_SOCKET)} mode 600 level admin expose-fd listeners`,
    '  stats timeout 2m',
    '  hard-stop-after 60s',
    '  tune.ssl.default-dh-param 2048',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 10s',
    '  timeout tunnel 1h',
    '  option redispatch',
    '  retries 3',
    '  errorfile 503 503.http',
    '',
    'frontend public',
    `  bind ${settings.bind}:${settings.httpPort}`,
    ...HTTP_VARS,
    `  http-request redirect location https://%[var(txn.host)]${portSuffix}%[capture.req.uri] code 302 if { var(txn.hostpath),map_beg(redirect.paths.map) -m found } || { var(txn.host),map_str(redirect.hosts.map) -m found } || { var(txn.parent),map_str(redirect.wildcards.map) -m found }`,
    ...routing('http', 'var(txn.host)', 'var(txn.hostpath)', 'var(txn.parent)'),
    '  default_backend be_no_route',
    '',
    'frontend public_ssl',
    '  mode tcp',
    `  bind ${settings.bind}:${settings.httpsPort}`,
    '  tcp-request inspect-delay 5s',
    '  tcp-request content accept if { req_ssl_hello_type 1 }',
    ...routing('passthrough', 'req.ssl_sni,lower', undefined, `req.ssl_sni,lower,${PARENT}`),
    '  default_backend be_sni',
    '',
    'backend be_sni',
    '  mode tcp',
    `  server fe_sni unix@${join(settings.dir, SNI_SOCKET)} send-proxy-v2`,
    '',
    'frontend fe_sni',
    `  bind unix@${join(settings.dir, SNI_SOCKET)} accept-proxy ssl crt ${settings.defaultCert} crt-list certs.list alpn http/1.1`,
    '  http-request set-header X-Forwarded-Proto https',
    ...HTTP_VARS,
    ...routing('https', 'var(txn.host)', 'var(txn.hostpath)', 'var(txn.parent)'),
    '  default_backend be_no_route',
    '',
    'backend be_no_route',
    '  mode http',
    '',
  ];
  return [...head, ...model.backends.flatMap((b) => [...backend(b, masked), ''])].join('\n');
}

/**
 * The files of one configuration. Sockets live in `settings.dir`; maps, certificates and the
 * 503 page are relative: HAProxy is started in the directory of the configuration (`-C`).
 */
export function renderConfig(model: RouterModel, settings: RenderSettings): Rendered {
  const files = new Map<string, string>();
  files.set('certs.list', model.certs.filter((c) => c.host).map((c) => `${join('certs', c.file)} ${c.host}\n`).join(''));
  for (const c of model.certs) files.set(join('certs', c.file), c.pem);
  files.set('503.http', NOT_AVAILABLE_PAGE);
  for (const [name, entries] of mapFiles(model)) files.set(name, mapFile(entries));
  return { cfg: configText(model, settings), files };
}
