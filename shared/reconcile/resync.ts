// The periodic resync: every reconciler looks at every object it cares about, so that anything
// a stream record missed is put right. On AWS an EventBridge schedule invokes it.
import type { ObjectRef } from '../model/types.ts';
import { runReconcile, type RunOptions } from './runner.ts';
import type { Reconciler } from './types.ts';

export interface ResyncSummary {
  reconciled: number;
  failed: number;
}

export async function resyncAll(
  reconcilers: Reconciler[],
  opts: RunOptions & {
    onRequeue?: (r: Reconciler, ref: ObjectRef, afterMs: number) => void;
    /** An object a reconciler still failed on after its retries (not a TerminalError, which is recorded): on AWS, a log record with a metric. */
    onError?: (r: Reconciler, ref: ObjectRef, error: unknown) => void;
  } = {},
): Promise<ResyncSummary> {
  const summary: ResyncSummary = { reconciled: 0, failed: 0 };
  for (const r of reconcilers) {
    if (!r.resync) continue;
    for await (const ref of r.resync()) {
      const outcome = await runReconcile(r, ref, opts);
      if (outcome.ok) {
        summary.reconciled++;
        if (outcome.result.requeueAfter !== undefined) opts.onRequeue?.(r, ref, outcome.result.requeueAfter);
      } else {
        summary.failed++;
        if (!outcome.terminal) opts.onError?.(r, ref, outcome.error);
      }
    }
  }
  return summary;
}
