// Attack: a tenant wants the platform's importer to fetch from the instance metadata service
// (169.254.169.254, where a host's role credentials live) through `berth import-image`. Naming
// the address is refused at once, so the tenant hides it: a registry they run that redirects
// blob reads there, and a registry name whose DNS answers a harmless address to the check and
// the metadata address to the copy (rebinding). Both are refused with a 422 naming `from`; the
// tenant's stream gets nothing. The same registry serving honestly still imports, so what
// refuses is the policy, not the setup. The tenant's DNS is the test's resolver
// (RegistryDeps.resolveSource); their registry is a front on loopback, which this platform, like
// the test platform, allows as a private source, while link-local addresses never are.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authRegistry, type AuthRegistry } from '../support/registry.ts';
import { pushTestImage, registryFront, scriptedDns } from '../support/import-sources.ts';

const suffix = randomBytes(3).toString('hex');
const PROJECT = `mallory-${suffix}`;
const REPO = `bait-${suffix}/web`;
const METADATA = '169.254.169.254';
let r: AuthRegistry;
let token = '';
/** The tenant's DNS. */
const dns = scriptedDns();

const importFrom = (name: string, from: string) => r.api.call('POST', `/api/v1/projects/${PROJECT}/imagestreamimports`, token, { name, tag: 'latest', from, confirm: true });
const stream = (name: string) => r.api.store.get({ kind: 'ImageStream', project: PROJECT, name });

beforeAll(async () => {
  r = await authRegistry();
  r.deps.allowPrivateSources = true;
  r.deps.resolveSource = dns.resolve;
  token = await r.api.user('mallory');
  expect((await r.api.call('POST', '/api/v1/projects', token, { metadata: { name: PROJECT }, spec: {} })).status).toBe(201);
  await pushTestImage(inject('registryHost'), REPO, '1', 8080);
}, 120_000);

afterAll(async () => {
  await r?.stop();
});

describe('an import cannot be steered to the metadata service', () => {
  it('a registry that redirects blob reads to the metadata address: 422 naming from, nothing imported', async () => {
    const front = await registryFront({ upstream: inject('registryHost'), blobsTo: () => `http://${METADATA}/latest/meta-data/iam/security-credentials/` });
    try {
      dns.answers = { 'evil.localhost': [['127.0.0.1']] };
      const res = await importFrom('redirected', `evil.localhost:${front.port}/${REPO}:1`);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.details[0].field).toBe('from');
      expect(res.body.message).toContain(`${METADATA} is a link-local address`);
      expect(front.requests.some((q) => q.includes('/blobs/'))).toBe(true);
      expect(await stream('redirected')).toBeUndefined();
    } finally {
      await front.stop();
    }
  });

  it('a name that answers loopback to the check and the metadata address to the copy: 422 naming from, nothing imported', async () => {
    dns.answers = { 'rebind.localhost': [['127.0.0.1'], [METADATA]] };
    const res = await importFrom('rebound', `rebind.localhost:${inject('registryHost').split(':')[1]}/${REPO}:1`);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.details[0].field).toBe('from');
    expect(res.body.message).toContain(`rebind.localhost resolves to ${METADATA}`);
    expect(dns.asked['rebind.localhost']).toBeGreaterThanOrEqual(2);
    expect(await stream('rebound')).toBeUndefined();
  });

  it('the same registry front, redirecting to an allowed blob host, imports: the refusals above are the policy\'s', async () => {
    const upstream = inject('registryHost');
    const front = await registryFront({ upstream, blobsTo: (path) => `http://blobs.localhost:${upstream.split(':')[1]}${path}` });
    try {
      dns.answers = { 'evil.localhost': [['127.0.0.1']], 'blobs.localhost': [['127.0.0.1']] };
      const res = await importFrom('honest', `evil.localhost:${front.port}/${REPO}:1`);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.status.exposedPorts).toEqual([8080]);
      expect(await stream('honest')).toBeDefined();
    } finally {
      await front.stop();
    }
  });
});
