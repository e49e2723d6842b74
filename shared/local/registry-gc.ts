// When the local registry collects its garbage: on a schedule, and shortly after images were
// deleted (a deleted project or image stream, a prune), never while a build may be pushing.
import type { LocalRegistry, RegistryCollection } from './registry.ts';

export interface RegistryGcOptions {
  registry: Pick<LocalRegistry, 'garbageCollect'>;
  /** How often the registry collects even when nothing asked (default an hour). */
  intervalMs?: number;
  /** How long after a request to collect, so that a project's many deletions share one collection (default 10 s). */
  settleMs?: number;
  /** Whether a build may be pushing now; the collection waits until none is. */
  busy?: () => boolean;
  onCollected?: (out: RegistryCollection) => void;
  onError?: (err: Error) => void;
}

export interface RegistryGc {
  /** Collects soon (images were deleted). */
  request(): void;
  stop(): Promise<void>;
}

export function scheduleRegistryGc(opts: RegistryGcOptions): RegistryGc {
  const settleMs = opts.settleMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const due = () => {
    timer = undefined;
    if (stopped) return;
    if (opts.busy?.()) return void (timer = setTimeout(due, settleMs));
    running = running.then(() =>
      opts.registry.garbageCollect().then(
        (out) => opts.onCollected?.(out),
        (err: Error) => opts.onError?.(err),
      ),
    );
  };
  const request = () => {
    if (!stopped && !timer) timer = setTimeout(due, settleMs);
  };
  const interval = setInterval(request, opts.intervalMs ?? 60 * 60_000);
  return {
    request,
    async stop() {
      stopped = true;
      clearInterval(interval);
      clearTimeout(timer);
      await running;
    },
  };
}
