// The build and BuildConfig reconcilers against DynamoDB Local, with real agent processes
// (a stand-in program that only sleeps, launched by the local launcher): launch, run policies,
// cancel, deadline, a killed agent, history limits, ConfigChange and ImageChange triggers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReconciler } from '../../shared/builds/build-reconciler.ts';
import { buildConfigReconciler } from '../../shared/builds/buildconfig-reconciler.ts';
import { recordImage } from '../../shared/builds/agent.ts';
import { instantiateBuild, type Build } from '../../shared/builds/instantiate.ts';
import { FileBuildLogs, FileSourceArchives } from '../../shared/builds/local-adapters.ts';
import { LocalProcessLauncher } from '../../shared/builds/local-launcher.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
let launcher: LocalProcessLauncher;
let builds: ReturnType<typeof buildReconciler>;
let configs: ReturnType<typeof buildConfigReconciler>;
const dir = mkdtempSync(join(tmpdir(), 'berth-bld-'));
const logs = new FileBuildLogs(join(dir, 'logs'));
const sources = new FileSourceArchives(join(dir, 'src'));
const P = 'bld';

const bcSpec = (over: Record<string, unknown> = {}) => ({
  source: { git: { uri: 'file:///src' } },
  strategy: { type: 'Source', sourceStrategy: { from: { kind: 'ImageStreamTag', name: 'python:3.11' }, env: [], incremental: false } },
  output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } },
  triggers: [],
  runPolicy: 'Serial',
  successfulBuildsHistoryLimit: 5,
  failedBuildsHistoryLimit: 5,
  ...over,
});
const ref = (name: string) => ({ kind: 'Build', project: P, name });
const get = async (name: string) => (await t.store.get<Build>(ref(name)))!;

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  launcher = new LocalProcessLauncher({ command: ['sleep', '60'], env: process.env });
  builds = buildReconciler({ store: t.store, launcher, logs, sources });
  configs = buildConfigReconciler(t.store);
});

afterAll(async () => {
  await launcher.stopAll();
});

describe('build reconciler', () => {
  it('launches an agent for a new build and watches it', async () => {
    await t.store.create({ kind: 'BuildConfig', metadata: { name: 'one', project: P }, spec: bcSpec() });
    const b = await instantiateBuild(t.store, P, 'one', { message: 'test' });
    expect(b.metadata.name).toBe('one-1');
    const r = await builds.reconcile(ref('one-1'));
    expect(r.requeueAfter).toBeGreaterThan(0);
    const after = await get('one-1');
    expect(after.status.phase).toBe('Pending');
    expect(after.status.agent).toMatch(/^local:\d+$/);
    expect(await launcher.running(after.status.agent!)).toBe(true);
    // Reconciling again launches nothing new.
    await builds.reconcile(ref('one-1'));
    expect((await get('one-1')).status.agent).toBe(after.status.agent);
  });

  it('Serial: the second build waits for the first', async () => {
    await instantiateBuild(t.store, P, 'one', { message: 'second' });
    const r = await builds.reconcile(ref('one-2'));
    expect(r.requeueAfter).toBeGreaterThan(0);
    expect((await get('one-2')).status.phase).toBe('New');
  });

  it('cancelling a running build stops its agent and marks it Cancelled', async () => {
    const b = await get('one-1');
    await t.store.replace(ref('one-1'), { resourceVersion: b.metadata.resourceVersion, labels: b.metadata.labels, annotations: b.metadata.annotations, spec: { ...b.spec, cancelled: true } });
    await builds.reconcile(ref('one-1'));
    const after = await get('one-1');
    expect(after.status).toMatchObject({ phase: 'Cancelled', reason: 'CancelledBuild' });
    await expect.poll(() => launcher.running(b.status.agent!), { timeout: 5000 }).toBe(false);
    // Now the waiting build goes.
    await builds.reconcile(ref('one-2'));
    expect((await get('one-2')).status.phase).toBe('Pending');
  });

  it('an agent killed mid-build leaves the build in Error, not Running', async () => {
    await patchStatus<Build>(t.store, ref('one-2'), (b) => ({ ...b.status, phase: 'Running', startTimestamp: new Date().toISOString() }));
    const agent = (await get('one-2')).status.agent!;
    process.kill(Number(agent.split(':')[1]), 'SIGKILL');
    await expect.poll(() => launcher.running(agent), { timeout: 5000 }).toBe(false);
    await builds.reconcile(ref('one-2'));
    expect((await get('one-2')).status).toMatchObject({ phase: 'Error', reason: 'BuilderLost' });
  });

  it('a build past its completion deadline fails with the reason', async () => {
    await t.store.create({ kind: 'BuildConfig', metadata: { name: 'slow', project: P }, spec: bcSpec({ completionDeadlineSeconds: 1 }) });
    await instantiateBuild(t.store, P, 'slow', { message: 'test' });
    await builds.reconcile(ref('slow-1'));
    await patchStatus<Build>(t.store, ref('slow-1'), (b) => ({ ...b.status, phase: 'Running', startTimestamp: new Date(Date.now() - 2000).toISOString() }));
    const agent = (await get('slow-1')).status.agent!;
    await builds.reconcile(ref('slow-1'));
    expect((await get('slow-1')).status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    await expect.poll(() => launcher.running(agent), { timeout: 5000 }).toBe(false);
  });

  it('keeps finished builds within the history limits', async () => {
    await t.store.create({ kind: 'BuildConfig', metadata: { name: 'hist', project: P }, spec: bcSpec({ successfulBuildsHistoryLimit: 2, failedBuildsHistoryLimit: 1, runPolicy: 'Parallel' }) });
    for (let i = 1; i <= 5; i++) {
      await instantiateBuild(t.store, P, 'hist', { message: `b${i}` });
      await logs.append(ref(`hist-${i}`), `log of ${i}\n`);
      await patchStatus<Build>(t.store, ref(`hist-${i}`), (b) => ({ ...b.status, phase: i === 2 || i === 3 ? 'Failed' : 'Complete' }));
    }
    await builds.reconcile(ref('hist-5'));
    const left = (await t.store.list('Build', P, { labels: { 'berth.io/buildconfig': 'hist' } })).items.map((b) => b.metadata.name).sort();
    expect(left).toEqual(['hist-3', 'hist-4', 'hist-5']);
    expect((await logs.read(ref('hist-1'), 0)).text).toBe('');
    expect((await logs.read(ref('hist-4'), 0)).text).toBe('log of 4\n');
  });
});

describe('BuildConfig triggers', () => {
  it('ConfigChange starts exactly one first build', async () => {
    await t.store.create({ kind: 'BuildConfig', metadata: { name: 'cfg', project: P }, spec: bcSpec({ triggers: [{ type: 'ConfigChange' }] }) });
    await configs.reconcile({ kind: 'BuildConfig', project: P, name: 'cfg' });
    await configs.reconcile({ kind: 'BuildConfig', project: P, name: 'cfg' });
    const made = (await t.store.list('Build', P, { labels: { 'berth.io/buildconfig': 'cfg' } })).items;
    expect(made.map((b) => b.metadata.name)).toEqual(['cfg-1']);
    expect((made[0] as Build).spec.triggeredBy[0]!.message).toBe('Build configuration change');
  });

  it('ImageChange builds when the builder tag gets a new image', async () => {
    await t.store.create({ kind: 'BuildConfig', metadata: { name: 'img', project: P }, spec: bcSpec({ triggers: [{ type: 'ConfigChange' }, { type: 'ImageChange', imageChange: {} }] }) });
    const image = (n: number) => ({ created: new Date().toISOString(), dockerImageReference: `127.0.0.1:7500/bld/python@sha256:${String(n).repeat(64)}`, image: `sha256:${String(n).repeat(64)}` });
    await recordImage(t.store, P, 'python', '3.11', image(1));
    await configs.reconcile({ kind: 'ImageStream', project: P, name: 'python' });
    const count = async () => (await t.store.list('Build', P, { labels: { 'berth.io/buildconfig': 'img' } })).items.length;
    expect(await count()).toBe(1); // the ConfigChange build; the first image is only recorded
    await recordImage(t.store, P, 'python', '3.11', image(2));
    await configs.reconcile({ kind: 'ImageStream', project: P, name: 'python' });
    await configs.reconcile({ kind: 'ImageStream', project: P, name: 'python' });
    expect(await count()).toBe(2);
    const second = await get('img-2');
    expect(second.spec.triggeredBy[0]!.message).toMatch(/^Image change: python:3.11/);
  });
});
