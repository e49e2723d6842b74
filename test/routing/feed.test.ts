// The routers' change feed against DynamoDB Local: numbered entries in order, unique under
// concurrent writers, a head read before listing, reads that return only what came after, a
// day's TTL, and items no object listing ever sees.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEED_PARTITION, RouterFeedTable, routerFeedWriter } from '../../shared/routing/feed.ts';
import { collect, eachOfKind } from '../../shared/store/each.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
let feed: RouterFeedTable;
const NOW = 1_800_000_000_000;

beforeAll(async () => {
  t = await freshTable();
  feed = new RouterFeedTable({ client: t.client, tableName: t.tableName, now: () => NOW });
});

describe('the router feed', () => {
  it('numbers changes from 1, reads only those after a point, oldest first', async () => {
    expect(await feed.head()).toBe(0);
    expect(await feed.since(0)).toEqual([]);
    const writer = routerFeedWriter(feed);
    expect(writer.kinds).toEqual(['Route', 'Service']);
    await writer.reconcile({ kind: 'Route', project: 'shop', name: 'web' });
    await writer.reconcile({ kind: 'Service', project: 'shop', name: 'web' });
    await writer.reconcile({ kind: 'Route', project: 'blog', name: 'www' });
    expect(await feed.head()).toBe(3);
    expect(await feed.since(0)).toEqual([
      { seq: 1, ref: { kind: 'Route', project: 'shop', name: 'web' } },
      { seq: 2, ref: { kind: 'Service', project: 'shop', name: 'web' } },
      { seq: 3, ref: { kind: 'Route', project: 'blog', name: 'www' } },
    ]);
    expect((await feed.since(2)).map((e) => e.seq)).toEqual([3]);
    expect(await feed.since(3)).toEqual([]);
    expect((await feed.since(0, 2)).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('gives concurrent writers distinct numbers, none lost', async () => {
    const before = await feed.head();
    const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => feed.append({ kind: 'Service', project: 'p', name: `s${i}` })));
    expect(new Set(seqs).size).toBe(20);
    expect(Math.min(...seqs)).toBe(before + 1);
    expect(Math.max(...seqs)).toBe(before + 20);
    const read = await feed.since(before);
    expect(read.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
    expect(new Set(read.map((e) => e.ref.name)).size).toBe(20);
  });

  it('entries expire after a day, and are not objects', async () => {
    const seq = await feed.append({ kind: 'Route', project: 'shop', name: 'ttl' });
    const item = await t.client.send(new GetItemCommand({ TableName: t.tableName, Key: { pk: { S: FEED_PARTITION }, sk: { S: String(seq).padStart(12, '0') } } }));
    expect(Number(item.Item!.ttl!.N)).toBe(NOW / 1000 + 24 * 3600);
    expect(item.Item!.gsi1pk).toBeUndefined();
    expect(await collect(eachOfKind(t.store, 'Route'))).toEqual([]);
  });
});
