// Who is watching what, kept in the table (docs/store.md), so that whichever function instance
// or process sees a change can tell every connection that watches it:
//
//   item           pk                      sk                        attributes
//   connection     W#c/<connection id>     conn                      user, topics (the paths it watches), ttl
//   subscription   W#p/<project>           <topic> <connection id>   user, ttl
//   ticket         W#t/<sha-256 of ticket>  ticket                   user, ttl (a minute)
//
// A change in a project is one Query of its subscriptions. A connection lives at most two hours
// (API Gateway's limit for a WebSocket connection); its items carry a TTL so that a connection
// that vanished without a word leaves nothing for long, and each is removed when the platform
// learns the connection is gone.
//
// A ticket opens one connection for its user where the client cannot send a token with the
// handshake (a browser's WebSocket sends no Authorization header; the console's token is in a
// cookie its script cannot read): it is asked for with the token, kept by its hash, good for a
// minute and for one connection only, and it is good for nothing else.
import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from '../store/keys.ts';
import type { Topic } from './topics.ts';

/** How long a connection and its subscriptions are kept at most (API Gateway ends a WebSocket connection after 2 hours). */
export const CONNECTION_TTL_SECONDS = 2 * 3600;
/** How many paths one connection may watch at once. */
export const MAX_TOPICS_PER_CONNECTION = 16;

/** How long a ticket may wait to open its connection. */
export const TICKET_TTL_SECONDS = 60;

/** The partitions of push connections' items: a connection's, a project's subscriptions, a ticket (what the push function may write). */
export const PUSH_PARTITION_PREFIXES = ['W#c/', 'W#p/', 'W#t/'] as const;
const [CONNECTION_PARTITION, PROJECT_PARTITION, TICKET_PARTITION] = PUSH_PARTITION_PREFIXES;

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
  /** A new ticket that opens one connection for `user` within TICKET_TTL_SECONDS. */
  issueTicket(user: string): Promise<{ ticket: string; expiresAt: string }>;
  /** The user of a ticket, which is used up; undefined for a ticket unknown, used or expired. */
  redeemTicket(ticket: string): Promise<string | undefined>;
}

export interface DynamoPushSubscriptionsOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

const connectionKey = (connection: string) => ({ pk: { S: `${CONNECTION_PARTITION}${connection}` }, sk: { S: 'conn' } });
const ticketKey = (ticket: string) => ({ pk: { S: `${TICKET_PARTITION}${createHash('sha256').update(ticket).digest('hex')}` }, sk: { S: 'ticket' } });
/** What a ticket looks like: 32 random bytes, base64url. */
const TICKET = /^[A-Za-z0-9_-]{43}$/;
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

  async issueTicket(user: string): Promise<{ ticket: string; expiresAt: string }> {
    const ticket = randomBytes(32).toString('base64url');
    const expires = Math.floor(this.now() / 1000) + TICKET_TTL_SECONDS;
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: { ...ticketKey(ticket), user: { S: user }, [TTL_ATTRIBUTE]: { N: String(expires) } }, ConditionExpression: 'attribute_not_exists(pk)' }));
    return { ticket, expiresAt: new Date(expires * 1000).toISOString() };
  }

  async redeemTicket(ticket: string): Promise<string | undefined> {
    if (!TICKET.test(ticket)) return undefined;
    // Deleted as it is read: of two handshakes with one ticket, one finds it.
    const { Attributes } = await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: ticketKey(ticket), ReturnValues: 'ALL_OLD' }));
    if (!Attributes || Number(Attributes[TTL_ATTRIBUTE]?.N ?? 0) * 1000 <= this.now()) return undefined;
    return Attributes.user?.S;
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

