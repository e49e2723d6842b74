// Attack: a stranger's build reads the platform's disk or network through its git source — a
// file:// or host-path URI, a loopback, link-local or metadata address, a host name that resolves
// to one, a ref or commit shaped like a git option, a contextDir that is a symlink in the
// repository leading to a host directory. The API refuses each with a 422 naming the field and
// stores nothing; the builder agent, given such a Build anyway, refuses it again before anything
// runs, clones in a container, and never lets a host file into the build's log or image.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBuild, type AgentDeps } from '../../shared/builds/agent.ts';
import { fetchGitInContainer } from '../../shared/builds/git-fetch.ts';
import type { Build } from '../../shared/builds/instantiate.ts';
import { buildSettings } from '../../shared/builds/settings.ts';
import type { ObjectRef } from '../../shared/model/types.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { agentDeps, appSource, buildSuite, docker } from '../builds/support.ts';
import { bareRepo, serveGit, storedBuild, stranger, type GitServer } from './build-support.ts';

const suite = buildSuite('test');
const VICTIM_SECRET = `platform-secret-${Math.random().toString(36).slice(2)}`;
const MARKER = join(tmpdir(), `berth-sec-pwned-${process.pid}`);
let api: TestApi;
let token: string;
let hostDir: string;
let server: GitServer;
let strict: AgentDeps;
let devMode: AgentDeps;
const P = 'mallory-src';

/** A host directory holding a platform secret; a git repository too, so that a clone of it would work. */
function platformDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-host-secret-'));
  writeFileSync(join(dir, 'secret.txt'), VICTIM_SECRET);
  writeFileSync(join(dir, 'app.py'), 'print(open("secret.txt").read())\n');
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=p@example.com', '-c', 'user.name=P', ...a], { cwd: dir });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'platform');
  return dir;
}

const s2i = () => ({ type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: suite.builder }, env: [], incremental: false } });
const bc = (git: Record<string, unknown>) => ({
  metadata: { name: 'app' },
  spec: { source: { git }, strategy: s2i(), output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } } },
});

async function outcome(deps: AgentDeps, ref: ObjectRef): Promise<{ phase?: string; build: Build; log: string }> {
  const phase = await runBuild(deps, ref);
  return { phase, build: (await deps.store.get<Build>(ref))!, log: (await deps.logs.read(ref, 0)).text };
}

async function pushed(repo: string): Promise<number> {
  const res = await fetch(`http://${inject('registryHost')}/v2/${repo}/manifests/latest`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  return res.status;
}

beforeAll(async () => {
  api = await testApi();
  token = await stranger(api, 'mallory', P);
  hostDir = platformDirectory();
  // The stranger's repository: an app whose context directory is a link to the host directory.
  const linked = await appSource('wsgi-stdlib');
  symlinkSync(hostDir, join(linked, 'ctx'));
  const good = await appSource('wsgi-stdlib');
  const served = mkdtempSync(join(tmpdir(), 'berth-sec-served-'));
  execFileSync('mv', [bareRepo(linked), join(served, 'linked.git')]);
  execFileSync('mv', [bareRepo(good), join(served, 'good.git')]);
  server = await serveGit(served);
  strict = agentDeps(api.store, inject('registryHost'), { settings: buildSettings({}) });
  // Tests serve git on loopback, which only PAAS_ALLOW_LOCAL_GIT=1 lets through.
  devMode = agentDeps(api.store, inject('registryHost'), { settings: buildSettings({ PAAS_ALLOW_LOCAL_GIT: '1' }) });
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(hostDir, { recursive: true, force: true });
  rmSync(MARKER, { force: true });
});

describe('the API refuses git sources that lead into the platform', () => {
  it.each([
    ['a file:// URL', () => `file://${hostDir}`],
    ['a host path', () => hostDir],
    ['a loopback address (DynamoDB Local)', () => 'http://127.0.0.1:7800/x.git'],
    ['localhost', () => 'http://localhost:7500/x.git'],
    ['IPv6 loopback', () => 'http://[::1]/x.git'],
    ['loopback as a decimal number', () => 'git://2130706433/x.git'],
    ['the metadata service', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a metadata host name', () => 'http://metadata.google.internal/x.git'],
    ['a private address', () => 'ssh://git@10.0.0.2/x.git'],
    ['the ext transport', () => 'ext::sh -c touch% /tmp/pwned'],
    ['an scp-style address to loopback', () => 'git@127.0.0.1:x.git'],
    ['an option', () => '--upload-pack=touch /tmp/pwned'],
  ])('%s is a 422 naming spec.source.git.uri, and nothing is stored', async (_, uri) => {
    const res = await api.call('POST', `/api/v1/projects/${P}/buildconfigs`, token, bc({ uri: uri() }));
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'spec.source.git.uri' })]));
    expect((await api.call('GET', `/api/v1/projects/${P}/buildconfigs/app`, token)).status).toBe(404);
  });

  it('a ref shaped like an option is a 422 naming spec.source.git.ref', async () => {
    const res = await api.call('POST', `/api/v1/projects/${P}/buildconfigs`, token, bc({ uri: 'https://git.example.com/me/app.git', ref: '--upload-pack=touch /tmp/pwned' }));
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'spec.source.git.ref' })]);
  });

  it('a Build whose commit is shaped like an option is a 422 naming spec.revision.commit', async () => {
    const res = await api.call('POST', `/api/v1/projects/${P}/builds`, token, {
      metadata: { name: 'app-9' },
      spec: { ...bc({ uri: 'https://git.example.com/me/app.git' }).spec, revision: { commit: '--upload-pack=touch /tmp/pwned' } },
    });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'spec.revision.commit' })]);
    expect((await api.call('GET', `/api/v1/projects/${P}/builds/app-9`, token)).status).toBe(404);
  });

  it('https and ssh URLs to other hosts are accepted', async () => {
    expect((await api.call('POST', `/api/v1/projects/${P}/buildconfigs`, token, bc({ uri: 'https://git.example.com/me/app.git', ref: 'release/1.2' }))).status).toBe(201);
    const ssh = { ...bc({ uri: 'ssh://git@git.example.com/me/app.git' }), metadata: { name: 'app-ssh' } };
    expect((await api.call('POST', `/api/v1/projects/${P}/buildconfigs`, token, ssh)).status).toBe(201);
  });
});

describe('the builder agent, given such a Build anyway', () => {
  it('refuses a file:// source of a host directory: no clone, no image, the secret nowhere', async () => {
    const ref = await storedBuild(api.store, P, 'hostfile', { source: { git: { uri: `file://${hostDir}` } }, strategy: s2i() });
    const { phase, build, log } = await outcome(strict, ref);
    expect(phase).toBe('Failed');
    expect(build.status).toMatchObject({ phase: 'Failed', reason: 'InvalidBuildSpec' });
    expect(build.status.message).toContain('spec.source.git.uri');
    expect(log).not.toContain(VICTIM_SECRET);
    expect(await pushed(`${P}/hostfile`)).toBe(404);
  }, 120_000);

  it('refuses a loopback URL when local git is not allowed', async () => {
    const ref = await storedBuild(api.store, P, 'loopback', { source: { git: { uri: `${server.url}/good.git` } }, strategy: s2i() });
    const { build } = await outcome(strict, ref);
    expect(build.status).toMatchObject({ phase: 'Failed', reason: 'InvalidBuildSpec' });
  }, 60_000);

  it('refuses a commit shaped like a git option before anything runs', async () => {
    const ref = await storedBuild(api.store, P, 'option', { source: { git: { uri: `${server.url}/good.git` } }, strategy: s2i() }, { commit: `--upload-pack=touch ${MARKER}` });
    const { build } = await outcome(devMode, ref);
    expect(build.status).toMatchObject({ phase: 'Failed', reason: 'InvalidBuildSpec' });
    expect(build.status.message).toContain('spec.revision.commit');
    expect(existsSync(MARKER)).toBe(false);
  }, 60_000);

  it('a contextDir that is a symlink to a host directory fails; the host files reach neither log nor image', async () => {
    const ref = await storedBuild(api.store, P, 'linked', { source: { git: { uri: `${server.url}/linked.git` }, contextDir: 'ctx' }, strategy: s2i() });
    const { phase, build, log } = await outcome(devMode, ref);
    expect(phase, JSON.stringify(build.status)).toBe('Failed');
    expect(log).not.toContain(VICTIM_SECRET);
    expect(build.status.logSnippet ?? '').not.toContain(VICTIM_SECRET);
    expect(await pushed(`${P}/linked`)).toBe(404);
  }, 120_000);

  it('a host name that resolves to the metadata service is refused before any fetch', async () => {
    await expect(fetchGitInContainer(docker, {
      uri: 'https://git.attacker.example/app.git', image: devMode.settings!.fetchImage, policy: { allowLocal: false },
      maxBytes: 1 << 20, memoryBytes: 1 << 28, nanoCpus: 1e9, timeoutMs: 10_000, log: () => undefined,
      resolve: async () => ['169.254.169.254'],
    })).rejects.toMatchObject({ reason: 'InvalidGitSource' });
  });

  it('a repository on an allowed host is cloned (in a container) and built at its commit', async () => {
    const ref = await storedBuild(api.store, P, 'good', { source: { git: { uri: `${server.url}/good.git`, ref: 'main' } }, strategy: s2i() });
    const { phase, build, log } = await outcome(devMode, ref);
    expect(phase, `${JSON.stringify(build.status)}\n${log}`).toBe('Complete');
    expect(build.status.revision?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(log).toContain('Cloning');
    expect(await pushed(`${P}/good`)).toBe(200);
  }, 300_000);
});
