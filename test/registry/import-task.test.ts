// The import task's program (agents/builder/import.ts, `main.mjs import` on AWS) against two real
// Distribution registries on loopback: the test's open registry as the outside source, and a
// token-protected registry (as npm run up runs it) standing in for the project's ECR repository.
// A third, with Basic authentication as ECR answers, shows the login the task gets from ECR at work.
// Its exit code is its whole answer to the API: 0 copied, then one per kind of failure.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { importJobFrom, runImport } from '../../agents/builder/import.ts';
import { IMPORT_EXIT_CODES, outcomeOfExit } from '../../shared/registry/import-outcome.ts';
import type { SourcePolicy } from '../../shared/registry/source-policy.ts';
import { PLATFORM_REGISTRY_USER } from '../../shared/registry/types.ts';
import { freePort } from '../../shared/local/ports.ts';
import { startRegistry } from '../../shared/local/registry.ts';
import { authRegistry, type AuthRegistry } from '../support/registry.ts';
import { pushTestImage, registryFront, scriptedDns } from '../support/import-sources.ts';

const suffix = randomBytes(3).toString('hex');
const SOURCE_REPO = `import-task-${suffix}/web`;
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
let r: AuthRegistry;
let source = '';
let platform: { username: string; password: string };
const lines: string[] = [];
const log = (line: string) => lines.push(line);
/** The test's source registry is on loopback: allowed as a private source, as the test platform allows it. */
const policy: SourcePolicy = { allowPrivate: true };

/** The manifest under `tag` in the protected registry, read with the platform's login; undefined when absent. */
async function targetDigest(repo: string, tag: string): Promise<string | undefined> {
  const token = (await r.deps.tokens.sign(PLATFORM_REGISTRY_USER, [{ type: 'repository', name: repo, actions: ['pull'] }])).token;
  const res = await fetch(`http://${r.host}/v2/${repo}/manifests/${tag}`, { headers: { Authorization: `Bearer ${token}`, Accept: MANIFEST } });
  await res.body?.cancel();
  return res.ok ? res.headers.get('docker-content-digest') ?? undefined : undefined;
}

beforeAll(async () => {
  r = await authRegistry();
  platform = { username: PLATFORM_REGISTRY_USER, password: r.deps.platformPassword! };
  const registry = inject('registryHost');
  await pushTestImage(registry, SOURCE_REPO, '1', 9090);
  source = `${registry}/${SOURCE_REPO}:1`;
}, 120_000);

afterAll(async () => {
  await r?.stop();
});

describe('the import task', () => {
  it('copies the source into the one target repository under the tag and exits 0', async () => {
    const code = await runImport({ from: source, target: `${r.host}/shop/web:v1`, maxBytes: 2 ** 20, scheme: 'http', policy }, platform, log);
    expect(code, lines.join('\n')).toBe(0);
    const digest = await targetDigest('shop/web', 'v1');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.at(-1)).toBe(`imported ${source} as ${r.host}/shop/web@${digest} (exposes 9090)`);
  });

  it.each([
    ['a missing tag', () => ({ from: `${inject('registryHost')}/${SOURCE_REPO}:nope`, maxBytes: 2 ** 20 }), 'NotFound'],
    ['a registry that does not answer', () => ({ from: '127.0.0.1:1/org/web:1', maxBytes: 2 ** 20 }), 'SourceUnreachable'],
    ['an image larger than the limit', () => ({ from: source, maxBytes: 1024 }), 'TooLarge'],
  ] as const)('%s exits with its own code and writes nothing', async (_what, job, kind) => {
    const tag = `t-${kind.toLowerCase()}`;
    const code = await runImport({ ...job(), target: `${r.host}/shop/web:${tag}`, scheme: 'http', policy }, platform, log);
    expect(code).toBe(IMPORT_EXIT_CODES[kind]);
    expect(outcomeOfExit(source, code, undefined).reason).toBe(kind);
    expect(await targetDigest('shop/web', tag)).toBeUndefined();
  });

  it('checks the source again where it runs (public sources only unless told): a loopback or private source is SourceRefused, and nothing is copied', async () => {
    for (const from of [source, '10.1.2.3/org/web:1', '169.254.169.254/latest:1']) {
      const code = await runImport({ from, target: `${r.host}/shop/web:rechecked`, maxBytes: 2 ** 20, scheme: 'http' }, platform, log);
      expect(code, from).toBe(IMPORT_EXIT_CODES.SourceRefused);
    }
    expect(outcomeOfExit(source, IMPORT_EXIT_CODES.SourceRefused, undefined).reason).toBe('SourceRefused');
    expect(await targetDigest('shop/web', 'rechecked')).toBeUndefined();
  });

  it('a target that refuses its credentials is TargetRefused', async () => {
    const code = await runImport({ from: source, target: `${r.host}/shop/web:refused`, maxBytes: 2 ** 20, scheme: 'http', policy }, { username: PLATFORM_REGISTRY_USER, password: 'wrong' }, log);
    expect(code).toBe(IMPORT_EXIT_CODES.TargetRefused);
    expect(await targetDigest('shop/web', 'refused')).toBeUndefined();
  });

  it('speaks Basic authentication to a registry that asks for it, as ECR does (user AWS and the login password)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-import-basic-'));
    // bcrypt (cost 4) of "import-task-pass": the htpasswd entry of the registry's one user.
    writeFileSync(join(dir, 'htpasswd'), 'AWS:$2b$04$ZP/MfIYc7am1kc1GoOLhx.G0fNWrznA9LkGLBm6wL.fw0xpqk0Xkm\n');
    const port = await freePort();
    const basic = await startRegistry({ port, dir: join(dir, 'registry'), htpasswd: join(dir, 'htpasswd') });
    try {
      const host = `127.0.0.1:${port}`;
      const anonymous = await fetch(`http://${host}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(await runImport({ from: source, target: `${host}/berth/shop/web:v1`, maxBytes: 2 ** 20, scheme: 'http', policy }, { username: 'AWS', password: 'import-task-pass' }, log)).toBe(0);
      const got = await fetch(`http://${host}/v2/berth/shop/web/manifests/v1`, { headers: { Authorization: `Basic ${Buffer.from('AWS:import-task-pass').toString('base64')}`, Accept: MANIFEST } });
      await got.body?.cancel();
      expect(got.status).toBe(200);
      expect(await runImport({ from: source, target: `${host}/berth/shop/web:v2`, maxBytes: 2 ** 20, scheme: 'http', policy }, { username: 'AWS', password: 'wrong' }, log)).toBe(IMPORT_EXIT_CODES.TargetRefused);
    } finally {
      await basic.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads its job from the environment, naming the variable at fault', () => {
    expect(importJobFrom({ IMPORT_FROM: 'quay.io/a/b:1', IMPORT_TARGET: 'x.dkr.ecr.eu-west-1.amazonaws.com/shop/web:v1', IMPORT_MAX_BYTES: '100' }))
      .toEqual({ from: 'quay.io/a/b:1', target: 'x.dkr.ecr.eu-west-1.amazonaws.com/shop/web:v1', maxBytes: 100, scheme: 'https' });
    expect(() => importJobFrom({ IMPORT_TARGET: 'h/r:t' })).toThrow(/IMPORT_FROM/);
    expect(() => importJobFrom({ IMPORT_FROM: 'a:1', IMPORT_TARGET: 'no-tag' })).toThrow(/IMPORT_TARGET/);
    expect(() => importJobFrom({ IMPORT_FROM: 'a:1', IMPORT_TARGET: 'h/r:t', IMPORT_MAX_BYTES: '-1' })).toThrow(/IMPORT_MAX_BYTES/);
  });
});

// Every connection of the copy is checked as it is opened (shared/registry/pinned-fetch.ts): a
// name is looked up through the policy's resolver (here the test's, so that a name can answer
// one address to the check and another to the copy, as a hostile DNS server would), and each
// redirect is checked before it is followed. Loopback is allowed here (the test's registries);
// the instance metadata service (link-local) never is.
describe('the import task\'s connections are pinned to checked addresses', () => {
  const METADATA = '169.254.169.254';
  const registryPort = () => inject('registryHost').split(':')[1]!;
  const run = (from: string, tag: string, policy: SourcePolicy) => runImport({ from, target: `${r.host}/shop/web:${tag}`, maxBytes: 2 ** 20, scheme: 'http', policy }, platform, log);

  it('a name is looked up again as the copy connects, through the same resolver: a pinned name copies', async () => {
    const dns = scriptedDns({ 'pinned.localhost': [['127.0.0.1']] });
    const code = await run(`pinned.localhost:${registryPort()}/${SOURCE_REPO}:1`, 'pinned', { allowPrivate: true, resolve: dns.resolve });
    expect(code, lines.join('\n')).toBe(0);
    // Once for the check, then for the copy's connection(s): the copy never asked the system's DNS.
    expect(dns.asked['pinned.localhost']).toBeGreaterThanOrEqual(2);
    expect(await targetDigest('shop/web', 'pinned')).toMatch(/^sha256:/);
  });

  it('DNS rebinding: a name that passes the check and then answers the metadata address is refused, nothing copied', async () => {
    const dns = scriptedDns({ 'rebind.localhost': [['127.0.0.1'], [METADATA]] });
    lines.length = 0;
    const code = await run(`rebind.localhost:${registryPort()}/${SOURCE_REPO}:1`, 'rebound', { allowPrivate: true, resolve: dns.resolve });
    expect(code, lines.join('\n')).toBe(IMPORT_EXIT_CODES.SourceRefused);
    expect(lines.at(-1)).toContain(`rebind.localhost resolves to ${METADATA}, a link-local address`);
    expect(await targetDigest('shop/web', 'rebound')).toBeUndefined();
  });

  it('DNS rebinding where only public sources are allowed: a public address for the check, loopback for the copy, and no connection is made', async () => {
    const connections: number[] = [];
    const trap = createServer((socket) => {
      connections.push(1);
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    try {
      // 203.0.113.7 is a documentation address (RFC 5737): public to the policy, and never reached here.
      const dns = scriptedDns({ 'registry.rebind.test': [['203.0.113.7'], ['127.0.0.1']] });
      lines.length = 0;
      const code = await run(`registry.rebind.test:${(trap.address() as AddressInfo).port}/org/web:1`, 'public-rebound', { allowPrivate: false, resolve: dns.resolve });
      expect(code, lines.join('\n')).toBe(IMPORT_EXIT_CODES.SourceRefused);
      expect(lines.at(-1)).toContain('registry.rebind.test resolves to 127.0.0.1, a loopback address');
      expect(dns.asked['registry.rebind.test']).toBe(2);
      expect(connections).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => trap.close(() => resolve()));
    }
  });

  it.each([
    ['to the metadata address', () => `http://${METADATA}/latest/meta-data/iam/security-credentials/`, `${METADATA} is a link-local address`],
    ['to a name that resolves to it', () => 'http://storage.localhost/latest/meta-data/', `storage.localhost resolves to ${METADATA}`],
  ])('a blob redirect %s is refused before connecting, nothing copied', async (_what, to, message) => {
    const front = await registryFront({ upstream: inject('registryHost'), blobsTo: to });
    try {
      const dns = scriptedDns({ 'front.localhost': [['127.0.0.1']], 'storage.localhost': [[METADATA]] });
      lines.length = 0;
      const code = await run(`front.localhost:${front.port}/${SOURCE_REPO}:1`, 'redirected', { allowPrivate: true, resolve: dns.resolve });
      expect(code, lines.join('\n')).toBe(IMPORT_EXIT_CODES.SourceRefused);
      expect(lines.at(-1)).toContain(message);
      expect(front.requests.some((q) => q.includes('/blobs/'))).toBe(true);
      expect(await targetDigest('shop/web', 'redirected')).toBeUndefined();
    } finally {
      await front.stop();
    }
  });

  it('a blob redirect to another scheme is SourceUnreachable, nothing copied', async () => {
    const front = await registryFront({ upstream: inject('registryHost'), blobsTo: () => 'file:///etc/passwd' });
    try {
      lines.length = 0;
      const code = await run(`front.localhost:${front.port}/${SOURCE_REPO}:1`, 'file', { allowPrivate: true, resolve: scriptedDns({ 'front.localhost': [['127.0.0.1']] }).resolve });
      expect(code, lines.join('\n')).toBe(IMPORT_EXIT_CODES.SourceUnreachable);
      expect(lines.at(-1)).toContain('file: is not http or https');
      expect(await targetDigest('shop/web', 'file')).toBeUndefined();
    } finally {
      await front.stop();
    }
  });

  it('a token service at the metadata address is refused', async () => {
    const front = await registryFront({ upstream: inject('registryHost'), blobsTo: () => '', realm: `http://${METADATA}/latest/api/token` });
    try {
      lines.length = 0;
      const code = await run(`front.localhost:${front.port}/${SOURCE_REPO}:1`, 'token', { allowPrivate: true, resolve: scriptedDns({ 'front.localhost': [['127.0.0.1']] }).resolve });
      expect(code, lines.join('\n')).toBe(IMPORT_EXIT_CODES.SourceRefused);
      expect(lines.at(-1)).toContain(`${METADATA} is a link-local address`);
    } finally {
      await front.stop();
    }
  });

  it('a blob redirect to an allowed storage host is followed, each hop checked, and the image copied', async () => {
    const front = await registryFront({ upstream: inject('registryHost'), blobsTo: (path) => `http://blobs.localhost:${registryPort()}${path}` });
    try {
      const dns = scriptedDns({ 'front.localhost': [['127.0.0.1']], 'blobs.localhost': [['127.0.0.1']] });
      const code = await run(`front.localhost:${front.port}/${SOURCE_REPO}:1`, 'via-storage', { allowPrivate: true, resolve: dns.resolve });
      expect(code, lines.join('\n')).toBe(0);
      expect(dns.asked['blobs.localhost']).toBeGreaterThanOrEqual(1);
      expect(await targetDigest('shop/web', 'via-storage')).toMatch(/^sha256:/);
    } finally {
      await front.stop();
    }
  });
});
