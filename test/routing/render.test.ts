// The pure router model and renderer: maps per frontend, server slots that keep endpoints in
// place, the pool of backends that lets routes come and go without a reload, weights,
// annotations, TLS variants, and the structure comparison that decides between a Runtime API update
// and a reload.
import { describe, expect, it } from 'vitest';
import { routeSpec } from '../../shared/model/route-kinds.ts';
import { buildRouterModel, endpointsOf, POOL_MIN_FREE, poolSizeFor, type RouterModel, type RouterState } from '../../shared/routing/model.ts';
import { configText, renderConfig } from '../../shared/routing/render.ts';
import { runtimeChanges, runtimeCommands, sameStructure } from '../../shared/routing/diff.ts';
import type { Route, Service } from '../../shared/model/objects.ts';
import { selfSigned } from './certs.ts';

const settings = { dir: '/run/router', bind: '127.0.0.1', httpPort: 7088, httpsPort: 7443, defaultCert: '/run/router/default.pem' };
let n = 0;
function route(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}, project = 'demo'): Route {
  return {
    kind: 'Route',
    metadata: { name, project, uid: `u${++n}`, resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', labels: {}, annotations },
    spec: routeSpec.parse({ host: `${name}.example.com`, to: { name: 'web' }, ...spec }),
    status: { ingress: [] },
  };
}
function service(name: string, hostPorts: number[], project = 'demo'): [string, Service] {
  return [`${project}/${name}`, {
    kind: 'Service',
    metadata: { name, project, uid: name, resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', labels: {}, annotations: {} },
    spec: { selector: { app: name }, ports: [{ port: 8080, protocol: 'TCP' }] },
    status: { endpoints: hostPorts.map((hp) => ({ pod: `${name}-${hp}`, host: 'local', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: hp }] })) },
  }];
}
const render = (routes: Route[], services: [string, Service][], previous?: RouterState) => {
  const { model, state } = buildRouterModel(routes, new Map(services), previous);
  return { model, state, out: renderConfig(model, settings) };
};
/** sameStructure's verdict, checked against what it stands for: equal masked text and certificates. */
function same(a: { model: RouterModel }, b: { model: RouterModel }): boolean {
  const verdict = sameStructure(a.model, b.model);
  const alike = configText(a.model, settings, true) === configText(b.model, settings, true) && JSON.stringify(a.model.certs) === JSON.stringify(b.model.certs);
  expect(alike).toBe(verdict);
  return verdict;
}
/** Routes with their own settings get a backend of their own: this annotation is one such. */
const own = { 'haproxy.router.openshift.io/timeout': '7s' };
const backendText = (cfg: string, be: string) => cfg.slice(cfg.indexOf(`backend ${be}\n`)).split('\n\n')[0]!;

describe('router model and renderer', () => {
  it('maps hosts, host+path prefixes (longest first) and wildcard suffixes to backends', () => {
    const { out } = render(
      [route('web', {}, own), route('api', { host: 'web.example.com', path: '/api', to: { name: 'web' } }, own), route('deep', { host: 'web.example.com', path: '/api/v2/', to: { name: 'web' } }, own),
        route('any', { host: '*.wild.example.com', wildcardPolicy: 'Subdomain' }, own)],
      [service('web', [9001])],
    );
    expect(out.files.get('http.hosts.map')).toBe('web.example.com be_http_demo_web\n');
    // Keys end in '/' and the frontend looks up host + path + '/': `/api` serves `/api` and `/api/…`, never `/apix`.
    expect(out.files.get('http.paths.map')).toBe('web.example.com/api/v2/ be_http_demo_deep\nweb.example.com/api/ be_http_demo_api\n');
    expect(out.cfg).toContain('http-request set-var(txn.hostpath) var(txn.host),concat(,txn.path,/)');
    expect(out.files.get('http.wildcards.map')).toBe('.wild.example.com be_http_demo_any\n');
    expect(out.cfg).toContain('use_backend %[var(txn.hostpath),map_beg(http.paths.map)] if { var(txn.hostpath),map_beg(http.paths.map) -m found }');
    expect(out.cfg).toContain('errorfile 503 503.http');
    expect(out.files.get('503.http')).toMatch(/^HTTP\/1.0 503 Service Unavailable\r\n[\s\S]*Application is not available/);
  });

  it('pre-allocates slots (a multiple of 8, at least 4 free) and keeps an endpoint in its slot', () => {
    const r = route('web', { to: { name: 'web' } }, own);
    const first = render([r], [service('web', [9001, 9002, 9003, 9004, 9005])]);
    const be = first.model.backends.find((b) => b.name === 'be_http_demo_web')!;
    expect(be.servers).toHaveLength(16);
    expect(backendText(first.out.cfg, 'be_http_demo_web')).toMatch(/server s1 127\.0\.0\.1:9001 weight 256 cookie [0-9a-f]{16}\n/);
    expect(backendText(first.out.cfg, 'be_http_demo_web')).toMatch(/server s6 127\.0\.0\.1:1 weight 0 disabled cookie/);

    const next = buildRouterModel([r], new Map([service('web', [9002, 9003, 9004, 9005, 9009])]), first.state);
    expect(next.model.backends.find((b) => b.name === 'be_http_demo_web')!.servers.map((s) => s.port).slice(0, 5)).toEqual([9009, 9002, 9003, 9004, 9005]);
    expect(same(next, first)).toBe(true);
    expect(runtimeCommands(first.model, next.model)).toEqual(['set server be_http_demo_web/s1 addr 127.0.0.1 port 9009']);
  });

  it('outgrowing the slots, changing a route of its own or adding a certificate changes the structure (a reload)', () => {
    const r = route('web', { to: { name: 'web' } }, own);
    const base = render([r], [service('web', [9001])]);
    const { cert, key } = selfSigned('tls.example.com');
    expect(same(render([r, route('tls', { tls: { termination: 'edge', certificate: cert, key } })], [service('web', [9001])], base.state), base)).toBe(false);
    expect(same(render([r, route('tls', { tls: { termination: 'edge' } })], [service('web', [9001])], base.state), base)).toBe(true);
    expect(same(render([r], [service('web', Array.from({ length: 9 }, (_, i) => 9001 + i))], base.state), base)).toBe(false);
    expect(same(render([route('web', { to: { name: 'web' } }, { ...own, 'haproxy.router.openshift.io/balance': 'source' })], [service('web', [9001])], base.state), base)).toBe(false);
  });

  it('gives routes with default settings pool backends: adding, moving and removing them needs no reload', () => {
    const base = render([route('a', {}), route('b', { path: '/b' })], [service('web', [9001])]);
    expect(base.out.files.get('http.hosts.map')).toBe('a.example.com be_pool_1\n');
    expect(base.out.files.get('http.paths.map')).toBe('b.example.com/b/ be_pool_2\n');
    expect(base.state.pool.size).toBe(poolSizeFor(2));
    expect(base.model.backends.filter((b) => b.name.startsWith('be_pool_'))).toHaveLength(poolSizeFor(2));
    // A free pool backend and a taken one render alike once the servers are masked.
    expect(backendText(base.out.cfg, 'be_pool_3')).toMatch(/server s1 127\.0\.0\.1:1 weight 0 disabled cookie/);

    const grown = render([route('a', {}), route('b', { path: '/b' }), route('c', { tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' } })], [service('web', [9001, 9002])], base.state);
    expect(same(grown, base)).toBe(true);
    const commands = runtimeChanges(base.model, grown.model);
    expect(commands).toContain('set server be_pool_3/s1 addr 127.0.0.1 port 9001');
    expect(commands).toContain('set server be_pool_3/s2 state ready');
    expect(commands.slice(-2)).toEqual(['add map https.hosts.map c.example.com be_pool_3', 'add map redirect.hosts.map c.example.com be_pool_3']);
    expect(commands.indexOf('add map https.hosts.map c.example.com be_pool_3')).toBeGreaterThan(commands.indexOf('set server be_pool_3/s1 state ready'));

    // a goes: its entry is deleted first, then its servers leave; b keeps its backend.
    const shrunk = render([route('b', { path: '/b' }), route('c', { tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' } })], [service('web', [9001, 9002])], grown.state);
    expect(same(shrunk, base)).toBe(true);
    const gone = runtimeChanges(grown.model, shrunk.model);
    expect(gone[0]).toBe('del map http.hosts.map a.example.com');
    expect(gone).toContain('set server be_pool_1/s1 state maint');
    expect(shrunk.out.files.get('http.paths.map')).toBe('b.example.com/b/ be_pool_2\n');
    // A path with a semicolon is escaped for the Runtime API.
    const odd = render([route('b', { path: '/b' }), route('c', { tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' } }), route('d', { path: '/x;y' })], [service('web', [9001, 9002])], shrunk.state);
    expect(runtimeChanges(shrunk.model, odd.model)).toContain('add map http.paths.map d.example.com/x\\;y/ be_pool_1');
  });

  it('grows the pool by a reload only when fewer than the minimum are free, and keeps routes on their backends', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => route(`r${i}`, {}));
    const base = render(many(10), [service('web', [1])]);
    const size = base.state.pool.size;
    const fits = size - POOL_MIN_FREE;
    const full = render(many(fits), [service('web', [1])], base.state);
    expect(full.state.pool.size).toBe(size);
    expect(same(full, base)).toBe(true);
    const over = render(many(fits + 1), [service('web', [1])], full.state);
    expect(over.state.pool.size).toBe(poolSizeFor(fits + 1));
    expect(same(over, base)).toBe(false);
    for (let i = 0; i < fits; i++) expect(over.state.pool.owners.get(`be_pool_${i + 1}`)).toBe(`demo/r${i}`);
  });

  it('adds wildcards through the Runtime API too: they are looked up by exact parent domain, one label deep', () => {
    const base = render([route('w', { host: '*.b.example.com', wildcardPolicy: 'Subdomain' })], [service('web', [1])]);
    expect(base.out.cfg).toContain('http-request set-var(txn.parent) var(txn.host),regsub(^[^.]*,)');
    expect(base.out.cfg).toContain('use_backend %[var(txn.parent),map_str(http.wildcards.map)] if { var(txn.parent),map_str(http.wildcards.map) -m found }');
    const more = render([route('w', { host: '*.b.example.com', wildcardPolicy: 'Subdomain' }), route('v', { host: '*.a.b.example.com', wildcardPolicy: 'Subdomain' })], [service('web', [1])], base.state);
    expect(more.out.files.get('http.wildcards.map')).toBe('.a.b.example.com be_pool_2\n.b.example.com be_pool_1\n');
    expect(same(more, base)).toBe(true);
    expect(runtimeChanges(base.model, more.model)).toContain('add map http.wildcards.map .a.b.example.com be_pool_2');
  });

  it('moves a route whose endpoints outgrow its narrow pool backend to a wide one, and back, without a reload', () => {
    const base = render([route('a', {})], [service('web', [9001, 9002])]);
    expect(base.out.files.get('http.hosts.map')).toBe('a.example.com be_pool_1\n');
    expect(base.model.backends.find((b) => b.name === 'be_pool_1')!.servers).toHaveLength(2);
    const wide = render([route('a', {})], [service('web', [9001, 9002, 9003, 9004, 9005])], base.state);
    expect(same(wide, base)).toBe(true);
    expect(wide.out.files.get('http.hosts.map')).toBe('a.example.com be_poolw_1\n');
    const up = runtimeChanges(base.model, wide.model);
    // The wide backend's slots are ready before the map points at it; the narrow one's go last.
    const setMap = up.indexOf('set map http.hosts.map a.example.com be_poolw_1');
    expect(up.indexOf('set server be_poolw_1/s5 state ready')).toBeLessThan(setMap);
    expect(up.indexOf('set server be_pool_1/s1 state maint')).toBeGreaterThan(setMap);
    const back = render([route('a', {})], [service('web', [9001])], wide.state);
    expect(same(back, wide)).toBe(true);
    expect(back.out.files.get('http.hosts.map')).toBe('a.example.com be_pool_1\n');
  });

  it('weights alternate backends per service share, split over its endpoints', () => {
    const { model } = render([route('ab', { to: { name: 'blue', weight: 75 }, alternateBackends: [{ name: 'green', weight: 25 }, { name: 'off', weight: 0 }] })],
      [service('blue', [1, 2]), service('green', [3]), service('off', [4])]);
    const live = model.backends.find((b) => b.route?.name === 'ab')!.servers.filter((s) => s.key).map((s) => [s.port, s.weight]);
    expect(live).toEqual([[1, 256], [2, 256], [3, 171], [4, 0]]);
  });

  it.each([
    ['timeout', { 'haproxy.router.openshift.io/timeout': '5s' }, ['  timeout server 5s']],
    ['balance', { 'haproxy.router.openshift.io/balance': 'leastconn' }, ['  balance leastconn']],
    ['a bad balance falls back', { 'haproxy.router.openshift.io/balance': 'bogus; evil' }, ['  balance roundrobin']],
    ['ip allow-list', { 'haproxy.router.openshift.io/ip_whitelist': '10.0.0.1 192.168.0.0/16' }, ['  http-request deny deny_status 403 if !{ src 10.0.0.1 192.168.0.0/16 }']],
    ['rate limits', { 'haproxy.router.openshift.io/rate-limit-connections': 'true', 'haproxy.router.openshift.io/rate-limit-connections.concurrent-tcp': '5', 'haproxy.router.openshift.io/rate-limit-connections.rate-http': '50' },
      ['  tcp-request content reject if { sc2_conn_cur gt 5 }', '  http-request deny deny_status 429 if { sc2_http_req_rate gt 50 }']],
  ])('annotation: %s', (_what, annotations, lines) => {
    const { out } = render([route('web', { to: { name: 'web' } }, { ...own, ...annotations })], [service('web', [9001])]);
    for (const line of lines) expect(backendText(out.cfg, 'be_http_demo_web').split('\n')).toContain(line);
  });

  it('ignores an allow-list with anything but addresses, and sets cookies unless disabled', () => {
    const bad = render([route('web', { to: { name: 'web' } }, { 'haproxy.router.openshift.io/ip_whitelist': '10.0.0.1 } or { always_true' })], [service('web', [1])]);
    expect(bad.out.files.get('http.hosts.map')).toBe('web.example.com be_pool_1\n');
    expect(bad.out.cfg).not.toContain('deny_status 403');
    expect(bad.out.cfg).toMatch(/cookie [0-9a-f]{32} insert indirect nocache httponly/);
    const off = render([route('web', { to: { name: 'web' } }, { 'haproxy.router.openshift.io/disable_cookies': 'true' })], [service('web', [1])]);
    expect(backendText(off.out.cfg, 'be_http_demo_web')).toContain('mode http');
    expect(backendText(off.out.cfg, 'be_http_demo_web')).not.toContain('insert indirect');
  });

  it('puts edge routes in the HTTPS maps and crt-list, Redirect ones in the redirect map, passthrough by SNI in TCP', () => {
    const { out } = render([
      route('edge', { to: { name: 'web' }, tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' } }, own),
      route('allow', { to: { name: 'web' }, tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Allow' } }, own),
      route('pass', { to: { name: 'web' }, tls: { termination: 'passthrough' } }),
      route('re', { to: { name: 'web' }, tls: { termination: 'reencrypt' } }),
    ], [service('web', [1])]);
    expect(out.files.get('https.hosts.map')).toBe('allow.example.com be_edge_demo_allow\nedge.example.com be_edge_demo_edge\nre.example.com be_reencrypt_demo_re\n');
    expect(out.files.get('http.hosts.map')).toBe('allow.example.com be_edge_demo_allow\n');
    expect(out.files.get('redirect.hosts.map')).toBe('edge.example.com be_edge_demo_edge\n');
    expect(out.files.get('passthrough.hosts.map')).toBe('pass.example.com be_passthrough_demo_pass\n');
    expect(backendText(out.cfg, 'be_passthrough_demo_pass')).toContain('  mode tcp');
    expect(backendText(out.cfg, 'be_passthrough_demo_pass')).not.toContain('cookie');
    expect(backendText(out.cfg, 'be_reencrypt_demo_re')).toContain(' ssl verify none');
    expect(out.cfg).toContain('http-request redirect location https://%[var(txn.host)]:7443%[capture.req.uri] code 302');
  });
});

describe("a route's targetPort against a Service with named ports", () => {
  it.each([
    ['the Service port name', 'web', [32001]],
    ['the named target port (as OpenShift templates write it)', 'http', [32001]],
    ['the Service port number', 8080, [32001]],
    ['another name', 'metrics', []],
  ])('by %s reaches %j', (_what, targetPort, hostPorts) => {
    const [, svc] = service('web', [32001]);
    svc.spec.ports = [{ name: 'web', port: 8080, targetPort: 'http', protocol: 'TCP' }];
    expect(endpointsOf(route('r', { port: { targetPort } }), svc).map((e) => e.port)).toEqual(hostPorts);
  });
});

