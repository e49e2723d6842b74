// What a finished build says about itself: the output image's source label names what the user
// gave (the uploaded archive's name, the git URL without credentials, the ref), never where the
// agent unpacked it; the duration runs from the launch of the agent to the end, as the Build's
// own timestamps say; a builder image that is not an S2I builder fails the build saying what it
// lacks. Real engines, fake S2I builders.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBuild, sourceLocationOf, type AgentDeps } from '../../shared/builds/agent.ts';
import { SOURCE_ARCHIVE_ANNOTATION, instantiateBuild, type Build } from '../../shared/builds/instantiate.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { BARE_BUSYBOX, fakeBuilder } from './fake-builders.ts';
import { agentDeps, appSource, docker, removeProjectImages, tagSuite } from './support.ts';
import { makeTar } from './tar-fixtures.ts';
import { buildSettings } from '../../shared/builds/settings.ts';

const P = 'provenance';
const tag = tagSuite();
let t: TestTable;
let deps: AgentDeps;
let builder: string;

type Ref = { kind: string; project: string; name: string };

/** A BuildConfig and one Build of it, launched as the reconciler launches it (Pending, started `startedMsAgo`). */
async function pendingBuild(name: string, source: Record<string, unknown>, opts: { annotations?: Record<string, string>; startedMsAgo?: number; builder?: string } = {}): Promise<Ref> {
  await t.store.create({
    kind: 'BuildConfig',
    metadata: { name, project: P },
    spec: {
      source,
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: opts.builder ?? builder }, env: [], incremental: false } },
      output: { to: { kind: 'ImageStreamTag', name: `${name}:latest` } },
      triggers: [], runPolicy: 'Serial', successfulBuildsHistoryLimit: 5, failedBuildsHistoryLimit: 5,
    },
  });
  const b = await instantiateBuild(t.store, P, name, { message: 'test', annotations: opts.annotations });
  const ref = { kind: 'Build', project: P, name: b.metadata.name };
  const startTimestamp = opts.startedMsAgo === undefined ? undefined : new Date(Date.now() - opts.startedMsAgo).toISOString();
  await patchStatus<Build>(t.store, ref, (cur) => ({ ...cur.status, phase: 'Pending', attempt: 'a1', agent: 'test', ...(startTimestamp ? { startTimestamp } : {}) }));
  return ref;
}

const labelsOf = async (name: string) => (await docker.getImage(`${inject('registryHost')}/${P}/${name}:latest`).inspect()).Config.Labels ?? {};

function gitRepo(dir: string): string {
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=d@example.com', '-c', 'user.name=D', ...a], { cwd: dir });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'app');
  git('branch', 'release');
  return dir;
}

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  builder = await fakeBuilder(tag('provenance-builder'));
  // The git build clones a local repository: allowed here as PAAS_ALLOW_LOCAL_GIT=1 would.
  deps = agentDeps(t.store, inject('registryHost'), { settings: buildSettings({ PAAS_ALLOW_LOCAL_GIT: '1' }), imageChecks: false });
}, 180_000);

afterAll(async () => {
  await removeProjectImages(inject('registryHost'), P);
});

describe('the source label of a build', () => {
  it('a binary build is labelled with the uploaded archive\'s name, and no label names a path of the build host', async () => {
    const ref = await pendingBuild('upload', { binary: {} }, { annotations: { [SOURCE_ARCHIVE_ANNOTATION]: 'shop.tar.gz' } });
    await deps.sources.put(ref, Readable.from(await makeTar([{ name: 'message', body: 'hi' }])), 1024 * 1024);
    expect(await runBuild(deps, ref)).toBe('Complete');
    const labels = await labelsOf('upload');
    expect(labels['io.openshift.build.source-location']).toBe('uploaded archive shop.tar.gz');
    expect(Object.values(labels).filter((v) => v.startsWith('/') || v.includes(tmpdir()))).toEqual([]);
  }, 120_000);

  it('a binary build without a name is an "uploaded archive"', async () => {
    const ref = await pendingBuild('upload-unnamed', { binary: {} });
    await deps.sources.put(ref, Readable.from(await makeTar([{ name: 'message', body: 'hi' }])), 1024 * 1024);
    expect(await runBuild(deps, ref)).toBe('Complete');
    expect((await labelsOf('upload-unnamed'))['io.openshift.build.source-location']).toBe('uploaded archive');
  }, 120_000);

  it('a git build is labelled with the URL as given (without credentials) and the ref', async () => {
    const repo = gitRepo(await appSource(undefined, { message: 'from git' }));
    const ref = await pendingBuild('from-git', { git: { uri: `file://${repo}`, ref: 'release' } });
    expect(await runBuild(deps, ref)).toBe('Complete');
    const labels = await labelsOf('from-git');
    expect(labels).toMatchObject({ 'io.openshift.build.source-location': `file://${repo}`, 'io.openshift.build.commit.ref': 'release' });
    expect(labels['io.openshift.build.commit.id']).toMatch(/^[0-9a-f]{40}$/);
  }, 120_000);


  it.each([
    ['https://user:s3cret@git.example/shop.git', 'https://git.example/shop.git'],
    ['https://x-access-token:ghp_abc@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://git.example/shop.git', 'https://git.example/shop.git'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
  ])('the git URL %s is labelled %s', (uri, label) => {
    const b = { metadata: { annotations: {} }, spec: { source: { git: { uri } } } } as unknown as Build;
    expect(sourceLocationOf(b)).toBe(label);
  });
});

describe('the duration of a build', () => {
  it('runs from the launch of its agent to its end, and matches its timestamps', async () => {
    const ref = await pendingBuild('timed', { binary: {} }, { startedMsAgo: 3000 });
    const launched = (await t.store.get<Build>(ref))!.status.startTimestamp!;
    await deps.sources.put(ref, Readable.from(await makeTar([{ name: 'message', body: 'hi' }])), 1024 * 1024);
    expect(await runBuild(deps, ref)).toBe('Complete');
    const { status } = (await t.store.get<Build>(ref))!;
    expect(status.startTimestamp).toBe(launched);
    expect(status.duration).toBe(Date.parse(status.completionTimestamp!) - Date.parse(launched));
    expect(status.duration).toBeGreaterThanOrEqual(3000);
  }, 120_000);
});

describe('a builder image that is not an S2I builder', () => {
  it.each([
    ['without the scripts URL label', { noScriptsLabel: true }, 'ScriptsNotFound', 'it has no io.openshift.s2i.scripts-url label'],
    ['without /usr/bin/env', { from: BARE_BUSYBOX }, 'NotS2IBuilder', 'it has no /usr/bin/env, which runs the S2I scripts'],
  ])('%s fails the build, whose status names what is missing', async (what, options, reason, missing) => {
    const image = await fakeBuilder(tag(`not-s2i-${reason.toLowerCase()}`), options);
    const name = `not-s2i-${reason.toLowerCase()}`;
    const ref = await pendingBuild(name, { binary: {} }, { builder: image });
    await deps.sources.put(ref, Readable.from(await makeTar([{ name: 'message', body: 'hi' }])), 1024 * 1024);
    expect(await runBuild(deps, ref), what).toBe('Failed');
    const { status } = (await t.store.get<Build>(ref))!;
    expect(status.reason).toBe(reason);
    expect(status.message).toContain(`builder image "${image}" is not an S2I builder: ${missing}`);
  }, 120_000);
});
