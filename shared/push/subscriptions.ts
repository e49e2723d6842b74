// Who is watching what, kept in the table (docs/store.md), so that whichever function instance
// or process sees a change can tell every connection that watches it:
//
//   item           pk                      sk                        attributes
//   connection     W#c/<connection id>     conn                      user, topics (the paths it watches), ttl
//   subscription   W#p/<project>           <topic> <connection id>   user, ttl
//
// A change in a project is one Query of its subscriptions. A connection lives at most two hours
// (API Gateway's limit for a WebSocket connection); its items carry a TTL so that a connection
// that vanished without a word leaves nothing for long, and each is removed when the platform
// learns the connection is gone.
import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from '../store/keys.ts';
import type { Topic } from './topics.ts';

/** How long a connection and its subscriptions are kept at most (API Gateway ends a WebSocket connection after 2 hours). */
export const CONNECTION_TTL_SECONDS = 2 * 3600;
/** How many paths one connection may watch at once. */
export const MAX_TOPICS_PER_CONNECTION = 16;

/** The partitions of push connections' items: a connection's, and a project's subscriptions (what the push function may write). */
export const PUSH_PARTITION_PREFIXES = ['W#c/', 'W#p/'] as const;
const [CONNECTION_PARTITION, PROJECT_PARTITION] = PUSH_PARTITION_PREFIXES;

export interface Watcher {
  connection: string;
  user: string;
  topic: string;
}

/** The store of connections and what they watch; the table's adapter below, and what tests may count. */
export interface PushSubscriptions {
  connect(connection: string, user: string): Promise<void>;
  /** The user a connection was opened by, or undefined if it is unknown (closed, expired). */
  userOf(connection: string): Promise<string | undefined>;
  /** Adds a topic; false when the connection already watches the most it may. */
  subscribe(connection: string, user: string, topic: Topic): Promise<boolean>;
  unsubscribe(connection: string, topic: Topic): Promise<void>;
  /** Forgets the connection and everything it watched. */
  disconnect(connection: string): Promise<void>;
  /** Every connection watching something in the project. */
  watchersOf(project: string): Promise<Watcher[]>;
  /** Removes every subscription to the project (it has been deleted). */
  forgetProject(project: string): Promise<void>;
}

export interface DynamoPushSubscriptionsOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

const connectionKey = (connection: string) => ({ pk: { S: `${CONNECTION_PARTITION}${connection}` }, sk: { S: 'conn' } });
const subscriptionKey = (connection: string, t: Topic) => ({ pk: { S: `${PROJECT_PARTITION}${t.project}` }, sk: { S: `${t.topic} ${connection}` } });
/** A topic as the connection item lists it: `<project> <topic>`. */
const listed = (t: Topic) => `${t.project} ${t.topic}`;
const unlisted = (s: string): Topic => {
  const space = s.indexOf(' ');
  return { project: s.slice(0, space), topic: s.slice(space + 1) };
};

export class DynamoPushSubscriptions implements PushSubscriptions {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly now: () => number;

  constructor(opts: DynamoPushSubscriptionsOptions) {
    this.client = opts.client;
    this.table = opts.tableName;
    this.now = opts.now ?? Date.now;
  }

  private ttl(): { N: string } {
    return { N: String(Math.floor(this.now() / 1000) + CONNECTION_TTL_SECONDS) };
  }

  async connect(connection: string, user: string): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: { ...connectionKey(connection), user: { S: user }, [TTL_ATTRIBUTE]: this.ttl() } }));
  }

  async userOf(connection: string): Promise<string | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: connectionKey(connection), ConsistentRead: true }));
    if (!Item || Number(Item[TTL_ATTRIBUTE]?.N ?? 0) * 1000 <= this.now()) return undefined;
    return Item.user?.S;
  }

  async subscribe(connection: string, user: string, topic: Topic): Promise<boolean> {
    try {
      // Listed on the connection first (bounded, and only while the connection is known), then made findable by the project.
      await this.client.send(new UpdateItemCommand({
        TableName: this.table,
        Key: connectionKey(connection),
        UpdateExpression: 'ADD topics :t',
        ConditionExpression: '#u = :u AND (attribute_not_exists(topics) OR size(topics) < :max OR contains(topics, :one))',
        ExpressionAttributeNames: { '#u': 'user' },
        ExpressionAttributeValues: { ':t': { SS: [listed(topic)] }, ':one': { S: listed(topic) }, ':u': { S: user }, ':max': { N: String(MAX_TOPICS_PER_CONNECTION) } },
      }));
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: { ...subscriptionKey(connection, topic), user: { S: user }, [TTL_ATTRIBUTE]: this.ttl() } }));
    return true;
  }

  async unsubscribe(connection: string, topic: Topic): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: subscriptionKey(connection, topic) }));
    await this.client.send(new UpdateItemCommand({ TableName: this.table, Key: connectionKey(connection), UpdateExpression: 'DELETE topics :t', ExpressionAttributeValues: { ':t': { SS: [listed(topic)] } }, ConditionExpression: 'attribute_exists(pk)' })).catch((err) => {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    });
  }

  async disconnect(connection: string): Promise<void> {
    const { Attributes } = await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: connectionKey(connection), ReturnValues: 'ALL_OLD' }));
    for (const t of Attributes?.topics?.SS ?? []) {
      await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: subscriptionKey(connection, unlisted(t)) }));
    }
  }

  async forgetProject(project: string): Promise<void> {
    for (const w of await this.watchersOf(project, { expired: true })) await this.unsubscribe(w.connection, { project, topic: w.topic });
  }

  async watchersOf(project: string, opts: { expired?: boolean } = {}): Promise<Watcher[]> {
    const out: Watcher[] = [];
    const now = Math.floor(this.now() / 1000);
    let start: Record<string, any> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `${PROJECT_PARTITION}${project}` } },
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        if (!opts.expired && Number(item[TTL_ATTRIBUTE]?.N ?? 0) <= now) continue;
        const sk = item.sk!.S!;
        const space = sk.lastIndexOf(' ');
        out.push({ topic: sk.slice(0, space), connection: sk.slice(space + 1), user: item.user?.S ?? '' });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

