// Reconciles of one object, one at a time within a process. A stream batch reconciles its
// objects side by side, and a controller may also hand an object straight on to the next one
// (the DeploymentConfig controller its new RC to the RC controller), so the same RC, or the same
// Service's endpoints, could be worked on twice at once: two passes that each count one pod
// missing would make two. Each reconcile still reads the world fresh; this only orders them
// (and, with coalescing, spares passes that could only read what another pass reads).
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs `fn` for `key` after every earlier call for the same key has settled; calls for other
 * keys run freely. Forgets a key once its last call settles.
 * @example const serial = oneAtATime(); await serial('demo/web-1', () => reconcileRc(ref));
 */
export function oneAtATime() {
  const tails = new Map<string, Promise<unknown>>();
  return async function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = tails.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

/** How many keys' last pass a coalescing() remembers once it has ended. */
export const RECENT_PASSES = 256;

/** When the change that set off the reconciles in this context was written, at the latest (performance.now()). */
const changedBy = new AsyncLocalStorage<number>();

/**
 * Runs `fn` knowing that the change it reacts to was written before `at` (performance.now()):
 * the stream handler says so of a batch, whose records were all written before it was invoked.
 */
export function changedBefore<T>(at: number, fn: () => Promise<T>): Promise<T> {
  return changedBy.run(at, fn);
}

/**
 * Like oneAtATime, and a call that would only repeat a pass already bound to see its change
 * shares that pass instead: one begun after the caller's change was written (changedBefore),
 * whether still running or already done (the last RECENT_PASSES keys' last successful pass is
 * remembered), or one still waiting to begin. A stream batch that holds the DeploymentConfig, its
 * RCs and its pods then makes one pass over the DC, not one per record, however soon that pass
 * ends. Every caller still gets a pass that read the world after its change; callers outside
 * changedBefore never share a pass.
 * @example const pass = coalescing(); await pass('demo/web', () => reconcileDc('demo', 'web'));
 */
export function coalescing() {
  interface Slot {
    current?: { begun: number; done: Promise<unknown> };
    next?: Promise<unknown>;
  }
  const slots = new Map<string, Slot>();
  // The last pass of each key that succeeded, newest keys last.
  const ended = new Map<string, { begun: number; done: Promise<unknown> }>();
  return function pass<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const changed = changedBy.getStore();
    const last = ended.get(key);
    if (!slots.has(key) && last && changed !== undefined && last.begun >= changed) return last.done as Promise<T>;
    let slot = slots.get(key);
    if (!slot) slots.set(key, (slot = {}));
    const s = slot;
    if (s.current && changed !== undefined && s.current.begun >= changed) return s.current.done as Promise<T>;
    if (s.next) return s.next as Promise<T>;
    const begin = (): Promise<T> => {
      // Taken before the pass reads anything: every read it makes comes later.
      const begun = performance.now();
      // What the pass itself hands on (an RC it just scaled) was written during the batch, not before it: outside changedBefore.
      const done = changedBy.exit(fn);
      const current = { begun, done };
      s.current = current;
      const settle = () => {
        if (s.current === current) s.current = undefined;
        if (!s.current && !s.next && slots.get(key) === s) slots.delete(key);
      };
      done.then(() => {
        ended.delete(key);
        ended.set(key, current);
        if (ended.size > RECENT_PASSES) ended.delete(ended.keys().next().value!);
        settle();
      }, settle);
      return done;
    };
    if (!s.current) return begin();
    const next = s.current.done.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      s.next = undefined;
      return begin();
    });
    s.next = next;
    return next;
  };
}
