// Loading benches' data: many writes, a few at a time.
/** Runs `fn` over `items` in batches of `size`, `parallel` batches at a time (loading benches' data). */
export async function inBatches<T>(items: T[], size: number, parallel: number, fn: (batch: T[]) => Promise<unknown>): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < batches.length) await fn(batches[next++]!);
  }));
}
