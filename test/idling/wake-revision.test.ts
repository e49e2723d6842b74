// Waking scales the DC's running revision in the same breath, on DynamoDB Local: its RC is back
// at the DC's replicas before the DC's controller has looked (one reconcile sooner for the
// pods), and what the controller then does changes nothing more. A revision still rolling out
// is left to the controller.
import { beforeAll, describe, expect, it } from 'vitest';
import { deployReconcilers } from '../../shared/deploy/reconcilers.ts';
import { idleDeploymentConfig, unidleDeploymentConfig } from '../../shared/idling/actions.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import type { DeploymentConfig, ReplicationController } from '../../shared/model/objects.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { projectWithHost } from '../support/hosts.ts';

const P = 'wakerev';
let t: TestTable;
let dcs: Reconciler;
const dcRef = (name: string) => ({ kind: 'DeploymentConfig', project: P, name });
const rcRef = (name: string) => ({ kind: 'ReplicationController', project: P, name });
const rc = async (name: string) => (await t.store.get<ReplicationController>(rcRef(name)))!;

/** A DC of `replicas` whose first revision is made and marked Complete, then idled (its RC at 0). */
async function idledApp(name: string, replicas: number): Promise<void> {
  const spec = deploymentConfigSpec.parse({
    replicas,
    selector: { app: name },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
  });
  await t.store.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: P }, spec });
  await dcs.reconcile(dcRef(name));
  await patchStatus<ReplicationController>(t.store, rcRef(`${name}-1`), (cur) => ({ ...cur.status, phase: 'Complete' }));
  await idleDeploymentConfig(t.store, dcRef(name), Date.now(), 'quiet');
  await dcs.reconcile(dcRef(name));
  expect((await rc(`${name}-1`)).spec.replicas).toBe(0);
}

beforeAll(async () => {
  t = await freshTable();
  await projectWithHost(t.store, P);
  dcs = deployReconcilers(t.store, new DynamoBindingStore({ client: t.client, tableName: t.tableName })).find((r) => r.name === 'deploymentconfigs')!;
});

describe('waking a DeploymentConfig', () => {
  it("scales its running revision back at once; the DC's controller then has nothing to scale", async () => {
    await idledApp('web', 2);
    await unidleDeploymentConfig(t.store, dcRef('web'), Date.now(), 'a request');
    const woken = await rc('web-1');
    expect(woken.spec.replicas).toBe(2);
    await dcs.reconcile(dcRef('web'));
    const after = await rc('web-1');
    expect(after.spec.replicas).toBe(2);
    // One write of the replicas: the controller's pass did not scale it again.
    expect(after.metadata.generation).toBe(woken.metadata.generation);
  });

  it('leaves a revision that is still rolling out to the controller', async () => {
    await idledApp('api', 1);
    await patchStatus<ReplicationController>(t.store, rcRef('api-1'), (cur) => ({ ...cur.status, phase: 'Running' }));
    await unidleDeploymentConfig(t.store, dcRef('api'), Date.now(), 'a request');
    expect((await rc('api-1')).spec.replicas).toBe(0);
  });
});
