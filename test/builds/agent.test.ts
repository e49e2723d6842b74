// The builder agent's whole run of one Build, with real engines: DynamoDB Local for the Build
// and ImageStream, Docker Engine for S2I, the Distribution registry for the push. Success moves
// the tag by digest; each failure ends in the right phase with its reason, the last log lines
// and, where it helps, a suggestion.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBuild, type AgentDeps } from '../../shared/builds/agent.ts';
import { buildConfigReconciler } from '../../shared/builds/buildconfig-reconciler.ts';
import { instantiateBuild, type Build } from '../../shared/builds/instantiate.ts';
import { STEP_LABELS } from '../../shared/builds/s2i/spec.ts';
import { buildSettings } from '../../shared/builds/settings.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { agentDeps, appSource, buildSuite, docker, removeProjectImages } from './support.ts';
import { makeTar } from './tar-fixtures.ts';

const suite = buildSuite('test');
const P = 'agent';
let t: TestTable;
let deps: AgentDeps;

function gitUri(dir: string): string {
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=d@example.com', '-c', 'user.name=D', ...a], { cwd: dir });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'app');
  return `file://${dir}`;
}

/** A BuildConfig and one Build of it, claimed as the reconciler would (Pending with an attempt). */
async function pendingBuild(name: string, source: Record<string, unknown>, from: string, extra: Record<string, unknown> = {}): Promise<{ kind: string; project: string; name: string }> {
  await t.store.create({
    kind: 'BuildConfig',
    metadata: { name, project: P },
    spec: {
      source,
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: from }, env: [], incremental: false, ...extra } },
      output: { to: { kind: 'ImageStreamTag', name: `${name}:latest` } },
      triggers: [], runPolicy: 'Serial', successfulBuildsHistoryLimit: 5, failedBuildsHistoryLimit: 5,
    },
  });
  const b = await instantiateBuild(t.store, P, name, { message: 'test' });
  const ref = { kind: 'Build', project: P, name: b.metadata.name };
  await patchStatus<Build>(t.store, ref, (cur) => ({ ...cur.status, phase: 'Pending', attempt: 'a1', agent: 'test' }));
  return ref;
}

const get = async (ref: { kind: string; project: string; name: string }) => (await t.store.get<Build>(ref))!;

/**
 * How many containers the engine made for the build's steps between `since` and now (epoch s),
 * from its event log: a step container removed meanwhile is counted too, and other tests'
 * containers (made beside this one) are not.
 */
async function stepContainersMade(ref: { name: string }, since: number): Promise<number> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const filters = { type: ['container' as const], event: ['create'], label: [`${STEP_LABELS.project}=${P}`, `${STEP_LABELS.build}=${ref.name}`] };
  const stream = (await docker.getEvents({ since, until, filters })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.split('\n').filter((l) => l.trim()).length;
}

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  // The sample apps are local git repositories: allowed here as PAAS_ALLOW_LOCAL_GIT=1 would.
  deps = agentDeps(t.store, inject('registryHost'), { settings: buildSettings({ PAAS_ALLOW_LOCAL_GIT: '1' }) });
});

afterAll(async () => {
  await removeProjectImages(inject('registryHost'), P);
});

describe('the builder agent', () => {
  it('builds, pushes, records the digest the registry holds, and moves the tag', async () => {
    const ref = await pendingBuild('wsgi', { git: { uri: gitUri(await appSource('wsgi-stdlib')) } }, suite.builder);
    const since = Math.floor(Date.now() / 1000) - 1;
    const phase = await runBuild(deps, ref);
    const b = await get(ref);
    expect(phase, `${JSON.stringify(b.status)}\n${(await deps.logs.read(ref, 0)).text}`).toBe('Complete');
    expect(b.status).toMatchObject({ phase: 'Complete', outputDockerImageReference: `${inject('registryHost')}/${P}/wsgi:latest` });
    const manifest = await fetch(`http://${inject('registryHost')}/v2/${P}/wsgi/manifests/latest`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(b.status.output!.to.imageDigest).toBe(manifest.headers.get('docker-content-digest'));
    expect(b.status.revision!.commit).toMatch(/^[0-9a-f]{40}$/);
    const is = (await t.store.get({ kind: 'ImageStream', project: P, name: 'wsgi' }))!;
    expect((is.status as any).tags[0]).toMatchObject({ tag: 'latest', items: [{ image: b.status.output!.to.imageDigest }] });
    expect((await deps.logs.read(ref, 0)).text).toContain('Push successful');
    // The image carries the build's labels.
    const labels = (await docker.getImage(`${inject('registryHost')}/${P}/wsgi:latest`).inspect()).Config.Labels;
    expect(labels).toMatchObject({ 'io.openshift.build.name': ref.name, 'io.openshift.build.namespace': P, 'io.openshift.build.commit.id': b.status.revision!.commit });
    // The engine's event log shows the build's step containers (the count below can see them).
    expect(await stepContainersMade(ref, since)).toBeGreaterThan(0);
  }, 300_000);

  it('a failing assemble fails the build with the last 50 log lines in its status', async () => {
    const ref = await pendingBuild('failing', { git: { uri: gitUri(await appSource('failing')) } }, suite.builder);
    expect(await runBuild(deps, ref)).toBe('Failed');
    const b = await get(ref);
    expect(b.status.phase).toBe('Failed');
    expect(b.status.reason).toBeTruthy();
    const lines = b.status.logSnippet!.split('\n');
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(b.status.logSnippet).toMatch(/error|ERROR|No matching distribution|Could not find/);
  }, 300_000);

  it('source with no way to start fails with a suggestion', async () => {
    const ref = await pendingBuild('nostart', { git: { uri: gitUri(await appSource('no-start')) } }, suite.builder);
    expect(await runBuild(deps, ref)).toBe('Failed');
    expect((await get(ref)).status.message).toContain('add app.py, wsgi.py or APP_SCRIPT');
  }, 300_000);

  it('a missing builder image is an Error naming the image', async () => {
    const missing = `${inject('registryHost')}/${P}/no-such-builder:1`;
    const ref = await pendingBuild('nobuilder', { git: { uri: gitUri(await appSource('wsgi-stdlib')) } }, missing);
    expect(await runBuild(deps, ref)).toBe('Error');
    const b = await get(ref);
    expect(b.status.phase).toBe('Error');
    expect(b.status.message).toContain(missing);
  }, 120_000);

  it('an uploaded archive that escapes its directory fails before any container runs', async () => {
    const ref = await pendingBuild('evil', { binary: {} }, suite.builder);
    const tar = await makeTar([{ name: 'app.py', body: 'print(1)\n' }, { name: '../../escape.txt', body: 'x' }]);
    const { Readable } = await import('node:stream');
    await deps.sources.put(ref, Readable.from(tar), 1024 * 1024);
    const since = Math.floor(Date.now() / 1000) - 1;
    expect(await runBuild(deps, ref)).toBe('Failed');
    const b = await get(ref);
    expect(b.status).toMatchObject({ phase: 'Failed', reason: 'InvalidSourceArchive' });
    expect(await stepContainersMade(ref, since)).toBe(0);
  }, 120_000);

  it('deleting the ImageStream removes its images from the registry', async () => {
    const url = `http://${inject('registryHost')}/v2/${P}/wsgi/manifests/latest`;
    const head = () => fetch(url, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } }).then((r) => r.status);
    expect(await head()).toBe(200);
    const reconciler = buildConfigReconciler(t.store, deps.registry);
    await reconciler.reconcile({ kind: 'ImageStream', project: P, name: 'wsgi' });
    expect(await head()).toBe(200); // still there while the ImageStream exists
    await t.store.delete({ kind: 'ImageStream', project: P, name: 'wsgi' });
    await reconciler.reconcile({ kind: 'ImageStream', project: P, name: 'wsgi' });
    expect(await head()).toBe(404);
  });

  it('stops a running build that was cancelled when no stop reached it, by reading its Build every watchMs', async () => {
    const ref = await pendingBuild('unstopped', { git: { uri: gitUri(await appSource('wsgi-stdlib')) } }, suite.builder);
    let aborted: unknown;
    let started!: () => void;
    const s2iStarted = new Promise<void>((resolve) => (started = resolve));
    // An S2I step that runs until it is stopped.
    const s2iBuild: AgentDeps['engine']['s2iBuild'] = (_docker, req) =>
      new Promise((_resolve, reject) => {
        req.signal!.addEventListener('abort', () => reject((aborted = req.signal!.reason)));
        started();
      });
    const run = runBuild({ ...deps, engine: { ...deps.engine, s2iBuild }, watchMs: 200 }, ref);
    await s2iStarted;
    const running = await get(ref);
    expect(running.status.phase).toBe('Running');
    await t.store.replace(ref, { resourceVersion: running.metadata.resourceVersion, labels: running.metadata.labels, annotations: running.metadata.annotations, spec: { ...running.spec, cancelled: true } });
    // Not this agent's to finish: the build reconciler records Cancelled.
    expect(await run).toBeUndefined();
    expect(String(aborted)).toContain('cancelled or taken over');
    expect((await get(ref)).status.phase).toBe('Running');
  });

  it('does nothing with a build that is not Pending (another agent, or cancelled)', async () => {
    const ref = await pendingBuild('taken', { git: { uri: gitUri(await appSource('wsgi-stdlib')) } }, suite.builder);
    await patchStatus<Build>(t.store, ref, (cur) => ({ ...cur.status, phase: 'Running' }));
    expect(await runBuild(deps, ref)).toBeUndefined();
    expect((await get(ref)).status.phase).toBe('Running');
  });
});
