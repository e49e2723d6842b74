// The one place that owns retries: an error is retried with exponential backoff, a
// TerminalError is recorded and not retried, a result's requeueAfter is handed back.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { TerminalError } from '../errors.ts';
import { formatRef, type ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from './types.ts';

export interface RunOptions {
  attempts?: number;
  baseDelayMs?: number;
  logger?: Logger;
}

export type Outcome = { ok: true; result: Result } | { ok: false; terminal: boolean; error: unknown };

export async function runReconcile(r: Reconciler, ref: ObjectRef, opts: RunOptions = {}): Promise<Outcome> {
  const attempts = opts.attempts ?? 3;
  const base = opts.baseDelayMs ?? 100;
  for (let i = 1; ; i++) {
    try {
      return { ok: true, result: await r.reconcile(ref) };
    } catch (error) {
      if (error instanceof TerminalError) {
        opts.logger?.warn({ reconciler: r.name, ref: formatRef(ref), reason: error.message }, 'reconcile failed for good');
        return { ok: false, terminal: true, error };
      }
      if (i >= attempts) {
        opts.logger?.error({ reconciler: r.name, ref: formatRef(ref), err: error }, 'reconcile failed; will be retried');
        return { ok: false, terminal: false, error };
      }
      await sleep(base * 2 ** (i - 1) * (0.5 + Math.random()));
    }
  }
}

/** The reconcilers that watch a kind. */
export function watchers(reconcilers: Reconciler[], kind: string): Reconciler[] {
  return reconcilers.filter((r) => r.kinds.includes(kind));
}
