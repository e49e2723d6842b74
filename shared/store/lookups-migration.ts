// Tables written before lookups existed (lookups.ts) get them once: every object's lookup items
// are put (idempotent puts, so a migration cut short is simply run again), then a marker item
// says it is done, so that later starts cost one read. A new table is marked at once.
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decode } from './dynamo.ts';
import { lookupItems } from './lookups.ts';

type Item = Record<string, AttributeValue>;

/** The marker item: the table's lookups are complete. */
export const LOOKUPS_MARKER: Item = { pk: { S: 'M#schema' }, sk: { S: 'lookups' } };

/** Marks a table that has no objects yet as having every lookup. */
export async function markLookups(client: DynamoDBClient, table: string): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: { ...LOOKUPS_MARKER, at: { S: new Date().toISOString() } } }));
}

/**
 * Puts the lookups of every object of a table written before them, once; returns how many
 * objects it read (0 when the table was already marked).
 */
export async function ensureLookups(client: DynamoDBClient, table: string): Promise<number> {
  const marker = await client.send(new GetItemCommand({ TableName: table, Key: LOOKUPS_MARKER, ConsistentRead: true }));
  if (marker.Item) return 0;
  let objects = 0;
  let start: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, FilterExpression: 'attribute_exists(doc)', ExclusiveStartKey: start, ConsistentRead: true }));
    const puts = (page.Items ?? []).flatMap((item) => lookupItems(decode(item)));
    objects += page.Items?.length ?? 0;
    for (let i = 0; i < puts.length; i += 25) await writeAll(client, table, puts.slice(i, i + 25));
    start = page.LastEvaluatedKey;
  } while (start);
  await markLookups(client, table);
  return objects;
}

async function writeAll(client: DynamoDBClient, table: string, items: Item[]): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
  }
}
