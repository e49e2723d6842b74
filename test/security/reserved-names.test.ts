// Attack: a stranger names a project after the namespace that holds the platform's builder
// images (`<registry>/berth/python` locally, `berth/s2i/*` on ECR) and pushes or deletes images
// there, or takes a name the platform needs (openshift, default, kube-*, berth-*). Through the
// real API, the CLI, and the real local registry adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../shared/builds/local-adapters.ts';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { ECRClient } from '@aws-sdk/client-ecr';
import { startCli, type CliHarness } from '../cli/harness.ts';

let h: CliHarness;
let stranger: string;

beforeAll(async () => {
  h = await startCli();
  stranger = await h.api.user('stranger');
});
afterAll(() => h?.close());

describe('reserved names', () => {
  it.each(['berth', 's2i', 'builder', 'openshift', 'default', 'system', 'kube-system', 'kube-public', 'berth-registry', 'openshift-infra'])(
    'a tenant cannot create project "%s": 403 naming metadata.name, nothing written',
    async (name) => {
      const res = await h.api.call('POST', '/api/v1/projects', stranger, { metadata: { name } });
      expect(res.status).toBe(403);
      expect(res.body.details[0].field).toBe('metadata.name');
      expect(await h.api.store.get({ kind: 'Project', project: '', name })).toBeUndefined();
    },
  );

  it('the CLI says so, and the project does not appear', async () => {
    expect((await h.login('stranger')).code).toBe(0);
    const out = await h.berth(['new-project', 'berth'], 'stranger');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/metadata\.name/);
    expect(await h.api.store.get({ kind: 'Project', project: '', name: 'berth' })).toBeUndefined();
  });

  it("not even a cluster-admin can make a project where the platform's images live; it may make openshift", async () => {
    expect((await h.api.call('POST', '/api/v1/projects', h.api.adminToken, { metadata: { name: 'berth' } })).status).toBe(403);
    expect((await h.api.call('POST', '/api/v1/projects', h.api.adminToken, { metadata: { name: 'openshift' } })).status).toBe(201);
  });

  it("a project that already has such a name never reaches the platform's repositories", async () => {
    const local = new LocalRegistry('127.0.0.1:7500');
    expect(() => local.repository('berth', 'python')).toThrow(/platform's image namespace/);
    // Deleting its ImageStream "python" would delete berth/python's tags: refused before any request.
    await expect(local.deleteRepository('berth', 'python')).rejects.toThrow(/platform's image namespace/);
    expect(local.repository('shop', 'python')).toBe('127.0.0.1:7500/shop/python');
    const ecr = new EcrRegistry({ client: new ECRClient({ region: 'eu-west-1' }), host: '1.dkr.ecr.eu-west-1.amazonaws.com' });
    expect(() => ecr.repositoryName('s2i', 'python')).toThrow(/platform's image namespace/);
    await expect(ecr.deleteRepository('s2i', 'python')).rejects.toThrow(/platform's image namespace/);
    expect(ecr.repositoryName('shop', 'python')).toBe('berth/shop/python');
  });

  it('ordinary names stay open', async () => {
    expect((await h.api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'berthing' } })).status).toBe(201);
  });
});
