// What the store's writes cost, counted on DynamoDB Local request by request (bench/_metering.ts):
// objects are stored as compressed JSON (a write is billed by the KB, in the table and again in
// the byKind index), and a write of an object read through the same store sends no read first.
import { beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Meter, metered } from '../../bench/_metering.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import type { DeploymentConfig } from '../../shared/model/objects.ts';
import { refOf, type BerthObject } from '../../shared/model/types.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore, decode, encode, keyItem } from '../../shared/store/dynamo.ts';
import { ObjectTooLargeError, itemSize } from '../../shared/store/item-size.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const P = 'costs';
let t: TestTable;
const meter = new Meter();
let store: DynamoObjectStore;

/** A DeploymentConfig as a rollout leaves it: spec, template, status with a condition (about 1.2 KB of JSON). */
async function aDeploymentConfig(name: string): Promise<DeploymentConfig> {
  const spec = deploymentConfigSpec.parse({
    replicas: 1,
    selector: { app: name },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: `registry.local/${P}/${name}@sha256:1`, env: [{ name: 'REV', value: '0' }], ports: [{ containerPort: 8080 }] }] } },
  });
  const dc = await t.store.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: P }, spec });
  const status = {
    latestVersion: 1, observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 0,
    conditions: [{ type: 'Available', status: 'True' as const, reason: 'MinimumReplicasAvailable', message: 'the deployment config has minimum availability', lastTransitionTime: new Date().toISOString() }],
    details: { cause: 'ConfigChange', message: 'config change' },
  };
  return t.store.updateStatus<DeploymentConfig>({ ...dc, status });
}

const rawItem = async (o: BerthObject) => (await t.client.send(new GetItemCommand({ TableName: t.tableName, Key: keyItem(refOf(o)), ConsistentRead: true }))).Item!;

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  store = new DynamoObjectStore({ client: metered(createDynamoClient({ endpoint: t.endpoint }), meter), tableName: t.tableName });
});

describe('objects are stored compressed', () => {
  it('a 1.2 KB object is stored in under 1 KB, so its write costs 2 write units (table and index) instead of 4', async () => {
    const dc = await aDeploymentConfig('small');
    const plain = { ...encode(dc), doc: { S: JSON.stringify(dc) } };
    expect(itemSize(plain)).toBeGreaterThan(1024);
    const item = await rawItem(dc);
    expect(item.doc!.B).toBeInstanceOf(Uint8Array);
    expect(itemSize(item)).toBeLessThan(1024);
    expect(decode(item)).toEqual(dc);

    meter.reset();
    await store.updateStatus<DeploymentConfig>({ ...(await store.get<DeploymentConfig>(refOf(dc)))!, status: { ...dc.status, readyReplicas: 0 } });
    expect(meter.writes.get('PutItem: Put DeploymentConfig')).toEqual({ requests: 1, units: 2 });
  });

  it('an item written as plain JSON (by an earlier release) is read and written as before', async () => {
    const dc = await aDeploymentConfig('older');
    await t.client.send(new PutItemCommand({ TableName: t.tableName, Item: { ...encode(dc), doc: { S: JSON.stringify(dc) } } }));
    expect((await rawItem(dc)).doc!.S).toBe(JSON.stringify(dc));
    const read = await t.store.get<DeploymentConfig>(refOf(dc));
    expect(read).toEqual(dc);
    const written = await t.store.update<DeploymentConfig>({ ...read!, spec: { ...read!.spec, replicas: 2 } });
    expect(decode(await rawItem(dc))).toEqual(written);
    expect(written.spec.replicas).toBe(2);
  });

  it('the size limit stays on the plain JSON: 500 KB that compresses to almost nothing is still refused, and nothing is written', async () => {
    const huge = { kind: 'ConfigMap', metadata: { name: 'huge', project: P }, spec: { data: { blob: 'x'.repeat(500 * 1024) } } };
    await expect(t.store.create(huge)).rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(await t.store.get({ kind: 'ConfigMap', project: P, name: 'huge' })).toBeUndefined();
  });
});

describe('a write of an object read through the same store reads nothing first', () => {
  it('get, then two status writes: one GetItem and two PutItems', async () => {
    const dc = await aDeploymentConfig('read-once');
    meter.reset();
    const read = (await store.get<DeploymentConfig>(refOf(dc)))!;
    const first = await store.updateStatus<DeploymentConfig>({ ...read, status: { ...read.status, readyReplicas: 0 } });
    const second = await store.updateStatus<DeploymentConfig>({ ...first, status: { ...first.status, readyReplicas: 1 } });
    expect(Object.fromEntries(meter.requests)).toEqual({ GetItem: 1, PutItem: 2 });
    expect(await t.store.get(refOf(dc))).toEqual(second);
  });

  it('an object found by a label listing is written with no GetItem, and keeps its spec when only its status is written', async () => {
    await aDeploymentConfig('listed');
    const labelled = await t.store.create({ kind: 'ConfigMap', metadata: { name: 'labelled', project: P, labels: { app: 'listed' } }, spec: { data: { a: '1' } } });
    meter.reset();
    const [found] = (await store.list('ConfigMap', P, { labels: { app: 'listed' } })).items;
    expect(found).toEqual(labelled);
    await store.updateStatus({ ...found!, spec: { data: { a: 'changed by mistake' } }, status: { seen: true } });
    expect(meter.count('GetItem')).toBe(0);
    expect(await t.store.get(refOf(labelled))).toMatchObject({ spec: { data: { a: '1' } }, status: { seen: true } });
  });

  it('a stale resourceVersion is still refused with a conflict, and the object stays as the other writer left it', async () => {
    const dc = await aDeploymentConfig('raced');
    const mine = (await store.get<DeploymentConfig>(refOf(dc)))!;
    const theirs = await t.store.update<DeploymentConfig>({ ...mine, spec: { ...mine.spec, replicas: 3 } });
    await expect(store.update<DeploymentConfig>({ ...mine, spec: { ...mine.spec, replicas: 5 } })).rejects.toBeInstanceOf(ConflictError);
    expect(await t.store.get(refOf(dc))).toEqual(theirs);
  });

  it('an object deleted since it was read is not found, as when it was read first', async () => {
    const dc = await aDeploymentConfig('gone');
    const mine = (await store.get<DeploymentConfig>(refOf(dc)))!;
    await t.store.delete(refOf(dc));
    await expect(store.updateStatus<DeploymentConfig>({ ...mine, status: { ...mine.status, replicas: 0 } })).rejects.toBeInstanceOf(NotFoundError);
    expect(await t.store.get(refOf(dc))).toBeUndefined();
  });
});
