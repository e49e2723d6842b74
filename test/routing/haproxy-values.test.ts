// The values a route may carry, against real HAProxy: every annotation value and certificate the
// API accepts, at the edges of what it accepts, renders into a configuration `haproxy -c`
// accepts; values HAProxy refuses are refused by the API's parsers, naming why. And the halving
// that finds the routes HAProxy refuses, on its own.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Generations, makeDefaultCert } from '../../agents/router/generations.ts';
import { Haproxy } from '../../agents/router/haproxy.ts';
import { MAX_ALLOW_ENTRIES, routerAnnotationProblems } from '../../shared/model/route-annotations.ts';
import { routeSpec } from '../../shared/model/route-kinds.ts';
import { buildRouterModel } from '../../shared/routing/model.ts';
import { haproxyProblem, refusedAmong } from '../../shared/routing/refusals.ts';
import { renderConfig } from '../../shared/routing/render.ts';
import type { Route, Service } from '../../shared/model/objects.ts';
import { selfSigned } from './certs.ts';

const A = 'haproxy.router.openshift.io/';
let dir: string;
let haproxy: Haproxy;
let generations: Generations;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-values-'));
  makeDefaultCert(join(dir, 'default.pem'), 'apps.localhost');
  haproxy = new Haproxy({ bin: 'haproxy', dir, current: join(dir, 'current') });
  generations = new Generations(dir);
});

function route(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): Route {
  return {
    kind: 'Route',
    metadata: { name, project: 'demo', uid: name, resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', labels: {}, annotations },
    spec: routeSpec.parse({ host: `${name}.example.com`, to: { name: 'web' }, ...spec }),
    status: { ingress: [] },
  };
}
const services = new Map<string, Service>([['demo/web', {
  kind: 'Service',
  metadata: { name: 'web', project: 'demo', uid: 'web', resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', labels: {}, annotations: {} },
  spec: { selector: { app: 'web' }, ports: [{ port: 8080, protocol: 'TCP' }] },
  status: { endpoints: [{ pod: 'web-1', host: 'local', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: 9001 }] }] },
} as Service]]);

/** `haproxy -c` on the configuration of these routes; HAProxy's complaint, if any. */
async function check(routes: Route[]): Promise<string | undefined> {
  const { model } = buildRouterModel(routes, services);
  const { cfg, files } = renderConfig(model, { dir, bind: '127.0.0.1', httpPort: 7088, httpsPort: 7443, defaultCert: join(dir, 'default.pem') });
  const gen = await generations.write(cfg, files, 'check');
  try {
    return await haproxy.check(gen);
  } finally {
    await generations.discard(gen);
  }
}

function keyPair(args: string[]): { cert: string; key: string } {
  const d = mkdtempSync(join(tmpdir(), 'berth-key-'));
  execFileSync('openssl', ['req', '-x509', ...args, '-nodes', '-days', '2', '-subj', '/CN=k.example.com', '-keyout', join(d, 'k.pem'), '-out', join(d, 'c.pem')], { stdio: 'ignore' });
  return { cert: readFileSync(join(d, 'c.pem'), 'utf8'), key: readFileSync(join(d, 'k.pem'), 'utf8') };
}

const longestV6 = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128';

describe('route values HAProxy accepts', () => {
  it.each([
    ['the longest timeout', { [`${A}timeout`]: '2147483647ms' }],
    ['24 days', { [`${A}timeout`]: '24d' }],
    ['a microsecond', { [`${A}timeout`]: '1us' }],
    ['the largest rates', { [`${A}rate-limit-connections`]: 'true', [`${A}rate-limit-connections.concurrent-tcp`]: '2147483647', [`${A}rate-limit-connections.rate-http`]: '2147483647' }],
    ['the longest allow-list', { [`${A}ip_whitelist`]: Array.from({ length: MAX_ALLOW_ENTRIES }, () => longestV6).join(' ') }],
    ['every kind of address', { [`${A}ip_whitelist`]: '0.0.0.0/0 ::/0 10.1.2.3 ::ffff:1.2.3.4 2001:db8::/32 192.168.0.0/16' }],
    ['a full HSTS header', { [`${A}hsts_header`]: 'max-age=31536000; includeSubDomains; preload' }],
    ['a balance', { [`${A}balance`]: 'leastconn', [`${A}disable_cookies`]: 'true' }],
  ])('%s: the API accepts it and haproxy -c accepts its configuration', async (_what, annotations) => {
    expect(routerAnnotationProblems(annotations)).toEqual([]);
    const r = route('web', { tls: { termination: 'edge' } }, annotations);
    expect(await check([r])).toBeUndefined();
  });

  it('certificates: RSA 2048 and EC P-256 keys, with a CA chain, are accepted by the API and HAProxy', async () => {
    const rsa = selfSigned('rsa.example.com');
    const ec = keyPair(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const routes = [
      route('rsa', { tls: { termination: 'edge', certificate: rsa.cert, key: rsa.key, caCertificate: ec.cert } }),
      route('ec', { tls: { termination: 'edge', certificate: `${ec.cert}\n${rsa.cert}`, key: ec.key } }),
      route('re', { tls: { termination: 'reencrypt', destinationCACertificate: rsa.cert + ec.cert } }),
    ];
    expect(await check(routes)).toBeUndefined();
  });
});

describe('route values HAProxy refuses', () => {
  it.each([
    [`${A}timeout`, '30d', /at most 2147483647 ms/],
    [`${A}timeout`, '2147483648', /at most/],
    [`${A}timeout`, '0s', /more than 0/],
    [`${A}timeout`, '5 s', /whole number/],
    [`${A}rate-limit-connections.rate-http`, '1e21', /plain digits/],
    [`${A}rate-limit-connections.concurrent-tcp`, '0x10', /plain digits/],
    [`${A}rate-limit-connections.concurrent-tcp`, '2147483648', /plain digits/],
    [`${A}ip_whitelist`, 'fe80::1%eth0', /zone id/],
    [`${A}ip_whitelist`, 'localhost', /not an IPv4 or IPv6 address/],
    [`${A}ip_whitelist`, '10.0.0.1/33', /prefix length/],
    [`${A}ip_whitelist`, Array.from({ length: MAX_ALLOW_ENTRIES + 1 }, () => '10.0.0.1').join(' '), /at most 48 entries/],
    [`${A}hsts_header`, 'includeSubDomains', /max-age/],
    [`${A}balance`, 'uri whole', /one of/],
    [`${A}disable_cookies`, 'yes', /"true" or "false"/],
  ])('%s: %s is refused', (key, value, why) => {
    const problems = routerAnnotationProblems({ [key]: value, 'example.com/other': 'anything' });
    expect(problems).toEqual([{ key, message: expect.stringMatching(why) }]);
  });

  it.each([
    ['a broken extra block', 'certificate', (p: { cert: string; key: string }) => ({ certificate: `${p.cert}-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n`, key: p.key }), /block 2 is not a valid certificate/],
    ['text before the block', 'certificate', (p: { cert: string; key: string }) => ({ certificate: `Bag Attributes\n${p.cert}`, key: p.key }), /text outside its PEM blocks/],
    ['two keys', 'key', (p: { cert: string; key: string }) => ({ certificate: p.cert, key: p.key + p.key }), /holds 2 PEM blocks/],
    ['the key of another certificate', 'key', (p: { cert: string; key: string }) => ({ certificate: p.cert, key: selfSigned('other.example.com').key }), /does not belong/],
    ['a key as CA certificate', 'caCertificate', (p: { cert: string; key: string }) => ({ certificate: p.cert, key: p.key, caCertificate: p.key }), /PRIVATE KEY, not a CERTIFICATE/],
  ])('%s: tls.%s is refused', (_what, field, tls, why) => {
    const out = routeSpec.safeParse({ host: 'x.example.com', to: { name: 'web' }, tls: { termination: 'edge', ...tls(selfSigned('x.example.com')) } });
    expect(out.success).toBe(false);
    expect(out.error!.issues).toContainEqual(expect.objectContaining({ path: ['tls', field], message: expect.stringMatching(why) }));
  });

  it('a 1024-bit RSA key: refused by the API, and by HAProxy', async () => {
    const weak = keyPair(['-newkey', 'rsa:1024']);
    const out = routeSpec.safeParse({ host: 'k.example.com', to: { name: 'web' }, tls: { termination: 'edge', certificate: weak.cert, key: weak.key } });
    expect(out.error!.issues.map((i) => i.message)).toContain('an RSA key of 1024 bits is too weak (at least 2048)');
    const r = route('weak', { tls: { termination: 'edge' } });
    r.spec.tls = { ...r.spec.tls!, certificate: weak.cert, key: weak.key };
    expect(haproxyProblem((await check([r]))!, dir)).toMatch(/unable to load SSL certificate/);
  });
});

describe('finding the routes HAProxy refuses', () => {
  it('halves down to each item at fault, with its own answer, checking ever smaller sets', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const bad = new Set([7, 8, 63]);
    const sizes: number[] = [];
    const refuses = async (some: number[]) => {
      sizes.push(some.length);
      const hit = some.filter((i) => bad.has(i));
      return hit.length ? `refused ${hit.join(',')}` : undefined;
    };
    const found = await refusedAmong(items, refuses, 'refused 7,8,63');
    expect(found).toEqual([{ item: 7, problem: 'refused 7' }, { item: 8, problem: 'refused 8' }, { item: 63, problem: 'refused 63' }]);
    expect(sizes[0]).toBe(0);
    expect(sizes.length).toBeLessThanOrEqual(2 * bad.size * Math.ceil(Math.log2(items.length)) + 1);
  });

  it('names nothing when a configuration without any of them is refused', async () => {
    expect(await refusedAmong([1, 2, 3], async () => 'the base configuration is broken')).toBeUndefined();
  });

  it("keeps HAProxy's ALERT lines, without process ids and directories", () => {
    const out = [
      '[NOTICE]   (1) : haproxy version is 2.6.12',
      "[ALERT]    (28870) : config : parsing [/var/lib/router/check-1-2/haproxy.cfg:6] : timer overflow in argument '30d' to 'timeout server'",
      '[ALERT]    (28870) : config : Error(s) found in configuration file : haproxy.cfg',
      '[ALERT]    (28870) : config : Fatal errors found in configuration.',
    ].join('\n');
    expect(haproxyProblem(out, '/var/lib/router')).toBe("parsing [haproxy.cfg:6] : timer overflow in argument '30d' to 'timeout server'");
  });
});
