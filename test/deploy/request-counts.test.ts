// What a rollout's reconciles ask DynamoDB (DynamoDB Local), counted request by request on the
// client (bench/_metering.ts): the figures the cost model rests on (docs/cost.md, `npm run bench
// -- cost`). A DeploymentConfig pass that finds nothing to do reads the DC and its RCs once and
// writes nothing; a stream batch holding a DC, its RCs and its pods makes one pass over the DC
// and one over each RC, not one per record.
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { Meter, metered } from '../../bench/_metering.ts';
import { deployReconcilers } from '../../shared/deploy/reconcilers.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import type { DeploymentConfig, Pod, ReplicationController } from '../../shared/model/objects.ts';
import { refOf, type ObjectRef } from '../../shared/model/types.ts';
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { collect, eachObject } from '../../shared/store/each.ts';
import { keyOf } from '../../shared/store/keys.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { projectWithHost } from '../support/hosts.ts';

const P = 'counted';
let t: TestTable;
const meter = new Meter();
let reconcilers: Reconciler[];
const named = (name: string) => reconcilers.find((r) => r.name === name)!;
const dcRef = { kind: 'DeploymentConfig', project: P, name: 'web' };
const keyText = (ref: ObjectRef) => `${keyOf(ref).pk} ${keyOf(ref).sk}`;
const podsOf = () => collect(eachObject<Pod>(t.store, 'Pod', P, { deploymentconfig: 'web' }));
const rcsOf = () => collect(eachObject<ReplicationController>(t.store, 'ReplicationController', P, { deploymentconfig: 'web' }));

/** A stream batch of these objects' records, in the Lambda event shape (keys only: the handler reads nothing else). */
const batch = (refs: ObjectRef[]): DynamoDBStreamEvent => ({
  Records: refs.map((ref, i) => ({
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: { pk: { S: keyOf(ref).pk }, sk: { S: keyOf(ref).sk } }, SequenceNumber: String(100 + i) },
  })),
});

/** What the host does for each bound pod: Running and Ready. */
async function podsReady(): Promise<void> {
  for (const pod of await podsOf()) {
    if (!pod.spec.host || pod.metadata.deletionTimestamp) continue;
    await patchStatus<Pod>(t.store, refOf(pod), (cur) => ({ ...cur.status, phase: 'Running', readySince: new Date(Date.now() - 60_000).toISOString(), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(Date.now() - 60_000).toISOString() }] }));
  }
}

/** Reconciles DC and RCs, the pods ready, until the latest revision is Complete. */
async function rollOut(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await named('deploymentconfigs').reconcile(dcRef);
    await podsReady();
    for (const rc of await rcsOf()) await named('replication').reconcile(refOf(rc));
    const dc = await t.store.get<DeploymentConfig>(dcRef);
    const latest = (await rcsOf()).find((rc) => rc.metadata.name === `web-${dc!.status.latestVersion}`);
    if (latest?.status.phase === 'Complete' && (await podsOf()).every((p) => p.metadata.labels.deployment === latest.metadata.name)) return;
  }
  throw new Error('the rollout did not complete');
}

beforeAll(async () => {
  t = await freshTable();
  await projectWithHost(t.store, P);
  const client = metered(createDynamoClient({ endpoint: t.endpoint }), meter);
  const store = new DynamoObjectStore({ client, tableName: t.tableName });
  reconcilers = deployReconcilers(store, new DynamoBindingStore({ client, tableName: t.tableName }));
  const spec = deploymentConfigSpec.parse({
    replicas: 2,
    selector: { app: 'web' },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
  });
  await t.store.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name: 'web', project: P }, spec });
  await rollOut();
  // Reconciled until nothing changes: a second revision's worth of records is what a rollout leaves.
  for (let i = 0; i < 3; i++) await named('deploymentconfigs').reconcile(dcRef);
});

describe('requests a settled DeploymentConfig costs', () => {
  it('a pass that finds nothing to do reads the DC once and its RCs once (one query, one batch read) and writes nothing', async () => {
    meter.reset();
    await named('deploymentconfigs').reconcile(dcRef);
    expect(Object.fromEntries(meter.requests)).toEqual({ GetItem: 1, Query: 1, BatchGetItem: 1 });
    expect(meter.got).toEqual([keyText(dcRef)]);
    expect(meter.wru).toBe(0);
  });

  it('a stream batch of the DC, its RCs and its pods makes one pass over the DC and one over each RC', async () => {
    const rcs = await rcsOf();
    const pods = await podsOf();
    expect(rcs.length).toBeGreaterThan(0);
    expect(pods).toHaveLength(2);
    const handler = createStreamHandler(reconcilers.filter((r) => ['deploymentconfigs', 'replication'].includes(r.name)));
    meter.reset();
    const out = await handler(batch([dcRef, ...rcs.map(refOf), ...pods.map(refOf)]));
    expect(out.batchItemFailures).toEqual([]);
    // The DC: read once by its pass (the RC and pod records each read their own object to find it).
    expect(meter.got.filter((k) => k === keyText(dcRef))).toHaveLength(1);
    // Each RC: read by the DC controller to find the DC of its record, and once by its one pass of the RC controller (its record's and its pods' records shared it).
    for (const rc of rcs) expect(meter.got.filter((k) => k === keyText(refOf(rc)))).toHaveLength(2);
    expect(meter.wru).toBe(0);
  });

  it('the same records outside a stream batch (no written-before time) make a pass each, one after another', async () => {
    meter.reset();
    await Promise.all([dcRef, dcRef, dcRef].map((ref) => named('deploymentconfigs').reconcile(ref)));
    // One pass in progress, then one more for the calls that came while it ran.
    expect(meter.got.filter((k) => k === keyText(dcRef))).toHaveLength(2);
  });
});

describe('requests the pass that starts a revision costs', () => {
  it('it reads the DC once and writes it once: one status write tells the new revision, its cause and the rollout so far', async () => {
    const dc = (await t.store.get<DeploymentConfig>(dcRef))!;
    const c = dc.spec.template.spec.containers[0]!;
    await t.store.update<DeploymentConfig>({ ...dc, spec: { ...dc.spec, template: { ...dc.spec.template, spec: { ...dc.spec.template.spec, containers: [{ ...c, env: [{ name: 'REV', value: 'next' }] }] } } } });
    meter.reset();
    await named('deploymentconfigs').reconcile(dcRef);
    expect(meter.got.filter((k) => k === keyText(dcRef))).toHaveLength(1);
    // Compressed, the DC is under 1 KB: one write unit in the table and one in the byKind index.
    expect(meter.writes.get('PutItem: Put DeploymentConfig')).toEqual({ requests: 1, units: 2 });
    // Its Events (the revision made, the RC scaled): each one plain write (table and index), not a transaction with the project's check (6 units).
    expect(meter.writes.get('PutItem: Put Event')).toEqual({ requests: 2, units: 4 });
    expect([...meter.writes.keys()].filter((k) => k.includes('Event') && k.startsWith('TransactWriteItems'))).toEqual([]);
    const after = (await t.store.get<DeploymentConfig>(dcRef))!;
    const n = dc.status.latestVersion! + 1;
    expect(after.status).toMatchObject({ latestVersion: n, details: { cause: 'ConfigChange', message: 'config change' } });
    const started = (await rcsOf()).find((rc) => rc.metadata.name === `web-${n}`)!;
    expect(started.status).toMatchObject({ phase: 'Running', startTime: expect.any(String), replicas: 1 });
    expect(started.spec.replicas).toBe(1);
    // The new RC: its start (Running, its start time) and its first scale in one write, then the RC controller's count of the pod it made.
    expect(meter.writes.get('PutItem: Put ReplicationController')).toEqual({ requests: 2, units: 4 });
    // Read by its key once, by the RC controller's pass (which writes its count over what it read); the DC controller found it by its label.
    expect(meter.got.filter((k) => k === keyText(refOf(started)))).toHaveLength(1);
  });
});
