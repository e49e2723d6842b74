// Route admission against DynamoDB Local: the host default, first claim wins across projects,
// paths split a host within a project, a refused claim is admitted once the owner goes,
// wildcards claim their subdomain against other projects (both ways), and the Route schema's
// field errors.
import { describe, expect, it, beforeAll } from 'vitest';
import { routeSpec } from '../../shared/model/route-kinds.ts';
import { judge, routeAdmission } from '../../shared/routing/admission.ts';
import type { Route } from '../../shared/model/objects.ts';
import { isAdmitted } from '../../shared/routing/types.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { selfSigned } from './certs.ts';

let t: TestTable;
let admission: ReturnType<typeof routeAdmission>;

beforeAll(async () => {
  t = await freshTable();
  for (const p of ['shop', 'rival', 'blog']) await t.store.create({ kind: 'Project', metadata: { name: p, project: '' }, spec: {} });
  admission = routeAdmission({ store: t.store, domain: 'apps.localhost' });
});

const ref = (project: string, name: string) => ({ kind: 'Route', project, name });
async function write(project: string, name: string, spec: Record<string, unknown>): Promise<Route> {
  await t.store.create({ kind: 'Route', metadata: { name, project }, spec: routeSpec.parse(spec) });
  await admission.reconcile(ref(project, name));
  return (await t.store.get<Route>(ref(project, name)))!;
}
const admitted = (r: Route) => r.status.ingress[0]?.conditions[0];

describe('route admission', () => {
  it('fills in <route>-<project>.<domain> when the host is empty, and admits it', async () => {
    const r = await write('shop', 'web', { to: { name: 'web' } });
    expect(r.spec.host).toBe('web-shop.apps.localhost');
    expect(isAdmitted(r)).toBe(true);
    expect(r.status.ingress[0]).toMatchObject({ host: 'web-shop.apps.localhost', routerName: 'berth' });
  });

  it("refuses another project's claim on a taken host without naming the owner, and admits it once the owner's route is gone", async () => {
    const owner = await write('shop', 'store', { host: 'store.example.com', to: { name: 'web' } });
    expect(isAdmitted(owner)).toBe(true);
    const later = await write('rival', 'grab', { host: 'store.example.com', to: { name: 'web' } });
    expect(admitted(later)).toMatchObject({ type: 'Admitted', status: 'False', reason: 'HostAlreadyClaimed' });
    expect(admitted(later)!.message).not.toContain('shop');
    expect(admitted(later)!.message).not.toContain('store ');
    const otherPath = await write('rival', 'grab-api', { host: 'store.example.com', path: '/api', to: { name: 'web' } });
    expect(admitted(otherPath)!.reason).toBe('HostAlreadyClaimed');

    await t.store.delete(ref('shop', 'store'));
    await admission.reconcile(ref('shop', 'store'));
    expect(isAdmitted((await t.store.get<Route>(ref('rival', 'grab')))!)).toBe(true);
    expect(isAdmitted((await t.store.get<Route>(ref('rival', 'grab-api')))!)).toBe(true);
  });

  it('lets paths split a host within one project; the same host and path go to the oldest route', async () => {
    expect(isAdmitted(await write('blog', 'root', { host: 'blog.example.com', to: { name: 'web' } }))).toBe(true);
    expect(isAdmitted(await write('blog', 'api', { host: 'blog.example.com', path: '/api', to: { name: 'api' } }))).toBe(true);
    const dup = await write('blog', 'api2', { host: 'blog.example.com', path: '/api', to: { name: 'api' } });
    expect(admitted(dup)).toMatchObject({ status: 'False', reason: 'HostAlreadyClaimed' });
    expect(admitted(dup)!.message).toContain('route api ');
  });

  it('moving a route to another host frees the old one for the waiting project', async () => {
    await write('shop', 'mv', { host: 'mv.example.com', to: { name: 'web' } });
    const waiting = await write('rival', 'mv', { host: 'mv.example.com', to: { name: 'web' } });
    expect(isAdmitted(waiting)).toBe(false);
    const r = (await t.store.get<Route>(ref('shop', 'mv')))!;
    await t.store.update({ ...r, spec: { ...r.spec, host: 'moved.example.com' } });
    await admission.reconcile(ref('shop', 'mv'));
    expect(isAdmitted((await t.store.get<Route>(ref('rival', 'mv')))!)).toBe(true);
    expect(isAdmitted((await t.store.get<Route>(ref('shop', 'mv')))!)).toBe(true);
  });

  it('a generated host that is not a DNS name is InvalidHost', async () => {
    const r = await write('shop', 'x'.repeat(63), { to: { name: 'web' } });
    expect(admitted(r)).toMatchObject({ status: 'False', reason: 'InvalidHost' });
  });

  it("a wildcard claims its subdomain: another project's hosts there are refused, and a wildcard over another project's host is refused", async () => {
    const wild = await write('shop', 'wild', { host: '*.shop.example.net', wildcardPolicy: 'Subdomain', to: { name: 'web' } });
    expect(isAdmitted(wild)).toBe(true);
    const inside = await write('rival', 'inside', { host: 'cart.shop.example.net', to: { name: 'web' } });
    expect(admitted(inside)).toMatchObject({ status: 'False', reason: 'HostAlreadyClaimed' });
    expect(admitted(inside)!.message).toBe('hosts in shop.example.net are already in use by another project');
    // The owner's own hosts in its subdomain, and other projects' hosts elsewhere, are fine.
    expect(isAdmitted(await write('shop', 'cart', { host: 'cart2.shop.example.net', to: { name: 'web' } }))).toBe(true);
    expect(isAdmitted(await write('rival', 'deeper', { host: 'a.b.shop.example.net', to: { name: 'web' } }))).toBe(true);

    // The other way round: a host is taken first, a later wildcard over it from another project is refused.
    expect(isAdmitted(await write('blog', 'first', { host: 'first.blog.example.net', to: { name: 'web' } }))).toBe(true);
    const over = await write('rival', 'over', { host: '*.blog.example.net', wildcardPolicy: 'Subdomain', to: { name: 'web' } });
    expect(admitted(over)).toMatchObject({ status: 'False', reason: 'HostAlreadyClaimed' });
    // Once the owner's wildcard goes, the waiting host is admitted.
    await t.store.delete(ref('shop', 'wild'));
    await admission.reconcile(ref('shop', 'wild'));
    expect(isAdmitted((await t.store.get<Route>(ref('rival', 'inside')))!)).toBe(true);
    // And once the blog host goes, the rival wildcard is.
    await t.store.delete(ref('blog', 'first'));
    await admission.reconcile(ref('blog', 'first'));
    expect(isAdmitted((await t.store.get<Route>(ref('rival', 'over')))!)).toBe(true);
  });

  it('refuses a wildcard over the apps domain itself (InvalidHost)', async () => {
    const r = await write('rival', 'everything', { host: '*.apps.localhost', wildcardPolicy: 'Subdomain', to: { name: 'web' } });
    expect(admitted(r)).toMatchObject({ status: 'False', reason: 'InvalidHost' });
    expect(admitted(r)!.message).toContain('apps domain');
  });

  it('judge is pure: oldest claim wins, then project and name', () => {
    const c = (project: string, route: string, since: string, path = '') => ({ host: 'h.example.com', path, project, route, since });
    expect(judge(c('b', 'r', '2020-01-02'), [c('a', 'r', '2020-01-02'), c('b', 'r', '2020-01-02')]).admitted).toBe(false);
    expect(judge(c('b', 'r', '2020-01-01'), [c('a', 'r', '2020-01-02'), c('b', 'r', '2020-01-01')]).admitted).toBe(true);
    expect(judge(c('a', 'p', '2020-01-03', '/p'), [c('a', 'r', '2020-01-02'), c('a', 'p', '2020-01-03', '/p')]).admitted).toBe(true);
  });
});

describe('route validation', () => {
  const { cert, key } = selfSigned('v.example.com');
  const other = selfSigned('w.example.com');
  const fieldOf = (spec: unknown) => {
    const out = routeSpec.safeParse(spec);
    return out.success ? undefined : out.error.issues.map((i) => i.path.join('.'));
  };
  it.each([
    ['a bad host', { host: 'Not_A_Host', to: { name: 'web' } }, 'host'],
    ['a single-label host', { host: 'localhost', to: { name: 'web' } }, 'host'],
    ['a wildcard without Subdomain', { host: '*.example.com', to: { name: 'web' } }, 'host'],
    ['a path without a leading slash', { host: 'a.example.com', path: 'api', to: { name: 'web' } }, 'path'],
    ['passthrough with a path', { host: 'a.example.com', path: '/x', to: { name: 'web' }, tls: { termination: 'passthrough' } }, 'path'],
    ['passthrough with a certificate', { to: { name: 'web' }, tls: { termination: 'passthrough', certificate: cert, key } }, 'tls.certificate'],
    ['a key without a certificate', { to: { name: 'web' }, tls: { termination: 'edge', key } }, 'tls.key'],
    ['a certificate that does not parse', { to: { name: 'web' }, tls: { termination: 'edge', certificate: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----', key } }, 'tls.certificate'],
    ['a key that does not parse', { to: { name: 'web' }, tls: { termination: 'edge', certificate: cert, key: 'nope' } }, 'tls.key'],
    ["another certificate's key", { to: { name: 'web' }, tls: { termination: 'edge', certificate: cert, key: other.key } }, 'tls.key'],
    ['four alternate backends', { to: { name: 'a' }, alternateBackends: ['b', 'c', 'd', 'e'].map((name) => ({ name })) }, 'alternateBackends'],
  ])('%s is refused at the field', (_what, spec, field) => {
    expect(fieldOf(spec)).toContain(field);
  });

  it('accepts an edge route with a matching certificate and key, and a Subdomain wildcard', () => {
    expect(fieldOf({ host: 'v.example.com', to: { name: 'web' }, tls: { termination: 'edge', certificate: cert, key, insecureEdgeTerminationPolicy: 'Redirect' } })).toBeUndefined();
    expect(fieldOf({ host: '*.example.com', wildcardPolicy: 'Subdomain', to: { name: 'web' } })).toBeUndefined();
  });
});
