// ImageChange triggers on a tag of the shared `openshift` project (a template's database image):
// the DeploymentConfig takes the shared stream's image, not that of a same-named stream of its own
// project, and a new image on the shared stream rolls out every project's DCs that follow it.
import { beforeAll, describe, expect, it } from 'vitest';
import { deploymentConfigReconciler } from '../../shared/deploy/deploymentconfig.ts';
import type { DeploymentConfig } from '../../shared/model/objects.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
let ctl: ReturnType<typeof deploymentConfigReconciler>;
const image = (project: string, n: number) => `registry.local/${project}/redis@sha256:${String(n).repeat(64).slice(0, 64)}`;
const stream = (project: string, n: number) => ({ kind: 'ImageStream', metadata: { name: 'redis', project }, spec: {}, status: { tags: [{ tag: '7', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: image(project, n), image: `sha256:${n}` }] }] } });
const dcImage = async (project: string) => (await t.store.get<DeploymentConfig>({ kind: 'DeploymentConfig', project, name: 'cache' }))!.spec.template.spec.containers[0]!.image;

async function createDc(project: string, namespace?: string): Promise<void> {
  const spec = deploymentConfigSpec.parse({
    selector: { name: 'cache' },
    template: { metadata: { labels: { name: 'cache' } }, spec: { containers: [{ name: 'redis', image: '' }] } },
    strategy: { type: 'Recreate' },
    triggers: [{ type: 'ImageChange', imageChangeParams: { containerNames: ['redis'], from: { kind: 'ImageStreamTag', name: 'redis:7', ...(namespace ? { namespace } : {}) } } }, { type: 'ConfigChange' }],
  });
  await t.store.create({ kind: 'DeploymentConfig', metadata: { name: 'cache', project }, spec });
}

beforeAll(async () => {
  t = await freshTable();
  for (const name of ['openshift', 'alpha', 'beta']) await t.store.create({ kind: 'Project', metadata: { name, project: '' }, spec: {} });
  ctl = deploymentConfigReconciler({ store: t.store, now: () => Date.parse('2025-01-01T00:00:00Z') });
  await t.store.create(stream('openshift', 1));
  // alpha has a stream of the same name, which its DC (following openshift's) must not take.
  await t.store.create(stream('alpha', 9));
  await createDc('alpha', 'openshift');
  await createDc('beta');
});

describe('ImageChange on a tag of the shared project', () => {
  it("takes the shared stream's image, not the project's own same-named stream", async () => {
    await ctl.reconcile({ kind: 'DeploymentConfig', project: 'alpha', name: 'cache' });
    expect(await dcImage('alpha')).toBe(image('openshift', 1));
  });

  it('a new image on the shared stream reaches the DCs of every project that follow it, and only those', async () => {
    const is = (await t.store.get<any>({ kind: 'ImageStream', project: 'openshift', name: 'redis' }))!;
    await t.store.updateStatus({ ...is, status: stream('openshift', 2).status });
    await ctl.reconcile({ kind: 'ImageStream', project: 'openshift', name: 'redis' });
    expect(await dcImage('alpha')).toBe(image('openshift', 2));
    // beta follows its own redis:7, which does not exist: its DC still waits.
    expect(await dcImage('beta')).toBe('');
  });
});
