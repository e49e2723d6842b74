// The local reconciler runtime: the DynamoDB Local stream poller feeding the Lambda stream
// handler, a periodic resync, and timers for requeueAfter (which on AWS the resync schedule
// serves).
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from 'pino';
import { formatRef, type ObjectRef } from '../../shared/model/types.ts';
import { StreamPoller } from '../../shared/local/stream-poller.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { runReconcile } from '../../shared/reconcile/runner.ts';
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';

export interface LocalReconcilersOptions {
  reconcilers: Reconciler[];
  endpoint: string;
  streamArn: string;
  resyncMs: number;
  logger?: Logger;
}

export interface RunningReconcilers {
  stop(): Promise<void>;
  /** Runs one resync now (tests and start-up). */
  resync(): Promise<void>;
}

/** The longest timer kept; anything later is left to the periodic resync. */
const MAX_TIMER_MS = 6 * 3600 * 1000;

export async function startLocalReconcilers(opts: LocalReconcilersOptions): Promise<RunningReconcilers> {
  const timers = new Map<string, NodeJS.Timeout>();
  const logger = opts.logger;
  const requeue = (r: Reconciler, ref: ObjectRef, afterMs: number) => {
    if (afterMs > MAX_TIMER_MS) return;
    const key = `${r.name} ${formatRef(ref)}`;
    clearTimeout(timers.get(key));
    const timer = setTimeout(async () => {
      timers.delete(key);
      const outcome = await runReconcile(r, ref, { logger });
      if (outcome.ok && outcome.result.requeueAfter !== undefined) requeue(r, ref, outcome.result.requeueAfter);
    }, Math.max(afterMs, 10));
    timer.unref();
    timers.set(key, timer);
  };
  const handler = createStreamHandler(opts.reconcilers, { logger, onRequeue: requeue });
  const client = new DynamoDBStreamsClient({ endpoint: opts.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const poller = new StreamPoller({ client, streamArn: opts.streamArn, handler, logger });
  await poller.start();
  const resync = async () => {
    const summary = await resyncAll(opts.reconcilers, { logger, onRequeue: requeue });
    if (summary.reconciled || summary.failed) logger?.debug(summary, 'resync');
  };
  let resyncing = resync();
  const interval = setInterval(() => {
    resyncing = resyncing.then(resync, resync).catch((err) => logger?.error({ err }, 'resync failed'));
  }, opts.resyncMs);
  return {
    resync: () => (resyncing = resyncing.then(resync, resync)),
    async stop() {
      clearInterval(interval);
      for (const t of timers.values()) clearTimeout(t);
      await poller.stop();
      await resyncing.catch(() => undefined);
      client.destroy();
    },
  };
}
