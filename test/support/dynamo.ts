// Test helpers over the shared DynamoDB Local: a fresh table per call.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
