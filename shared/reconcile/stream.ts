// Drives reconcilers from DynamoDB Stream records in the Lambda event shape. On AWS this is the
// stream Lambda's handler; locally the stream poller calls the very same function. A record
// whose reconcile keeps failing is reported as a batch item failure, so Lambda (or the poller)
// delivers it again from there.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Logger } from 'pino';
import { formatRef, type ObjectRef } from '../model/types.ts';
import { refOfKey } from '../store/keys.ts';
import { wakeRefOfKey } from '../idling/signals.ts';
import { runReconcile, watchers, type RunOptions } from './runner.ts';
import type { Reconciler } from './types.ts';

export interface StreamHandlerOptions extends RunOptions {
  /** Called when a reconciler asks to look again later (the local runtime sets timers). */
  onRequeue?: (reconciler: Reconciler, ref: ObjectRef, afterMs: number) => void;
  logger?: Logger;
}

export function createStreamHandler(reconcilers: Reconciler[], opts: StreamHandlerOptions = {}) {
  return async function handleStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    for (const record of event.Records) {
      const keys = record.dynamodb?.Keys;
      // Objects, and the routers' wake requests (shared/idling/signals.ts): nothing else reaches a reconciler.
      const key = keys?.pk?.S && keys.sk?.S ? { pk: keys.pk.S, sk: keys.sk.S } : undefined;
      const ref = key && (refOfKey(key) ?? wakeRefOfKey(key));
      if (!ref) continue;
      for (const r of watchers(reconcilers, ref.kind)) {
        const outcome = await runReconcile(r, ref, opts);
        if (!outcome.ok && !outcome.terminal) {
          opts.logger?.warn({ ref: formatRef(ref), seq: record.dynamodb?.SequenceNumber }, 'reporting batch item failure');
          return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
        }
        if (outcome.ok && outcome.result.requeueAfter !== undefined) opts.onRequeue?.(r, ref, outcome.result.requeueAfter);
      }
    }
    return { batchItemFailures: [] };
  };
}
