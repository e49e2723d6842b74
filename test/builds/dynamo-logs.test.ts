// What DynamoBuildLogs does beyond the contract: the items it writes (chunk keys, TTL, no index
// keys), one write an append, writers that never overwrite one another, how it stays out of the
// object store's way, a chunk that never landed, and deletes in batches with DynamoDB's
// unprocessed items sent again.
import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { brotliDecompressSync } from 'node:zlib';
import { Meter, metered } from '../../bench/_metering.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { itemSize } from '../../shared/store/item-size.ts';
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

/** A chunk's text as stored: compressed (binary) or plain. */
const chunkText = (item: Record<string, { S?: string; B?: Uint8Array }>): Buffer => (item.text!.B ? brotliDecompressSync(item.text!.B) : Buffer.from(item.text!.S!, 'utf8'));

/** About `bytes` of an S2I Python build's output, in pip's and the push's formats, over 40 packages. */
function pipLog(bytes: number): string {
  const lines: string[] = ['---> Installing application source ...', '---> Upgrading pip to latest version ...'];
  for (let i = 0; Buffer.byteLength(lines.join('\n')) < bytes; i++) {
    const pkg = `package-${(i * 7919) % 40}`;
    const version = `${i % 5}.${(i * 31) % 17}.${i % 3}`;
    lines.push(`Collecting ${pkg}==${version} (from -r requirements.txt (line ${(i % 40) + 1}))`);
    lines.push(`  Downloading ${pkg.replace('-', '_')}-${version}-py3-none-any.whl.metadata (${(i * 13) % 90 + 2}.${i % 10} kB)`);
    lines.push(`  Downloading ${pkg.replace('-', '_')}-${version}-py3-none-any.whl (${(i * 37) % 900 + 10} kB)`);
    if (i % 10 === 9) lines.push(`Successfully installed ${Array.from({ length: 10 }, (_, k) => `package-${(i + k) % 40}-${version}`).join(' ')}`);
  }
  lines.push('Pushing image registry.local/shop/web:latest ...', 'Pushed: sha256:4d3c2b1a', '');
  return lines.join('\n');
}

describe('DynamoBuildLogs items', () => {
  it('keeps each chunk under its start offset with text, time and a TTL 30 days on, and nothing else; no index keys', async () => {
    const b = build('web-1');
    await logsAt(NOW).append(b, 'Cloning ...\n');
    // Another writer (a restarted agent) goes on where the log ends.
    await logsAt(NOW + 1000).append(b, 'Pushed.\n');
    const ttl = String(NOW / 1000 + 1 + 30 * 24 * 3600);
    expect(await itemsOf('L#shop/web-1')).toEqual([
      { pk: { S: 'L#shop/web-1' }, sk: { S: '000000000000' }, text: { S: 'Cloning ...\n' }, at: { N: String(NOW) }, ttl: { N: String(NOW / 1000 + 30 * 24 * 3600) } },
      { pk: { S: 'L#shop/web-1' }, sk: { S: '000000000012' }, text: { S: 'Pushed.\n' }, at: { N: String(NOW + 1000) }, ttl: { N: ttl } },
    ]);
  });

  it("is one write an append: a writer reads where the log ends once, before its first append", async () => {
    const b = build('web-one');
    const meter = new Meter();
    const logs = new DynamoBuildLogs({ client: metered(createDynamoClient({ endpoint: t.endpoint }), meter), tableName: t.tableName, now: () => NOW });
    await logs.append(b, 'Collecting flask\n');
    expect(Object.fromEntries(meter.requests)).toEqual({ Query: 1, PutItem: 1 });
    meter.reset();
    for (const line of ['Installing flask\n', 'Successfully installed flask\n', 'Pushed.\n']) await logs.append(b, line);
    expect(Object.fromEntries(meter.requests)).toEqual({ PutItem: 3 });
    expect(meter.wru).toBe(3);
    expect((await readAll(logsAt(NOW), b)).text).toBe('Collecting flask\nInstalling flask\nSuccessfully installed flask\nPushed.\n');
  });

  it('two writers appending to one log at once never overwrite each other: each refused append goes after the end it then finds', async () => {
    const b = build('web-two');
    const [one, two] = [logsAt(NOW), logsAt(NOW)];
    const lines = (who: string) => Array.from({ length: 15 }, (_, i) => `${who} line ${i}\n`);
    const write = async (logs: DynamoBuildLogs, mine: string[]) => {
      for (const line of mine) await logs.append(b, line);
    };
    await Promise.all([write(one, lines('one')), write(two, lines('two'))]);
    const text = (await readAll(logsAt(NOW), b)).text;
    expect(text.split('\n').filter(Boolean).sort()).toEqual([...lines('one'), ...lines('two')].map((l) => l.trimEnd()).sort());
    // Each writer's lines in its own order, and the chunks end to end.
    expect(text.split('\n').filter((l) => l.startsWith('one'))).toEqual(lines('one').map((l) => l.trimEnd()));
    const chunks = await itemsOf(logPartition(b));
    expect(chunks.reduce((end, c) => (Number(c.sk!.S) === end ? end + chunkText(c).length : -1), 0)).toBe(Buffer.byteLength(text));
  });

  it('splits an append over 300 KB into chunks that each fit a DynamoDB item, at their own offsets', async () => {
    const b = build('web-2');
    const text = 'é'.repeat(350_000); // 700,000 bytes
    await logsAt(NOW).append(b, text);
    const chunks = await itemsOf(logPartition(b));
    expect(chunks.map((c) => c.sk!.S)).toEqual([chunkKey(0), chunkKey(307_200), chunkKey(614_400)]);
    expect(chunks.map((c) => chunkText(c).length)).toEqual([307_200, 307_200, 85_600]);
    expect((await readAll(logsAt(NOW), b)).text).toBe(text);
  });

  it('stores a chunk\'s text compressed when that is smaller: 64 KB of a build\'s output costs a fraction of the write units, and reads back byte for byte', async () => {
    const b = build('web-z');
    const text = pipLog(64 * 1024);
    const meter = new Meter();
    const logs = new DynamoBuildLogs({ client: metered(createDynamoClient({ endpoint: t.endpoint }), meter), tableName: t.tableName, now: () => NOW });
    await logs.append(b, text);
    const [chunk] = await itemsOf(logPartition(b));
    expect(chunk!.text!.B).toBeInstanceOf(Uint8Array);
    expect(chunkText(chunk!).toString('utf8')).toBe(text);
    // DynamoDB bills a write by the KB of the item: the chunk alone (the first append's read of where the log ends is a read unit).
    const plainUnits = Math.ceil(itemSize({ ...chunk!, text: { S: text } }) / 1024);
    const storedUnits = Math.ceil(itemSize(chunk!) / 1024);
    expect(plainUnits).toBeGreaterThanOrEqual(64);
    expect(storedUnits).toBeLessThan(plainUnits / 4);
    expect(meter.writes.get('PutItem: Put L#')).toEqual({ requests: 1, units: storedUnits });
    expect(meter.wru).toBe(storedUnits);
    expect((await readAll(logsAt(NOW), b)).text).toBe(text);
  });

  it('reads a chunk an earlier release stored as plain text, beside its length counter, and goes on after it', async () => {
    const b = build('web-plain');
    await t.client.send(new PutItemCommand({ TableName: t.tableName, Item: { pk: { S: logPartition(b) }, sk: { S: chunkKey(0) }, text: { S: 'plain ✓\n' }, at: { N: String(NOW) } } }));
    await t.client.send(new PutItemCommand({ TableName: t.tableName, Item: { pk: { S: logPartition(b) }, sk: { S: 'len' }, len: { N: String(Buffer.byteLength('plain ✓\n')) } } }));
    await logsAt(NOW).append(b, pipLog(4096));
    const all = await readAll(logsAt(NOW), b);
    expect(all.text.startsWith('plain ✓\n---> Installing application source ...')).toBe(true);
    expect(all.next).toBe(Buffer.byteLength(all.text));
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

describe('a range not written (a chunk of a long append still on its way, or its writer died; a range an earlier release reserved)', () => {
  /** A chunk at `offset` as a writer puts it, with nothing yet before it. */
  async function chunkAt(b: ReturnType<typeof build>, offset: number, text: string, at: number): Promise<void> {
    await t.client.send(new PutItemCommand({ TableName: t.tableName, Item: { pk: { S: logPartition(b) }, sk: { S: chunkKey(offset) }, text: { S: text }, at: { N: String(at) } } }));
  }

  it('holds readers at the gap while it is young, so no byte still on its way is skipped', async () => {
    const b = build('web-4');
    await logsAt(NOW).append(b, 'first\n');
    await chunkAt(b, 16, 'third\n', NOW);
    expect(await logsAt(NOW + 5_000).read(b, 0)).toEqual({ text: 'first\n', next: 6, more: false });
    expect(await logsAt(NOW + 5_000).read(b, 6)).toEqual({ text: '', next: 6, more: false });
  });

  it('is passed over once the text after it is older than the grace period', async () => {
    const b = build('web-5');
    await logsAt(NOW).append(b, 'first\n');
    await chunkAt(b, 16, 'third\n', NOW);
    expect(await logsAt(NOW + 3 * 60_000).read(b, 0)).toEqual({ text: 'first\nthird\n', next: 22, more: false });
    expect(await logsAt(NOW + 3 * 60_000).read(b, 6)).toEqual({ text: 'third\n', next: 22, more: false });
  });

  it('a writer that comes later goes on after the last chunk', async () => {
    const b = build('web-8');
    await logsAt(NOW).append(b, 'first\n');
    await chunkAt(b, 16, 'third\n', NOW);
    await logsAt(NOW).append(b, 'fourth\n');
    expect(await logsAt(NOW + 3 * 60_000).read(b, 0)).toEqual({ text: 'first\nthird\nfourth\n', next: 29, more: false });
  });
});

describe('DynamoBuildLogs.delete', () => {
  it('removes a log of many items (several batches of 25), leaving other builds\' logs', async () => {
    const [gone, kept] = [build('web-6'), build('web-7')];
    const small = logsAt(NOW, { chunkBytes: 10 });
    await small.append(gone, 'x'.repeat(600)); // 60 chunks
    await small.append(kept, 'kept\n');
    expect(await itemsOf(logPartition(gone))).toHaveLength(60);
    await small.delete(gone);
    expect(await itemsOf(logPartition(gone))).toEqual([]);
    expect(await itemsOf(logPartition(kept))).toHaveLength(1);
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
