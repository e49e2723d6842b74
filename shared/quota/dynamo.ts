// The thin DynamoDB part of quota admission: reads a project's counter, and sends a write of
// counted objects together with its counter changes in one transaction, admitting again when a
// concurrent write moved the counter first. The store calls it for every counted write, so the
// API, the reconcilers and the hosts all count through the same path.
import { GetItemCommand, TransactionCanceledException, TransactWriteItemsCommand, type CancellationReason, type ConsumedCapacity, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../errors.ts';
import { admit, type Counter } from './admission.ts';
import { counterKey, decodeCounter, hardUpdate, usageUpdate } from './counter-item.ts';
import { QuotaExceededError } from './errors.ts';
import { increases, type CounterChange } from './writes.ts';

/** How often a counted write is tried when others touch the same counter at once. */
export const MAX_ATTEMPTS = 25;

/** Told the capacity each request consumed, as the store reports its own (benchmarks, metrics). */
export type CapacityReport = (capacity: ConsumedCapacity | ConsumedCapacity[] | undefined) => void;

export async function readCounter(client: DynamoDBClient, table: string, project: string, report?: CapacityReport): Promise<Counter> {
  const out = await client.send(new GetItemCommand({ TableName: table, Key: counterKey(project), ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
  report?.(out.ConsumedCapacity);
  return decodeCounter(out.Item);
}

async function counterItem(client: DynamoDBClient, table: string, c: CounterChange, report?: CapacityReport): Promise<TransactWriteItem> {
  if (c.quota) {
    if (Object.keys(c.delta).length) throw new Error('a quota and counted objects of its project in one write');
    return hardUpdate(table, c.project, c.quota.name, c.quota.before, c.quota.after);
  }
  if (!increases(c)) return usageUpdate(table, c.project, c.delta);
  const read = await readCounter(client, table, c.project, report);
  const decision = admit(read, c.delta);
  if (!decision.admit) throw new QuotaExceededError(decision.refusal);
  return usageUpdate(table, c.project, c.delta, { read, bounds: decision.bounds });
}

/**
 * Writes `items` and the counter changes in one transaction. A counter condition that failed
 * (a quota changed, or others used up the room) or a transaction conflict means: read the
 * counter again and decide again; the refusal, if it comes, is a QuotaExceededError. Any other
 * cancellation is the caller's to explain (`explain`, given the reasons of `items`).
 */
export async function writeCounted(
  client: DynamoDBClient,
  table: string,
  items: TransactWriteItem[],
  changes: CounterChange[],
  explain: (reasons: CancellationReason[]) => Error | Promise<Error>,
  report?: CapacityReport,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const counters = await Promise.all(changes.map((c) => counterItem(client, table, c, report)));
    try {
      const out = await client.send(new TransactWriteItemsCommand({ TransactItems: [...items, ...counters], ReturnConsumedCapacity: 'TOTAL' }));
      report?.(out.ConsumedCapacity);
      return;
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons ?? [];
      const own = reasons.slice(0, items.length);
      if (own.some((r) => r.Code === 'ConditionalCheckFailed')) throw await explain(own);
      const retry = reasons.some((r) => r.Code === 'TransactionConflict') || reasons.slice(items.length).some((r) => r.Code === 'ConditionalCheckFailed');
      if (!retry) throw err;
      // Jittered backoff, so that many writers on one counter spread out instead of colliding again.
      await sleep(Math.random() * Math.min(200, 10 * 2 ** attempt));
    }
  }
  throw new ConflictError('too many concurrent writes to this project\'s usage', 'retry');
}
