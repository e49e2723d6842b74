// What DynamoBuildLogs does beyond the contract: the items it writes (chunk keys, TTL, no index
// keys), how it stays out of the object store's way, a writer that died mid-append, and deletes
// in batches with DynamoDB's unprocessed items sent again.
import { BatchWriteItemCommand, DynamoDBClient, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoBuildLogs, chunkKey, logPartition } from '../../shared/builds/dynamo-logs.ts';
import { refOfKey } from '../../shared/store/keys.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { readAll } from './build-logs.contract.ts';

let t: TestTable;
beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
});

const NOW = Date.parse('2030-01-01T00:00:00Z');
const logsAt = (now: number, opts: { chunkBytes?: number } = {}) => new DynamoBuildLogs({ client: t.client, tableName: t.tableName, now: () => now, ...opts });
const build = (name: string) => ({ kind: 'Build', project: 'shop', name });

async function itemsOf(pk: string) {
  const out = await t.client.send(new ScanCommand({ TableName: t.tableName, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } }, ConsistentRead: true }));
  return (out.Items ?? []).sort((a, b) => a.sk!.S!.localeCompare(b.sk!.S!));
}

describe('DynamoBuildLogs items', () => {
  it('keeps each chunk under its start offset with text, time and a TTL 30 days on, plus a length counter; no index keys', async () => {
    const b = build('web-1');
    await logsAt(NOW).append(b, 'Cloning ...\n');
    await logsAt(NOW + 1000).append(b, 'Pushed.\n');
    const ttl = String(NOW / 1000 + 1 + 30 * 24 * 3600);
    expect(await itemsOf('L#shop/web-1')).toEqual([
      { pk: { S: 'L#shop/web-1' }, sk: { S: '000000000000' }, text: { S: 'Cloning ...\n' }, at: { N: String(NOW) }, ttl: { N: String(NOW / 1000 + 30 * 24 * 3600) } },
      { pk: { S: 'L#shop/web-1' }, sk: { S: '000000000012' }, text: { S: 'Pushed.\n' }, at: { N: String(NOW + 1000) }, ttl: { N: ttl } },
      { pk: { S: 'L#shop/web-1' }, sk: { S: 'len' }, len: { N: '20' }, ttl: { N: ttl } },
    ]);
  });

  it('splits an append over 300 KB into chunks that each fit a DynamoDB item, at their own offsets', async () => {
    const b = build('web-2');
    const text = 'é'.repeat(350_000); // 700,000 bytes
    await logsAt(NOW).append(b, text);
    const chunks = (await itemsOf(logPartition(b))).filter((i) => i.sk!.S !== 'len');
    expect(chunks.map((c) => c.sk!.S)).toEqual([chunkKey(0), chunkKey(307_200), chunkKey(614_400)]);
    expect(chunks.map((c) => Buffer.byteLength(c.text!.S!))).toEqual([307_200, 307_200, 85_600]);
    expect((await readAll(logsAt(NOW), b)).text).toBe(text);
  });

  it('are not objects: refOfKey ignores them and listings of the project and of Builds never see them', async () => {
    await t.store.create({ kind: 'Build', metadata: { name: 'web-3', project: 'shop' }, spec: {} });
    await logsAt(NOW).append(build('web-3'), 'log line\n');
    expect(refOfKey({ pk: 'L#shop/web-3', sk: chunkKey(0) })).toBeUndefined();
    expect(refOfKey({ pk: 'L#shop/web-3', sk: 'len' })).toBeUndefined();
    expect((await t.store.listProject('shop')).items.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Build/web-3']);
    expect((await t.store.listAll('Build')).items.map((o) => o.metadata.name)).toEqual(['web-3']);
    expect((await itemsOf('L#shop/web-3')).every((i) => !('gsi1pk' in i) && !('gsi1sk' in i) && !('doc' in i))).toBe(true);
  });
});

describe('a range reserved but never written (its writer died between the two steps)', () => {
  async function reserveOnly(b: ReturnType<typeof build>, n: number): Promise<void> {
    await t.client.send(new UpdateItemCommand({
      TableName: t.tableName, Key: { pk: { S: logPartition(b) }, sk: { S: 'len' } },
      UpdateExpression: 'ADD len :n', ExpressionAttributeValues: { ':n': { N: String(n) } },
    }));
  }

  it('holds readers at the gap while it is young, so no byte still on its way is skipped', async () => {
    const b = build('web-4');
    await logsAt(NOW).append(b, 'first\n');
    await reserveOnly(b, 10);
    await logsAt(NOW).append(b, 'third\n');
    expect(await logsAt(NOW + 5_000).read(b, 0)).toEqual({ text: 'first\n', next: 6 });
    expect(await logsAt(NOW + 5_000).read(b, 6)).toEqual({ text: '', next: 6 });
  });

  it('is passed over once the text after it is older than the grace period', async () => {
    const b = build('web-5');
    await logsAt(NOW).append(b, 'first\n');
    await reserveOnly(b, 10);
    await logsAt(NOW).append(b, 'third\n');
    expect(await logsAt(NOW + 3 * 60_000).read(b, 0)).toEqual({ text: 'first\nthird\n', next: 22 });
    expect(await logsAt(NOW + 3 * 60_000).read(b, 6)).toEqual({ text: 'third\n', next: 22 });
  });
});

describe('DynamoBuildLogs.delete', () => {
  it('removes a log of many items (several batches of 25), leaving other builds\' logs', async () => {
    const [gone, kept] = [build('web-6'), build('web-7')];
    const small = logsAt(NOW, { chunkBytes: 10 });
    await small.append(gone, 'x'.repeat(600)); // 60 chunks and the counter
    await small.append(kept, 'kept\n');
    expect(await itemsOf(logPartition(gone))).toHaveLength(61);
    await small.delete(gone);
    expect(await itemsOf(logPartition(gone))).toEqual([]);
    expect(await itemsOf(logPartition(kept))).toHaveLength(2);
  });

  it('sends what BatchWriteItem left unprocessed again until none is left', async () => {
    const ddb = mockClient(DynamoDBClient);
    try {
      const key = (sk: string) => ({ pk: { S: 'L#shop/web-8' }, sk: { S: sk } });
      ddb.on(QueryCommand).resolves({ Items: [key(chunkKey(0)), key(chunkKey(6)), key('len')] });
      ddb.on(BatchWriteItemCommand)
        .resolvesOnce({ UnprocessedItems: { logs: [{ DeleteRequest: { Key: key(chunkKey(6)) } }] } })
        .resolvesOnce({ UnprocessedItems: {} });
      await new DynamoBuildLogs({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'logs' }).delete(build('web-8'));
      expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([{
        TableName: 'logs', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'L#shop/web-8' } },
        ProjectionExpression: 'pk, sk', ExclusiveStartKey: undefined, ConsistentRead: true,
      }]);
      expect(ddb.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input)).toEqual([
        { RequestItems: { logs: [key(chunkKey(0)), key(chunkKey(6)), key('len')].map((Key) => ({ DeleteRequest: { Key } })) } },
        { RequestItems: { logs: [{ DeleteRequest: { Key: key(chunkKey(6)) } }] } },
      ]);
    } finally {
      ddb.restore();
    }
  });
});
