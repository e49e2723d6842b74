// Test helpers over the shared DynamoDB Local: a fresh table per call.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { toLambdaEvent } from '../../shared/local/stream-poller.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore, decode } from '../../shared/store/dynamo.ts';
import { ensureTable } from '../../shared/store/table.ts';

export interface TestTable {
  client: DynamoDBClient;
  tableName: string;
  streamArn: string;
  store: DynamoObjectStore;
  endpoint: string;
}

export async function freshTable(): Promise<TestTable> {
  const endpoint = inject('dynamoEndpoint');
  const client = createDynamoClient({ endpoint });
  const tableName = `berth-test-${randomUUID().slice(0, 8)}`;
  const streamArn = await ensureTable(client, tableName);
  return { client, tableName, streamArn, store: new DynamoObjectStore({ client, tableName }), endpoint };
}

/**
 * Every item in the table, as sorted JSON lines: a snapshot to prove a request wrote nothing.
 * Objects' documents are shown as the JSON they hold (the store writes them compressed), so a
 * test can also look in the rows for what must, or must never, be stored.
 */
export async function snapshot(t: TestTable): Promise<string[]> {
  const rows: string[] = [];
  let start: Record<string, any> | undefined;
  do {
    const out = await t.client.send(new ScanCommand({ TableName: t.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of out.Items ?? []) {
      const shown = item.doc?.B ? { ...item, doc: { S: JSON.stringify(decode(item)) } } : item;
      rows.push(JSON.stringify(Object.fromEntries(Object.entries(shown).sort(([a], [b]) => a.localeCompare(b)))));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return rows.sort();
}

/**
 * A reader of the table's stream: each call gives the records written since the previous call
 * (all of them at the first), as Lambda would deliver them to the stream function.
 */
export function streamReader(t: TestTable): () => Promise<DynamoDBStreamEvent> {
  const client = new DynamoDBStreamsClient({ endpoint: t.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const seen = new Set<string>();
  return async () => {
    const records: _Record[] = [];
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: t.streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      let { ShardIterator: it } = await client.send(new GetShardIteratorCommand({ StreamArn: t.streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      while (it) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: it }));
        if (!out.Records?.length) break;
        records.push(...out.Records.filter((r) => !seen.has(r.eventID!)));
        it = out.NextShardIterator;
      }
    }
    records.forEach((r) => seen.add(r.eventID!));
    return toLambdaEvent(records, t.streamArn);
  };
}
