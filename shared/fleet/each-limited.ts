// Runs an async step over items with at most `limit` running at once: a fleet pass over
// hundreds of pods must not send hundreds of ECS requests in one burst (ECS throttles per
// account and action, "Request throttling for the Amazon ECS API").

/**
 * @example await eachLimited(pods, 10, (p) => syncPod(p))
 */
export async function eachLimited<T>(items: readonly T[], limit: number, step: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await step(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
