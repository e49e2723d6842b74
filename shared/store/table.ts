// Creates the Berth table where it is missing (DynamoDB Local and tests; on AWS the CDK stack
// makes it from the same TABLE_SCHEMA).
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from './keys.ts';
import { ensureLookups, markLookups } from './lookups-migration.ts';

/**
 * Ensures the table exists with its index, stream and TTL, and that a table written by an
 * earlier release has what this one reads (lookups-migration.ts); returns the stream ARN.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<string> {
  const existing = await describe(client, tableName);
  if (existing) {
    await ensureLookups(client, tableName);
    return existing;
  }
  const s = TABLE_SCHEMA;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: s.partitionKey, AttributeType: 'S' },
          { AttributeName: s.sortKey, AttributeType: 'S' },
          { AttributeName: s.index.partitionKey, AttributeType: 'S' },
          { AttributeName: s.index.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: s.partitionKey, KeyType: 'HASH' },
          { AttributeName: s.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: s.index.name,
            KeySchema: [
              { AttributeName: s.index.partitionKey, KeyType: 'HASH' },
              { AttributeName: s.index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: s.stream },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: s.ttlAttribute } }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const arn = await describe(client, tableName);
  // A table made just now holds no objects: it has every lookup it needs.
  if (arn) await markLookups(client, tableName);
  if (!arn) throw new Error(`table ${tableName} was created but has no stream`);
  return arn;
}

async function describe(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.LatestStreamArn;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}
