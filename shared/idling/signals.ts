// What the routers tell the idler, kept in Berth's one table beside the routers' change feed
// (docs/store.md). Neither is an object, so the router hosts' role can write them without
// touching any project's partition:
//
//   item        pk          sk                     attributes
//   activity    F#active    <project>/<service>    at (epoch ms of the last request seen), ttl
//   wake        F#wake      <project>/<service>    at (epoch ms of the request held), ttl
//
// Activity is aggregated by the router agent: one write per Service that had requests in a
// reporting period (a minute by default), never one per request. A wake item is written when a
// request for an idled Service is held; the table's stream hands it to the idler (the stream
// function's filter lets `F#wake` through, as a reference of kind WAKE_KIND), which wakes the
// Service's DeploymentConfigs and deletes the item.
import { BatchGetItemCommand, DeleteItemCommand, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ObjectRef } from '../model/types.ts';
import { TTL_ATTRIBUTE, type ItemKey } from '../store/keys.ts';

export const ACTIVITY_PARTITION = 'F#active';
export const WAKE_PARTITION = 'F#wake';
/** The kind of the references wake items stand for on the stream (not an object kind). */
export const WAKE_KIND = 'IdleWake';
const ACTIVITY_TTL_S = 30 * 24 * 3600;
const WAKE_TTL_S = 3600;

/** A Service of a project, as the routers name it. */
export interface ServiceKey {
  project: string;
  service: string;
}

const sk = (s: ServiceKey) => `${s.project}/${s.service}`;

/** The wake reference an item key stands for (`F#wake`, `<project>/<service>`), or undefined. */
export function wakeRefOfKey(key: ItemKey): ObjectRef | undefined {
  if (key.pk !== WAKE_PARTITION) return undefined;
  const slash = key.sk.indexOf('/');
  return slash > 0 ? { kind: WAKE_KIND, project: key.sk.slice(0, slash), name: key.sk.slice(slash + 1) } : undefined;
}

/** What a router writes: activity and wake requests. */
export interface IdleSignalWriter {
  /** Records that these Services had requests through the router, as of `at` (ms). */
  reportActivity(services: ServiceKey[], at: number): Promise<void>;
  /** Asks for the Service's idled DeploymentConfigs to be woken. */
  requestWake(service: ServiceKey, at: number): Promise<void>;
}

/** What the idler reads and clears. */
export interface IdleSignalReader {
  /** The last request seen through the routers for each Service (ms; absent when none). */
  lastActivity(services: ServiceKey[]): Promise<Map<string, number>>;
  /** When a wake was asked for the Service (ms), or undefined. */
  wakeRequested(service: ServiceKey): Promise<number | undefined>;
  /** Deletes the Service's wake item (when `at` is still its time) or, with `all`, its activity too. */
  clear(service: ServiceKey, opts: { wakeAt?: number; all?: boolean }): Promise<void>;
}

export class IdleSignalTable implements IdleSignalWriter, IdleSignalReader {
  constructor(private readonly opts: { client: DynamoDBClient; tableName: string }) {}

  async reportActivity(services: ServiceKey[], at: number): Promise<void> {
    // Later than what is stored only: routers report in any order.
    await Promise.all(services.map((s) => this.stamp(ACTIVITY_PARTITION, s, at, ACTIVITY_TTL_S, 'attribute_not_exists(#at) OR #at < :at')));
  }

  async requestWake(service: ServiceKey, at: number): Promise<void> {
    await this.stamp(WAKE_PARTITION, service, at, WAKE_TTL_S);
  }

  async lastActivity(services: ServiceKey[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const unique = [...new Set(services.map(sk))];
    for (let i = 0; i < unique.length; i += 100) {
      const keys = unique.slice(i, i + 100).map((k) => ({ pk: { S: ACTIVITY_PARTITION }, sk: { S: k } }));
      let request: Record<string, { Keys: typeof keys; ConsistentRead: boolean }> | undefined = { [this.opts.tableName]: { Keys: keys, ConsistentRead: true } };
      while (request && Object.keys(request).length) {
        const res = await this.opts.client.send(new BatchGetItemCommand({ RequestItems: request }));
        for (const item of res.Responses?.[this.opts.tableName] ?? []) out.set(item.sk!.S!, Number(item.at?.N ?? 0));
        request = res.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  async wakeRequested(service: ServiceKey): Promise<number | undefined> {
    const res = await this.opts.client.send(new GetItemCommand({ TableName: this.opts.tableName, Key: this.key(WAKE_PARTITION, service), ConsistentRead: true }));
    return res.Item?.at?.N ? Number(res.Item.at.N) : undefined;
  }

  async clear(service: ServiceKey, opts: { wakeAt?: number; all?: boolean }): Promise<void> {
    const { client, tableName } = this.opts;
    // A wake asked again meanwhile stays, for the idler to see.
    const sameWake = opts.wakeAt === undefined ? {} : { ConditionExpression: '#at = :at', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':at': { N: String(opts.wakeAt) } } };
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: this.key(WAKE_PARTITION, service), ...sameWake })).catch((err: Error) => {
      if (err.name !== 'ConditionalCheckFailedException') throw err;
    });
    if (opts.all) await client.send(new DeleteItemCommand({ TableName: tableName, Key: this.key(ACTIVITY_PARTITION, service) }));
  }

  private key(pk: string, s: ServiceKey) {
    return { pk: { S: pk }, sk: { S: sk(s) } };
  }

  private async stamp(pk: string, s: ServiceKey, at: number, ttlSeconds: number, condition?: string): Promise<void> {
    await this.opts.client
      .send(
        new UpdateItemCommand({
          TableName: this.opts.tableName,
          Key: this.key(pk, s),
          UpdateExpression: 'SET #at = :at, #ttl = :ttl',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#at': 'at', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':at': { N: String(at) }, ':ttl': { N: String(Math.floor(at / 1000) + ttlSeconds) } },
        }),
      )
      .catch((err: Error) => {
        if (err.name !== 'ConditionalCheckFailedException') throw err;
      });
  }
}

/** The key of a Service in what lastActivity returns. */
export const activityKey = sk;
