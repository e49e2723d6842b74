// The object store as a router host reads it on AWS. A router host faces the internet, so its
// role may read only what routing needs: the routers' change feed (partition F#router) and the
// Routes and Services, through the byKind index (partitions `Route` and `Service` there). IAM
// scopes reads by partition key only (dynamodb:LeadingKeys), so a GetItem of one Route by its
// table key (partition P#<project>) would need the whole of every project's partition — secrets
// included. Here a single object is read through the index instead: an eventually consistent
// read, which the feed makes up for (a change is announced after it is written, and the next
// announcement or listing brings any later one).
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import { DynamoObjectStore, decode, type DynamoStoreOptions } from '../store/dynamo.ts';
import { BY_KIND_INDEX, indexKeyOf } from '../store/keys.ts';

/** The kinds a router reads; the router role's index reads are scoped to exactly these partitions. */
export const ROUTER_KINDS = ['Route', 'Service'] as const;

export class RouterObjectStore extends DynamoObjectStore {
  private readonly reader: DynamoDBClient;
  private readonly tableName: string;

  constructor(opts: DynamoStoreOptions) {
    super(opts);
    this.reader = opts.client;
    this.tableName = opts.tableName;
  }

  /** A Route or Service by its index key (`<kind>`, `<project>/<name>`); other kinds are not a router's to read. */
  override async get<T extends BerthObject>(ref: ObjectRef): Promise<T | undefined> {
    if (!(ROUTER_KINDS as readonly string[]).includes(ref.kind)) throw new Error(`a router reads only ${ROUTER_KINDS.join(' and ')} objects, not ${ref.kind}`);
    const key = indexKeyOf(ref);
    const out = await this.reader.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_KIND_INDEX,
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :sk',
        ExpressionAttributeValues: { ':pk': { S: key.pk }, ':sk': { S: key.sk } },
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item ? (decode(item) as T) : undefined;
  }
}
