// Drives reconcilers from DynamoDB Stream records in the Lambda event shape. On AWS this is the
// stream Lambda's handler; locally the stream poller calls the very same function. A record
// whose reconcile keeps failing is reported as a batch item failure, so Lambda (or the poller)
// delivers it again from there.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Logger } from 'pino';
import { formatRef, type ObjectRef } from '../model/types.ts';
import { refOfKey } from '../store/keys.ts';
import { wakeRefOfKey } from '../idling/signals.ts';
import { eachLimited } from '../fleet/each-limited.ts';
import { changedBefore } from './one-at-a-time.ts';
import { runReconcile, watchers, type RunOptions } from './runner.ts';
import type { Reconciler } from './types.ts';
import { changesOfRecords, type Change } from '../push/changes.ts';

export interface StreamHandlerOptions extends RunOptions {
  /** Called when a reconciler asks to look again later (the local runtime sets timers). */
  onRequeue?: (reconciler: Reconciler, ref: ObjectRef, afterMs: number) => void;
  /** How many reconciles of one batch run at once (default 16). */
  concurrency?: number;
  logger?: Logger;
  /** Told of every batch's changes, build logs' included (push connections, shared/push/service.ts). */
  push?: { notify(changes: Change[]): Promise<void> };
}

/** Records of one batch: each object once, at its first record (reconcilers read it fresh, so later records of it add nothing). */
function objectsOf(event: DynamoDBStreamEvent): { index: number; seq: string; ref: ObjectRef }[] {
  const seen = new Set<string>();
  const out: { index: number; seq: string; ref: ObjectRef }[] = [];
  event.Records.forEach((record, index) => {
    const keys = record.dynamodb?.Keys;
    // Objects, and the routers' wake requests (shared/idling/signals.ts): nothing else reaches a reconciler.
    const key = keys?.pk?.S && keys.sk?.S ? { pk: keys.pk.S, sk: keys.sk.S } : undefined;
    const ref = key && (refOfKey(key) ?? wakeRefOfKey(key));
    if (!ref) return;
    const k = formatRef(ref);
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ index, seq: record.dynamodb?.SequenceNumber ?? '', ref });
  });
  return out;
}

/**
 * The objects of a batch are reconciled side by side, and so are the reconcilers that watch one
 * object (each reads the world fresh and makes its own part right), so a slow reconcile does not
 * hold up another: every step of a rollout costs one stream hop. The earliest record whose
 * reconcile keeps failing is reported; the batch is delivered again from there, and reconciling
 * the later objects again is harmless.
 */
export function createStreamHandler(reconcilers: Reconciler[], opts: StreamHandlerOptions = {}) {
  return async function handleStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    // Every record of the batch was written before now: a pass begun from here on sees them all.
    const invoked = performance.now();
    const failed: { index: number; seq: string }[] = [];
    // Watchers are told beside the reconciles, not after them: a notice is about this batch's writes.
    const told = opts.push ? tellWatchers(opts.push, event, opts.logger) : undefined;
    const work = objectsOf(event).flatMap((o) => watchers(reconcilers, o.ref.kind).map((r) => ({ ...o, r })));
    await eachLimited(work, opts.concurrency ?? 16, async ({ index, seq, ref, r }) => {
      const outcome = await changedBefore(invoked, () => runReconcile(r, ref, opts));
      if (!outcome.ok && !outcome.terminal) {
        opts.logger?.warn({ ref: formatRef(ref), reconciler: r.name, seq }, 'reporting batch item failure');
        failed.push({ index, seq });
      }
      if (outcome.ok && outcome.result.requeueAfter !== undefined) opts.onRequeue?.(r, ref, outcome.result.requeueAfter);
    });
    await told;
    const first = failed.sort((a, b) => a.index - b.index)[0];
    return { batchItemFailures: first ? [{ itemIdentifier: first.seq }] : [] };
  };
}

/** Tells push watchers of the batch's changes; a failure is logged, never the batch's. */
async function tellWatchers(push: NonNullable<StreamHandlerOptions['push']>, event: DynamoDBStreamEvent, logger: Logger | undefined): Promise<void> {
  const changes = changesOfRecords(event.Records);
  if (!changes.length) return;
  await push.notify(changes).catch((err) => logger?.warn({ err }, 'push: telling watchers failed'));
}
