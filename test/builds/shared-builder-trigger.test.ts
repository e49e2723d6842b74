// ImageChange triggers on the shared project's image streams, against DynamoDB Local: a new
// image in `openshift/python:3.11` rebuilds the BuildConfigs of every project that builds from
// it, and only those; a tag in another tenant's project is never watched.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordImage } from '../../shared/builds/agent.ts';
import { buildConfigReconciler } from '../../shared/builds/buildconfig-reconciler.ts';
import type { Build } from '../../shared/builds/instantiate.ts';
import { createProject } from '../../shared/project/create.ts';
import { ensureSharedProject, SHARED_PROJECT } from '../../shared/project/openshift.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const suffix = randomBytes(3).toString('hex');
const SHOP = `shop-${suffix}`;
const BLOG = `blog-${suffix}`;
const VICTIM = `victim-${suffix}`;
let t: TestTable;
let configs: ReturnType<typeof buildConfigReconciler>;

const from = (name: string, namespace?: string) => ({ kind: 'ImageStreamTag', name, ...(namespace ? { namespace } : {}) });
const bcSpec = (builder: ReturnType<typeof from>) => ({
  source: { git: { uri: 'https://git.example.com/me/app.git' } },
  strategy: { type: 'Source', sourceStrategy: { from: builder, env: [], incremental: false } },
  output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } },
  triggers: [{ type: 'ConfigChange' }, { type: 'ImageChange', imageChange: {} }],
  runPolicy: 'Serial',
  successfulBuildsHistoryLimit: 5,
  failedBuildsHistoryLimit: 5,
});
const image = (project: string, stream: string) => {
  const digest = `sha256:${randomBytes(32).toString('hex')}`;
  return { created: new Date().toISOString(), dockerImageReference: `127.0.0.1:7500/${project}/${stream}@${digest}`, image: digest };
};
const builds = async (project: string, bc = 'app') => (await t.store.list<Build>('Build', project, { labels: { 'berth.io/buildconfig': bc } })).items;

/** A new image on a tag, then the reconciler's pass for the stream (twice: the second is a no-op). */
async function push(project: string, stream: string, tag: string): Promise<void> {
  await recordImage(t.store, project, stream, tag, image(project, stream));
  await configs.reconcile({ kind: 'ImageStream', project, name: stream });
  await configs.reconcile({ kind: 'ImageStream', project, name: stream });
}

beforeAll(async () => {
  t = await freshTable();
  configs = buildConfigReconciler(t.store);
  await ensureSharedProject(t.store);
  for (const name of [SHOP, BLOG, VICTIM]) await createProject(t.store, { name, requester: name, spec: {} });
  await recordImage(t.store, SHARED_PROJECT, 'python', '3.11', image(SHARED_PROJECT, 'python'));
  await recordImage(t.store, VICTIM, 'python', '3.11', image(VICTIM, 'python'));
  for (const [project, name, builder] of [
    [SHOP, 'app', from('python:3.11', SHARED_PROJECT)],
    [BLOG, 'app', from('python:3.11', SHARED_PROJECT)],
    [BLOG, 'own', from('python:3.11')],
    [SHOP, 'spy', from('python:3.11', VICTIM)],
  ] as const) {
    await t.store.create({ kind: 'BuildConfig', metadata: { name, project }, spec: bcSpec(builder) });
    await configs.reconcile({ kind: 'BuildConfig', project, name });
  }
}, 60_000);

describe('ImageChange on a tag of the shared project', () => {
  it('builds once at first (the ConfigChange build), recording the shared tag\'s image', async () => {
    expect((await builds(SHOP)).map((b) => b.metadata.name)).toEqual(['app-1']);
    const bc = await t.store.get<BerthObject<unknown, { lastTriggeredImages?: Record<string, string> }>>({ kind: 'BuildConfig', project: SHOP, name: 'app' });
    expect(Object.keys(bc!.status.lastTriggeredImages ?? {})).toEqual([`${SHARED_PROJECT}/python:3.11`]);
  });

  it('a new image rebuilds the apps of every project built from it, once each', async () => {
    await push(SHARED_PROJECT, 'python', '3.11');
    const shop = await builds(SHOP);
    const blog = await builds(BLOG);
    expect(shop).toHaveLength(2);
    expect(blog).toHaveLength(2);
    expect(shop.find((b) => b.metadata.name === 'app-2')!.spec.triggeredBy[0]!.message).toMatch(new RegExp(`^Image change: ${SHARED_PROJECT}/python:3\\.11 is now sha256:`));
    // The BuildConfig that builds from its own project's python:3.11 did not move.
    expect(await builds(BLOG, 'own')).toHaveLength(1);
  });

  it('another tag of the shared stream rebuilds nothing', async () => {
    await push(SHARED_PROJECT, 'python', 'latest');
    expect(await builds(SHOP)).toHaveLength(2);
  });

  it('a BuildConfig naming another tenant\'s tag is never triggered by it', async () => {
    expect(await builds(SHOP, 'spy')).toHaveLength(1); // its ConfigChange build only
    await push(VICTIM, 'python', '3.11');
    await push(VICTIM, 'python', '3.11');
    expect(await builds(SHOP, 'spy')).toHaveLength(1);
  });
});
