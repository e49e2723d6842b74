// The pure router model and renderer: maps per frontend, server slots that keep endpoints in
// place, weights, annotations, TLS variants, and the structure digest that decides between a
// Runtime API update and a reload.
import { describe, expect, it } from 'vitest';
import { routeSpec } from '../../shared/model/route-kinds.ts';
import { buildRouterModel } from '../../shared/routing/model.ts';
import { renderConfig } from '../../shared/routing/render.ts';
import type { Route, Service } from '../../shared/routing/types.ts';
import { runtimeCommands } from '../../agents/router/agent.ts';

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
const render = (routes: Route[], services: [string, Service][]) => {
  const { model, slots } = buildRouterModel(routes, new Map(services));
  return { model, slots, out: renderConfig(model, settings) };
};
const backendText = (cfg: string, be: string) => cfg.slice(cfg.indexOf(`backend ${be}\n`)).split('\n\n')[0]!;

describe('router model and renderer', () => {
  it('maps hosts, host+path prefixes (longest first) and wildcard suffixes to backends', () => {
    const { out } = render(
      [route('web', {}), route('api', { host: 'web.example.com', path: '/api', to: { name: 'web' } }), route('deep', { host: 'web.example.com', path: '/api/v2', to: { name: 'web' } }),
        route('any', { host: '*.wild.example.com', wildcardPolicy: 'Subdomain' })],
      [service('web', [9001])],
    );
    expect(out.files.get('http.hosts.map')).toBe('web.example.com be_http_demo_web\n');
    expect(out.files.get('http.paths.map')).toBe('web.example.com/api/v2 be_http_demo_deep\nweb.example.com/api be_http_demo_api\n');
    expect(out.files.get('http.wildcards.map')).toBe('.wild.example.com be_http_demo_any\n');
    expect(out.cfg).toContain('use_backend %[var(txn.hostpath),map_beg(http.paths.map)] if { var(txn.hostpath),map_beg(http.paths.map) -m found }');
    expect(out.cfg).toContain('errorfile 503 503.http');
    expect(out.files.get('503.http')).toMatch(/^HTTP\/1.0 503 Service Unavailable\r\n[\s\S]*Application is not available/);
  });

  it('pre-allocates slots (a multiple of 8, at least 4 free) and keeps an endpoint in its slot', () => {
    const r = route('web', { to: { name: 'web' } });
    const first = render([r], [service('web', [9001, 9002, 9003, 9004, 9005])]);
    const be = first.model.backends[0]!;
    expect(be.servers).toHaveLength(16);
    expect(backendText(first.out.cfg, 'be_http_demo_web')).toMatch(/server s1 127\.0\.0\.1:9001 weight 256 cookie [0-9a-f]{16}\n/);
    expect(backendText(first.out.cfg, 'be_http_demo_web')).toMatch(/server s6 127\.0\.0\.1:1 weight 0 disabled cookie/);

    const next = buildRouterModel([r], new Map([service('web', [9002, 9003, 9004, 9005, 9009])]), first.slots);
    expect(next.model.backends[0]!.servers.map((s) => s.port).slice(0, 5)).toEqual([9009, 9002, 9003, 9004, 9005]);
    const again = renderConfig(next.model, settings);
    expect(again.structure).toBe(first.out.structure);
    expect(runtimeCommands(first.model, next.model)).toEqual(['set server be_http_demo_web/s1 addr 127.0.0.1 port 9009']);
  });

  it('outgrowing the slots or changing a route changes the structure (a reload)', () => {
    const r = route('web', { to: { name: 'web' } });
    const base = render([r], [service('web', [9001])]);
    expect(render([r], [service('web', Array.from({ length: 5 }, (_, i) => 9001 + i))]).out.structure).not.toBe(base.out.structure);
    expect(render([route('web', { to: { name: 'web' }, path: '/x' })], [service('web', [9001])]).out.structure).not.toBe(base.out.structure);
  });

  it('weights alternate backends per service share, split over its endpoints', () => {
    const { model } = render([route('ab', { to: { name: 'blue', weight: 75 }, alternateBackends: [{ name: 'green', weight: 25 }, { name: 'off', weight: 0 }] })],
      [service('blue', [1, 2]), service('green', [3]), service('off', [4])]);
    const live = model.backends[0]!.servers.filter((s) => s.key).map((s) => [s.port, s.weight]);
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
    const { out } = render([route('web', { to: { name: 'web' } }, annotations)], [service('web', [9001])]);
    for (const line of lines) expect(backendText(out.cfg, 'be_http_demo_web').split('\n')).toContain(line);
  });

  it('ignores an allow-list with anything but addresses, and sets cookies unless disabled', () => {
    const bad = render([route('web', { to: { name: 'web' } }, { 'haproxy.router.openshift.io/ip_whitelist': '10.0.0.1 } or { always_true' })], [service('web', [1])]);
    expect(bad.out.cfg).not.toContain('deny_status 403');
    expect(bad.out.cfg).toMatch(/cookie [0-9a-f]{32} insert indirect nocache httponly/);
    const off = render([route('web', { to: { name: 'web' } }, { 'haproxy.router.openshift.io/disable_cookies': 'true' })], [service('web', [1])]);
    expect(off.out.cfg).not.toContain('insert indirect');
  });

  it('puts edge routes in the HTTPS maps and crt-list, Redirect ones in the redirect map, passthrough by SNI in TCP', () => {
    const { out } = render([
      route('edge', { to: { name: 'web' }, tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' } }),
      route('allow', { to: { name: 'web' }, tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Allow' } }),
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
