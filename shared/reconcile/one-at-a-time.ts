// Reconciles of one object, one at a time within a process. A stream batch reconciles its
// objects side by side, and a controller may also hand an object straight on to the next one
// (the DeploymentConfig controller its new RC to the RC controller), so the same RC, or the same
// Service's endpoints, could be worked on twice at once: two passes that each count one pod
// missing would make two. Each reconcile still reads the world fresh; this only orders them.

/**
 * Runs `fn` for `key` after every earlier call for the same key has settled; calls for other
 * keys run freely. Forgets a key once its last call settles.
 *
 * A call given `joining` shares the run of an earlier call with the same `joining` that is still
 * waiting for its turn (not started yet): a pass that reads everything it needs fresh when it
 * starts serves every call made before it started, so a burst of changes costs one pass more,
 * not one pass each.
 * @example const serial = oneAtATime(); await serial('demo/web-1', () => reconcileRc(ref));
 * @example await serial('demo', () => projectPass('demo'), 'pods') // joins a waiting 'pods' pass of demo
 */
export function oneAtATime() {
  const tails = new Map<string, Promise<unknown>>();
  const waiting = new Map<string, Promise<unknown>>();
  return async function serial<T>(key: string, fn: () => Promise<T>, joining?: string): Promise<T> {
    const slot = joining === undefined ? undefined : `${key}\0${joining}`;
    const queued = slot === undefined ? undefined : waiting.get(slot);
    if (queued) return queued as Promise<T>;
    const before = tails.get(key) ?? Promise.resolve();
    const start = () => {
      // From here on the pass reads the world: calls made later need a pass of their own.
      if (slot !== undefined) waiting.delete(slot);
      return fn();
    };
    const run = before.then(start, start);
    if (slot !== undefined) waiting.set(slot, run);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
