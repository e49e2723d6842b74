// The import task's program (agents/builder/import.ts, `main.mjs import` on AWS) against two real
// Distribution registries on loopback: the test's open registry as the outside source, and a
// token-protected registry (as npm run up runs it) standing in for the project's ECR repository.
// A third, with Basic authentication as ECR answers, shows the login the task gets from ECR at work.
// Its exit code is its whole answer to the API: 0 copied, then one per kind of failure.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { importJobFrom, runImport } from '../../agents/builder/import.ts';
import { IMPORT_EXIT_CODES, outcomeOfExit } from '../../shared/registry/import-outcome.ts';
import { PLATFORM_REGISTRY_USER } from '../../shared/registry/types.ts';
import { freePort } from '../../shared/local/ports.ts';
import { startRegistry } from '../../shared/local/registry.ts';
import { authRegistry, type AuthRegistry } from '../support/registry.ts';

const suffix = randomBytes(3).toString('hex');
const SOURCE_REPO = `import-task-${suffix}/web`;
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
let r: AuthRegistry;
let source = '';
let platform: { username: string; password: string };
const lines: string[] = [];
const log = (line: string) => lines.push(line);

async function putBlob(registry: string, repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const start = await fetch(`http://${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const put = new URL(start.headers.get('location')!, `http://${registry}`);
  put.searchParams.set('digest', digest);
  expect((await fetch(put, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes })).status).toBe(201);
  return { digest, size: bytes.length };
}

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
  const config = await putBlob(registry, SOURCE_REPO, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { ExposedPorts: { '9090/tcp': {} } }, rootfs: { type: 'layers', diff_ids: [] } })));
  const layer = await putBlob(registry, SOURCE_REPO, randomBytes(4096));
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer }] });
  expect((await fetch(`http://${registry}/v2/${SOURCE_REPO}/manifests/1`, { method: 'PUT', headers: { 'Content-Type': MANIFEST }, body: manifest })).status).toBe(201);
  source = `${registry}/${SOURCE_REPO}:1`;
}, 120_000);

afterAll(async () => {
  await r?.stop();
});

describe('the import task', () => {
  it('copies the source into the one target repository under the tag and exits 0', async () => {
    const code = await runImport({ from: source, target: `${r.host}/shop/web:v1`, maxBytes: 2 ** 20, scheme: 'http' }, platform, log);
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
    const code = await runImport({ ...job(), target: `${r.host}/shop/web:${tag}`, scheme: 'http' }, platform, log);
    expect(code).toBe(IMPORT_EXIT_CODES[kind]);
    expect(outcomeOfExit(source, code, undefined).reason).toBe(kind);
    expect(await targetDigest('shop/web', tag)).toBeUndefined();
  });

  it('checks the source again where it runs: a loopback or private source is SourceRefused, and nothing is copied', async () => {
    for (const from of [source, '10.1.2.3/org/web:1', '169.254.169.254/latest:1']) {
      const code = await runImport({ from, target: `${r.host}/shop/web:rechecked`, maxBytes: 2 ** 20, scheme: 'http', recheckSource: true }, platform, log);
      expect(code, from).toBe(IMPORT_EXIT_CODES.SourceRefused);
    }
    expect(outcomeOfExit(source, IMPORT_EXIT_CODES.SourceRefused, undefined).reason).toBe('SourceRefused');
    expect(await targetDigest('shop/web', 'rechecked')).toBeUndefined();
  });

  it('a target that refuses its credentials is TargetRefused', async () => {
    const code = await runImport({ from: source, target: `${r.host}/shop/web:refused`, maxBytes: 2 ** 20, scheme: 'http' }, { username: PLATFORM_REGISTRY_USER, password: 'wrong' }, log);
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
      expect(await runImport({ from: source, target: `${host}/berth/shop/web:v1`, maxBytes: 2 ** 20, scheme: 'http' }, { username: 'AWS', password: 'import-task-pass' }, log)).toBe(0);
      const got = await fetch(`http://${host}/v2/berth/shop/web/manifests/v1`, { headers: { Authorization: `Basic ${Buffer.from('AWS:import-task-pass').toString('base64')}`, Accept: MANIFEST } });
      await got.body?.cancel();
      expect(got.status).toBe(200);
      expect(await runImport({ from: source, target: `${host}/berth/shop/web:v2`, maxBytes: 2 ** 20, scheme: 'http' }, { username: 'AWS', password: 'wrong' }, log)).toBe(IMPORT_EXIT_CODES.TargetRefused);
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
