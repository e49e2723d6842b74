// expose, create route and get routes through the real API; admission runs in the test where a
// generated host name is expected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { routeAdmission } from '../../shared/routing/admission.ts';
import { selfSigned } from '../routing/certs.ts';
import { PROJECT, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;
const dir = mkdtempSync(join(tmpdir(), 'berth-cli-routes-'));

beforeAll(async () => {
  // The routers listen on the all-in-one's ports, so URLs carry them.
  h = await startBuildCli({ router: { httpPort: 7088, httpsPort: 7443 } });
  for (const name of ['web', 'api']) {
    const r = await h.api.call('POST', `/api/v1/projects/${PROJECT}/services`, h.api.adminToken, { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 8080 }] } });
    expect(r.status).toBe(201);
  }
});
afterAll(() => h.close());

describe('berth expose', () => {
  it('creates a route named like the service, with the host admission gives it', async () => {
    const admission = routeAdmission({ store: h.api.store, domain: 'apps.localhost' });
    const running = h.berth(['expose', 'svc/web']);
    const ref = { kind: 'Route', project: PROJECT, name: 'web' };
    for (let i = 0; i < 100 && !(await h.api.store.get(ref)); i++) await sleep(20);
    await admission.reconcile(ref);
    expect(await running).toEqual({ code: 0, stdout: 'route.route.berth.io/web exposed at http://web-demo.apps.localhost:7088\n', stderr: '' });
    expect((await h.get('routes', 'web')).spec).toMatchObject({ to: { kind: 'Service', name: 'web', weight: 100 }, wildcardPolicy: 'None' });
  });

  it('takes --hostname, --path, --port and --name', async () => {
    const r = await h.berth(['expose', 'service/api', '--hostname', 'shop.example.com', '--path', '/api', '--port', '8080', '--name', 'shop-api']);
    expect(r).toEqual({ code: 0, stdout: 'route.route.berth.io/shop-api exposed at http://shop.example.com:7088/api\n', stderr: '' });
    expect((await h.get('routes', 'shop-api')).spec).toMatchObject({ host: 'shop.example.com', path: '/api', port: { targetPort: 8080 } });
  });

  it('takes --wildcard-policy Subdomain with a *. host, and refuses a *. host without it at the field', async () => {
    const r = await h.berth(['expose', 'svc/web', '--name', 'wild', '--hostname', '*.wild.example.com', '--wildcard-policy', 'Subdomain']);
    expect(r).toEqual({ code: 0, stdout: 'route.route.berth.io/wild exposed at http://*.wild.example.com:7088\n', stderr: '' });
    expect((await h.get('routes', 'wild')).spec).toMatchObject({ host: '*.wild.example.com', wildcardPolicy: 'Subdomain' });
    const bad = await h.berth(['expose', 'svc/web', '--name', 'wild2', '--hostname', '*.other.example.com']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/host.*wildcardPolicy Subdomain/);
    expect(await h.get('routes', 'wild2')).toBeUndefined();
  });

  it('refuses a missing service with a hint, and a bad path at the field', async () => {
    const missing = await h.berth(['expose', 'svc/nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('hint: list them with `berth get svc -n demo`');
    const bad = await h.berth(['expose', 'svc/web', '--name', 'bad', '--path', 'api', '--hostname', 'bad.example.com']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/path/);
    expect(await h.get('routes', 'bad')).toBeUndefined();
  });
});

describe('berth create route', () => {
  it('creates an edge route from certificate files with a Redirect policy', async () => {
    const { cert, key } = selfSigned('secure.example.com');
    writeFileSync(join(dir, 'tls.crt'), cert);
    writeFileSync(join(dir, 'tls.key'), key);
    const r = await h.berth(['create', 'route', 'edge', 'secure', '--service', 'web', '--hostname', 'secure.example.com', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), '--insecure-policy', 'Redirect']);
    expect(r).toEqual({ code: 0, stdout: 'route.route.berth.io/secure exposed at https://secure.example.com:7443\n', stderr: '' });
    expect((await h.get('routes', 'secure')).spec.tls).toMatchObject({ termination: 'edge', certificate: cert, key, insecureEdgeTerminationPolicy: 'Redirect' });
  });

  it('creates a passthrough route, and refuses passthrough with a certificate at the field', async () => {
    expect((await h.berth(['create', 'route', 'passthrough', 'pass', '--service', 'api', '--hostname', 'pass.example.com'])).code).toBe(0);
    const bad = await h.berth(['create', 'route', 'passthrough', 'pass2', '--service', 'api', '--hostname', 'pass2.example.com', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('tls.certificate');
  });

  it('says which file it cannot read, and refuses an unknown termination', async () => {
    const r = await h.berth(['create', 'route', 'edge', 'x', '--service', 'web', '--cert', join(dir, 'missing.crt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read --cert');
    expect((await h.berth(['create', 'route', 'plain', 'x', '--service', 'web'])).code).toBe(2);
  });
});

describe('berth get routes', () => {
  it('prints NAME HOST/PORT PATH SERVICES PORT TERMINATION ADMITTED', async () => {
    const r = await h.berth(['get', 'routes']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAME', 'HOST/PORT', 'PATH', 'SERVICES', 'PORT', 'TERMINATION', 'ADMITTED']);
    expect(rows).toContainEqual(['secure', 'secure.example.com', 'web', '<all>', 'edge/Redirect', 'Pending']);
    expect(rows).toContainEqual(['shop-api', 'shop.example.com', '/api', 'api', '8080', 'Pending']);
    expect(rows).toContainEqual(['web', 'web-demo.apps.localhost', 'web', '<all>', 'True']);
  });
});
