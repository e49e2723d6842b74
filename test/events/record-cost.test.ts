// What recording an Event costs, counted on DynamoDB Local request by request
// (bench/_metering.ts): one plain write and a strongly consistent read of its project, where a
// transaction of the Event and the project's check billed 6 write units. And that the check
// still holds: an Event recorded into a project being deleted, or gone, is not left behind.
import { beforeAll, describe, expect, it } from 'vitest';
import { Meter, metered } from '../../bench/_metering.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { recordEvent } from '../../shared/events/record.ts';
import { requestProjectDeletion } from '../../shared/project/deletion.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
const meter = new Meter();
let store: DynamoObjectStore;
const dc = (project: string) => ({ kind: 'DeploymentConfig', project, name: 'web' });
const eventsIn = async (project: string) => (await t.store.list('Event', project)).items;

beforeAll(async () => {
  t = await freshTable();
  store = new DynamoObjectStore({ client: metered(createDynamoClient({ endpoint: t.endpoint }), meter), tableName: t.tableName });
  for (const name of ['shop', 'closing']) await t.store.create({ kind: 'Project', metadata: { name, project: '' }, spec: {} });
});

describe('recordEvent', () => {
  it('is one plain write of the Event (table and byKind: 2 write units) and one read of its project, not a 6-unit transaction', async () => {
    meter.reset();
    await recordEvent(store, dc('shop'), { type: 'Normal', reason: 'DeploymentCreated', message: 'Created new replication controller "web-2" for version 2 (config change)' }, Date.now());
    expect(Object.fromEntries(meter.writes)).toEqual({ 'PutItem: Put Event': { requests: 1, units: 2 } });
    expect(Object.fromEntries(meter.requests)).toEqual({ PutItem: 1, GetItem: 1 });
    expect(meter.wru).toBe(2);
    expect(meter.rru).toBe(1);
    expect((await eventsIn('shop')).map((e) => (e.spec as { reason: string }).reason)).toEqual(['DeploymentCreated']);
  });

  it('in a project being deleted: refused as the transaction refused it, and nothing is left for its finalizer to miss', async () => {
    await requestProjectDeletion(t.store, 'closing');
    await expect(recordEvent(store, dc('closing'), { type: 'Normal', reason: 'Scheduled', message: 'x' }, Date.now())).rejects.toThrow(ConflictError);
    expect(await eventsIn('closing')).toEqual([]);
  });

  it('in a project that does not exist: NotFoundError, and no Event stays', async () => {
    await expect(recordEvent(store, dc('nowhere'), { type: 'Normal', reason: 'Scheduled', message: 'x' }, Date.now())).rejects.toThrow(NotFoundError);
    expect(await eventsIn('nowhere')).toEqual([]);
  });
});
