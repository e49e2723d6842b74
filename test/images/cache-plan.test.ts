// The image cache planner: least recently used first, within the budget, never what is in use
// or was used recently.
import { describe, expect, it } from 'vitest';
import { imageCacheBudgetBytes, planCacheRemoval, type CachedImage } from '../../shared/images/cache-plan.ts';

const MB = 2 ** 20;
const img = (id: string, mb: number, lastUsedMs: number, refs: string[] = [`r/${id}:latest`]): CachedImage => ({ id, refs, sizeBytes: mb * MB, lastUsedMs });
const ids = (list: CachedImage[]) => list.map((i) => i.id);

describe('planCacheRemoval', () => {
  const images = [img('a', 100, 1_000), img('b', 100, 3_000), img('c', 100, 2_000), img('d', 100, 4_000)];

  it('removes nothing while the images fit the budget', () => {
    expect(planCacheRemoval({ images, inUse: new Set(), budgetBytes: 400 * MB, keepUsedAfterMs: 10_000 })).toEqual([]);
  });

  it('removes the least recently used first, only as many as needed to fit', () => {
    expect(ids(planCacheRemoval({ images, inUse: new Set(), budgetBytes: 250 * MB, keepUsedAfterMs: 10_000 }))).toEqual(['a', 'c']);
  });

  it.each([
    ['its id', 'a'],
    ['one of its names', 'r/a:latest'],
  ])('never removes an image in use, named by %s', (_, key) => {
    expect(ids(planCacheRemoval({ images, inUse: new Set([key]), budgetBytes: 250 * MB, keepUsedAfterMs: 10_000 }))).toEqual(['c', 'b']);
  });

  it('keeps images used after the recent-use line even when over budget', () => {
    expect(ids(planCacheRemoval({ images, inUse: new Set(), budgetBytes: 0, keepUsedAfterMs: 2_500 }))).toEqual(['a', 'c']);
  });

  it('a budget of 0 removes every image not in use and not recent', () => {
    expect(ids(planCacheRemoval({ images, inUse: new Set(['d']), budgetBytes: 0, keepUsedAfterMs: 10_000 }))).toEqual(['a', 'c', 'b']);
  });
});

describe('PAAS_IMAGE_CACHE_GB', () => {
  it.each([
    [undefined, 10 * 2 ** 30],
    ['', 10 * 2 ** 30],
    ['0', 0],
    ['2.5', 2.5 * 2 ** 30],
  ])('%s gives %d bytes', (raw, bytes) => {
    expect(imageCacheBudgetBytes({ PAAS_IMAGE_CACHE_GB: raw })).toBe(bytes);
  });

  it.each(['-1', 'ten', '10GB'])('%s is refused with the setting named', (raw) => {
    expect(() => imageCacheBudgetBytes({ PAAS_IMAGE_CACHE_GB: raw })).toThrow(/PAAS_IMAGE_CACHE_GB/);
  });
});
