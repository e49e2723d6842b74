// The routers' change feed: which Routes and Services changed, in order, kept in Berth's one
// table so that router hosts (which have no stream of their own) learn of a change by reading
// a few small items instead of listing every Route and Service again. Items (docs/store.md):
//
//   item          pk          sk                      attributes
//   change        F#router    <sequence, 12 digits>   kind, project, name, at (epoch ms), ttl
//   head          F#router    seq                     seq (the last sequence number given)
//
// The stream function writes an entry for each Route and Service change (`routerFeedWriter`):
// `ADD seq :1` gives the entry its number, then the entry is put. A router reads the head once
// at start (before it lists everything), then queries the entries above the last one it saw:
// an empty query costs one read unit. Entries expire after a day (DynamoDB TTL); a router
// that fell further behind, or an entry whose writer died between the two writes, is covered
// by the router's occasional full listing. Feed items carry no index keys: they are not
// objects, never in byKind, and the stream function's filter drops their records.
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ObjectRef } from '../model/types.ts';
import type { Reconciler } from '../reconcile/types.ts';
import { TTL_ATTRIBUTE } from '../store/keys.ts';
import { routingChanges } from './types.ts';

export const FEED_PARTITION = 'F#router';
const SEQ_DIGITS = 12;
const HEAD_SK = 'seq';
/** Digits sort before `seq`, so entry queries stop below it. */
const LAST_ENTRY_SK = '9'.repeat(SEQ_DIGITS);
const entryKey = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
const DAY_SECONDS = 24 * 3600;

export interface FeedEntry {
  seq: number;
  ref: ObjectRef;
}

export interface RouterFeedOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

/** Reads and writes the feed. */
export class RouterFeedTable {
  private readonly now: () => number;

  constructor(private readonly opts: RouterFeedOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Records that an object changed; its sequence number. */
  async append(ref: ObjectRef): Promise<number> {
    const { client, tableName } = this.opts;
    const out = await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: FEED_PARTITION }, sk: { S: HEAD_SK } },
      UpdateExpression: 'ADD seq :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    }));
    const seq = Number(out.Attributes?.seq?.N);
    await client.send(new PutItemCommand({
      TableName: tableName,
      Item: {
        pk: { S: FEED_PARTITION },
        sk: { S: entryKey(seq) },
        kind: { S: ref.kind },
        project: { S: ref.project },
        name: { S: ref.name },
        at: { N: String(this.now()) },
        [TTL_ATTRIBUTE]: { N: String(Math.floor(this.now() / 1000) + DAY_SECONDS) },
      },
    }));
    return seq;
  }

  /** The last sequence number given (0 before the first change). */
  async head(): Promise<number> {
    const out = await this.opts.client.send(new GetItemCommand({ TableName: this.opts.tableName, Key: { pk: { S: FEED_PARTITION }, sk: { S: HEAD_SK } }, ConsistentRead: true }));
    return Number(out.Item?.seq?.N ?? 0);
  }

  /** The entries after `after`, oldest first (at most `limit`). */
  async since(after: number, limit = 500): Promise<FeedEntry[]> {
    const out = await this.opts.client.send(new QueryCommand({
      TableName: this.opts.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': { S: FEED_PARTITION }, ':from': { S: entryKey(after + 1) }, ':to': { S: LAST_ENTRY_SK } },
      ConsistentRead: true,
      Limit: limit,
    }));
    return (out.Items ?? []).map((i) => ({ seq: Number(i.sk!.S), ref: { kind: i.kind!.S!, project: i.project!.S!, name: i.name!.S! } }));
  }
}

/**
 * The stream reconciler that writes the feed: one entry per Route or Service change.
 * @example reconcilers.push(routerFeedWriter(new RouterFeedTable({ client, tableName })))
 */
export function routerFeedWriter(feed: RouterFeedTable): Reconciler {
  return routingChanges('router-feed-writer', (ref) => feed.append(ref));
}
