// The rollout's steps handed straight on, on DynamoDB Local: one reconcile of a changed
// DeploymentConfig makes its new revision, that revision's first pods and binds them to a host,
// without waiting for the RC's and the pods' stream records; what the records then reconcile
// finds nothing left to do. Reconciles of one RC that meet (a batch holding the RC and its pods,
// and the DeploymentConfig handing the RC on) never make more pods than it asks for.
import { beforeAll, describe, expect, it } from 'vitest';
import { deployReconcilers } from '../../shared/deploy/reconcilers.ts';
import type { DeploymentConfig, Host, Pod, ReplicationController } from '../../shared/model/objects.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { collect, eachObject } from '../../shared/store/each.ts';
import { patchObject } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { projectWithHost } from '../support/hosts.ts';

const P = 'handon';
const MiB = 2 ** 20;
let t: TestTable;
let reconcilers: Reconciler[];
const named = (name: string) => reconcilers.find((r) => r.name === name)!;

const podsOf = async (dc: string) => collect(eachObject<Pod>(t.store, 'Pod', P, { deploymentconfig: dc }));
const rcsOf = async (dc: string) => collect(eachObject<ReplicationController>(t.store, 'ReplicationController', P, { deploymentconfig: dc }));

async function createDc(name: string, replicas: number): Promise<void> {
  const spec = deploymentConfigSpec.parse({
    replicas,
    selector: { app: name },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1', env: [{ name: 'V', value: '1' }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
  });
  await t.store.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: P }, spec });
}

beforeAll(async () => {
  t = await freshTable();
  await projectWithHost(t.store, P);
  reconcilers = deployReconcilers(t.store, new DynamoBindingStore({ client: t.client, tableName: t.tableName }));
});

describe('a rollout handed on from step to step', () => {
  it('one reconcile of a new DeploymentConfig makes its RC, the RC its first pods, and the scheduler binds them', async () => {
    await createDc('web', 3);

    await named('deploymentconfigs').reconcile({ kind: 'DeploymentConfig', project: P, name: 'web' });

    const [rc] = await rcsOf('web');
    expect(rc).toMatchObject({ metadata: { name: 'web-1' }, spec: { replicas: 3 }, status: { phase: 'Running', replicas: 3 } });
    const pods = await podsOf('web');
    expect(pods).toHaveLength(3);
    expect(pods.map((p) => p.spec.host)).toEqual(['h1', 'h1', 'h1']);
    const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
    // Each binding counted once on the host: three pods of 100m and 64 MiB.
    expect(host.status.requested).toEqual({ cpuMilli: 300, memoryBytes: 192 * MiB });
    const scheduled = (await collect(eachObject(t.store, 'Event', P))).filter((e: any) => e.spec.reason === 'Scheduled');
    expect(scheduled).toHaveLength(3);
  });

  it('the stream records of the RC and its pods, reconciled afterwards, change nothing', async () => {
    const before = await podsOf('web');
    const rc = (await rcsOf('web'))[0]!;
    for (const r of reconcilers.filter((r) => r.kinds.includes('ReplicationController'))) await r.reconcile({ kind: 'ReplicationController', project: P, name: rc.metadata.name });
    for (const p of before) for (const r of reconcilers.filter((r) => r.kinds.includes('Pod'))) await r.reconcile({ kind: 'Pod', project: P, name: p.metadata.name });

    const after = await podsOf('web');
    expect(after.map((p) => [p.metadata.name, p.spec.host, p.metadata.resourceVersion]).sort()).toEqual(before.map((p) => [p.metadata.name, p.spec.host, p.metadata.resourceVersion]).sort());
  });

  it('reconciles of one RC that meet make exactly the pods it asks for', async () => {
    await createDc('busy', 1);
    const rc = await t.store.create<ReplicationController>({
      kind: 'ReplicationController',
      metadata: { name: 'busy-9', project: P, labels: { deploymentconfig: 'busy' } },
      spec: { replicas: 4, selector: { app: 'busy', deployment: 'busy-9' }, template: { metadata: { labels: { app: 'busy' } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1', env: [], ports: [], resources: { requests: {}, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } as never } },
      status: { phase: 'Complete', replicas: 0, readyReplicas: 0, availableReplicas: 0 },
    });
    const ref = { kind: 'ReplicationController', project: P, name: rc.metadata.name };

    await Promise.all(Array.from({ length: 5 }, () => named('replication').reconcile(ref)));

    const live = (await collect(eachObject<Pod>(t.store, 'Pod', P, { deployment: 'busy-9' }))).filter((p) => !p.metadata.deletionTimestamp);
    expect(live).toHaveLength(4);
    await patchObject<ReplicationController>(t.store, ref, (cur) => ({ ...cur, spec: { ...cur.spec, replicas: 0 } }));
    await named('replication').reconcile(ref);
  });
});

describe('passes over one DeploymentConfig that meet', () => {
  /** Makes DC `name` with its first revision, then changes its template (a new revision is due). */
  async function changedDc(name: string): Promise<{ kind: string; project: string; name: string }> {
    await createDc(name, 1);
    const ref = { kind: 'DeploymentConfig', project: P, name };
    await named('deploymentconfigs').reconcile(ref);
    await patchObject<DeploymentConfig>(t.store, ref, (cur) => {
      const containers = cur.spec.template.spec.containers.map((c) => ({ ...c, env: [{ name: 'V', value: '2' }] }));
      return { ...cur, spec: { ...cur.spec, template: { ...cur.spec.template, spec: { ...cur.spec.template.spec, containers } } } };
    });
    return ref;
  }

  /** How many times `calls` read DC `name` from the table. */
  async function readsOf(name: string, calls: () => Promise<unknown>): Promise<number> {
    let reads = 0;
    const get = t.store.get.bind(t.store);
    t.store.get = (async (r: { kind: string; name: string }) => {
      if (r.kind === 'DeploymentConfig' && r.name === name) reads++;
      return get(r as never);
    }) as typeof t.store.get;
    try {
      await calls();
    } finally {
      t.store.get = get;
    }
    return reads;
  }

  it('run one at a time, and those that wait share the next pass: a changed template makes exactly one new revision', async () => {
    const solo = await changedDc('solo');
    const onePass = await readsOf('solo', () => named('deploymentconfigs').reconcile(solo));
    expect((await rcsOf('solo')).map((rc) => rc.metadata.name).sort()).toEqual(['solo-1', 'solo-2']);

    // The write handed on at once, its stream record, and the records of what the pass writes.
    const meet = await changedDc('meet');
    const sixCalls = await readsOf('meet', () => Promise.all(Array.from({ length: 6 }, () => named('deploymentconfigs').reconcile(meet))));
    expect((await rcsOf('meet')).map((rc) => rc.metadata.name).sort()).toEqual(['meet-1', 'meet-2']);
    // The first call's pass began at once; the five others came while it ran and share the one
    // pass after it. Six passes would read the DC as the first did, then at least once each more.
    const nothingToDo = await readsOf('meet', () => named('deploymentconfigs').reconcile(meet));
    expect(nothingToDo).toBeGreaterThan(0);
    expect(sixCalls).toBeLessThan(onePass + 5 * nothingToDo);
  });
});
