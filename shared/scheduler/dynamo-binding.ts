// The DynamoDB adapter of the binding port: one TransactWriteItems over the object table that
// puts the bound Pod and the Host with its new requested capacity, each conditional on the
// resourceVersion the caller read. Items are laid out as the object store lays them out
// (store/keys.ts, `encode`), so the store, its stream and its readers see ordinary objects.
import {
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type CancellationReason,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ConflictError, NotFoundError } from '../errors.ts';
import { formatRef, refOf, type BerthObject } from '../model/types.ts';
import { HOST_FINALIZER } from '../model/deploy-kinds.ts';
import { encode, keyItem, nextResourceVersion } from '../store/dynamo.ts';
import { lookupWrites } from '../store/lookups.ts';
import { usageUpdate } from '../quota/counter-item.ts';
import { counterChanges } from '../quota/writes.ts';
import type { Bound, BindingStore } from './ports.ts';
import type { HostObject, PodObject, Resources } from './types.ts';

/** Named write condition: nobody wrote the object since it was read. */
const RV_MATCHES = 'rv = :rv';

export interface DynamoBindingOptions {
  client: DynamoDBClient;
  tableName: string;
}

export class DynamoBindingStore implements BindingStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;

  constructor(opts: DynamoBindingOptions) {
    this.client = opts.client;
    this.table = opts.tableName;
  }

  async bind(pod: PodObject, host: HostObject, requested: Resources): Promise<Bound> {
    const finalizers = [...new Set([...(pod.metadata.finalizers ?? []), HOST_FINALIZER])];
    const nextPod: PodObject = {
      ...pod,
      metadata: { ...pod.metadata, finalizers, generation: pod.metadata.generation + 1, resourceVersion: nextResourceVersion() },
      spec: { ...pod.spec, host: host.metadata.name },
    };
    const nextHost: HostObject = {
      ...host,
      metadata: { ...host.metadata, resourceVersion: nextResourceVersion() },
      status: { ...host.status, requested: { ...requested } },
    };
    const written: [BerthObject, BerthObject][] = [[pod, nextPod], [host, nextHost]];
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            ...written.map(([before, after]) => ({
              Put: {
                TableName: this.table,
                Item: encode(after),
                ConditionExpression: RV_MATCHES,
                ExpressionAttributeValues: { ':rv': { S: before.metadata.resourceVersion } },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
              },
            })),
            // The pod leaves the unbound pods' lookup and joins its host's.
            ...lookupWrites(this.table, pod, nextPod),
          ],
        }),
      );
    } catch (err) {
      if (err instanceof TransactionCanceledException) throw refusal(err.CancellationReasons ?? [], written.map(([before]) => before));
      throw err;
    }
    return { pod: nextPod, host: nextHost };
  }

  async release(pod: PodObject, host: HostObject, requested: Resources): Promise<HostObject> {
    const nextHost: HostObject = {
      ...host,
      metadata: { ...host.metadata, resourceVersion: nextResourceVersion() },
      status: { ...host.status, requested: { ...requested } },
    };
    const condition = (o: BerthObject) => ({
      ConditionExpression: RV_MATCHES,
      ExpressionAttributeValues: { ':rv': { S: o.metadata.resourceVersion } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    });
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: { TableName: this.table, Key: keyItem(refOf(pod)), ...condition(pod) } },
            { Put: { TableName: this.table, Item: encode(nextHost), ...condition(host) } },
            // The pod's quota usage goes back with it, in the same write: exactly once.
            ...counterChanges([{ before: pod as BerthObject }]).map((c) => usageUpdate(this.table, c.project, c.delta)),
            ...lookupWrites(this.table, pod, undefined),
          ],
        }),
      );
    } catch (err) {
      if (err instanceof TransactionCanceledException) throw refusal(err.CancellationReasons ?? [], [pod, host]);
      throw err;
    }
    return nextHost;
  }
}

/** The domain error for a cancelled binding: the first object whose condition failed, or a race. */
function refusal(reasons: CancellationReason[], objects: BerthObject[]): Error {
  const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
  if (failed >= 0) {
    const o = objects[failed]!;
    if (!reasons[failed]!.Item) return new NotFoundError(o.kind, o.metadata.name);
    return new ConflictError(`${formatRef(refOf(o))} has been modified: resourceVersion ${o.metadata.resourceVersion} is stale`);
  }
  if (reasons.some((r) => r.Code === 'TransactionConflict')) {
    return new ConflictError('a concurrent write touched the pod or the host', 'read both again and place the pod again');
  }
  return new Error(`binding cancelled: ${reasons.map((r) => r.Code ?? 'None').join(', ')}`);
}
