// Reconciles of one object, one at a time within a process. A stream batch reconciles its
// objects side by side, and a controller may also hand an object straight on to the next one
// (the DeploymentConfig controller its new RC to the RC controller), so the same RC, or the same
// Service's endpoints, could be worked on twice at once: two passes that each count one pod
// missing would make two. Each reconcile still reads the world fresh; this only orders them.

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
