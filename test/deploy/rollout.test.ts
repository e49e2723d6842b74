// The pure planning of a Rolling rollout: resolving maxSurge/maxUnavailable, single steps in a
// table, and whole simulated rollouts that check the surge ceiling and the availability floor
// after every step.
import { describe, expect, it } from 'vitest';
import { resolveIntOrPercent, resolveSurge, rollingStep, type RollingInput } from '../../shared/deploy/rollout.ts';

describe('resolveIntOrPercent', () => {
  it.each([
    [1, 10, true, 1],
    ['25%', 3, true, 1],
    ['25%', 3, false, 0],
    ['25%', 4, false, 1],
    ['50%', 5, true, 3],
    ['50%', 5, false, 2],
    ['100%', 7, false, 7],
    ['0%', 7, true, 0],
    ['25%', 0, true, 0],
    [undefined, 4, true, 0],
  ] as const)('%s of %i (roundUp %s) is %i', (v, replicas, up, want) => {
    expect(resolveIntOrPercent(v, replicas, up)).toBe(want);
  });

  it('rejects what is neither a count nor a percentage', () => {
    expect(() => resolveIntOrPercent('lots', 3, true)).toThrow(/neither a count nor a percentage/);
  });

  it('makes maxUnavailable 1 when both resolve to 0, so the rollout can move', () => {
    expect(resolveSurge(0, 0, 5)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(resolveSurge('10%', '10%', 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveSurge('0%', '10%', 3)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });
});

const input = (over: Partial<RollingInput>): RollingInput => ({ desired: 3, newRc: { replicas: 0, available: 0 }, oldRcs: [], maxSurge: 1, maxUnavailable: 0, ...over });

describe('rollingStep', () => {
  it.each<[string, Partial<RollingInput>, number, Record<string, number>, boolean]>([
    ['first step surges the new RC only', { oldRcs: [{ name: 'a-1', replicas: 3, available: 3 }] }, 1, { 'a-1': 3 }, false],
    ['a new available replica lets one old go', { newRc: { replicas: 1, available: 1 }, oldRcs: [{ name: 'a-1', replicas: 3, available: 3 }] }, 1, { 'a-1': 2 }, false],
    ['an unavailable new replica holds the old ones', { newRc: { replicas: 1, available: 0 }, oldRcs: [{ name: 'a-1', replicas: 3, available: 3 }] }, 1, { 'a-1': 3 }, false],
    ['maxUnavailable lets old go before new is up', { maxSurge: 0, maxUnavailable: 1, oldRcs: [{ name: 'a-1', replicas: 3, available: 3 }] }, 0, { 'a-1': 2 }, false],
    ['surge and unavailable together', { maxSurge: 1, maxUnavailable: 1, oldRcs: [{ name: 'a-1', replicas: 3, available: 3 }] }, 1, { 'a-1': 2 }, false],
    ['unavailable old replicas are cleaned first', { maxSurge: 1, newRc: { replicas: 1, available: 1 }, oldRcs: [{ name: 'a-1', replicas: 3, available: 2 }] }, 1, { 'a-1': 2 }, false],
    ['oldest RC shrinks first', { maxUnavailable: 2, maxSurge: 0, newRc: { replicas: 1, available: 1 }, oldRcs: [{ name: 'a-1', replicas: 1, available: 1 }, { name: 'a-2', replicas: 1, available: 1 }] }, 1, { 'a-1': 0, 'a-2': 0 }, false],
    ['finishing: old at 0, new fully available', { newRc: { replicas: 3, available: 3 }, oldRcs: [{ name: 'a-1', replicas: 0, available: 0 }] }, 3, { 'a-1': 0 }, true],
    ['not done while new replicas are unavailable', { newRc: { replicas: 3, available: 2 }, oldRcs: [] }, 3, {}, false],
    ['scaling up mid-rollout grows the new RC', { desired: 5, newRc: { replicas: 2, available: 2 }, oldRcs: [{ name: 'a-1', replicas: 1, available: 1 }] }, 5, { 'a-1': 1 }, false],
    ['scaling down mid-rollout shrinks the new RC to desired', { desired: 1, newRc: { replicas: 2, available: 2 }, oldRcs: [{ name: 'a-1', replicas: 1, available: 1 }] }, 1, { 'a-1': 0 }, false],
    ['one replica, surge 25%: one extra, then swap', { desired: 1, maxSurge: '25%', maxUnavailable: '25%', oldRcs: [{ name: 'a-1', replicas: 1, available: 1 }] }, 1, { 'a-1': 1 }, false],
    ['zero replicas: everything goes to 0 and it is done', { desired: 0, maxSurge: '25%', maxUnavailable: '25%', oldRcs: [{ name: 'a-1', replicas: 2, available: 2 }] }, 0, { 'a-1': 0 }, false],
    ['zero replicas with nothing left is done', { desired: 0, oldRcs: [{ name: 'a-1', replicas: 0, available: 0 }] }, 0, { 'a-1': 0 }, true],
    ['all unavailable: surge only, old kept (no availability to lose but no room)', { newRc: { replicas: 1, available: 0 }, oldRcs: [{ name: 'a-1', replicas: 3, available: 0 }] }, 1, { 'a-1': 3 }, false],
    ['all unavailable with maxUnavailable: old unavailable pods go', { maxUnavailable: 1, newRc: { replicas: 1, available: 0 }, oldRcs: [{ name: 'a-1', replicas: 3, available: 0 }] }, 1, { 'a-1': 2 }, false],
  ])('%s', (_name, over, newReplicas, oldReplicas, done) => {
    expect(rollingStep(input(over))).toEqual({ newReplicas, oldReplicas, done });
  });
});

/** A deterministic pseudo-random sequence, so the simulations are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('a simulated rollout', () => {
  it.each([
    [3, 1, 0],
    [3, '25%', '25%'],
    [10, '25%', '25%'],
    [10, 0, 3],
    [10, '50%', 0],
    [1, '25%', '25%'],
    [1, 0, 0],
    [5, 2, 2],
    [0, '25%', '25%'],
  ] as const)('desired %i, maxSurge %s, maxUnavailable %s: never above the ceiling nor below the floor', (desired, maxSurge, maxUnavailable) => {
    const rand = lcg(desired * 31 + String(maxSurge).length * 7 + String(maxUnavailable).length);
    const { maxSurge: surge, maxUnavailable: unav } = resolveSurge(maxSurge, maxUnavailable, desired);
    const floor = desired - unav;
    const neu = { replicas: 0 as number, available: 0 as number };
    const old = [{ name: 'a-1', replicas: desired as number, available: desired as number }];
    let steps = 0;
    for (;;) {
      const step = rollingStep({ desired, newRc: neu, oldRcs: old, maxSurge, maxUnavailable });
      if (step.done) break;
      const availableBefore = neu.available + old[0]!.available;
      // Apply: an RC that shrinks removes its unavailable pods first.
      neu.replicas = step.newReplicas;
      neu.available = Math.min(neu.available, neu.replicas);
      old[0]!.replicas = step.oldReplicas['a-1']!;
      old[0]!.available = Math.min(old[0]!.available, old[0]!.replicas);
      expect(neu.replicas + old[0]!.replicas).toBeLessThanOrEqual(desired + surge);
      expect(neu.available + old[0]!.available).toBeGreaterThanOrEqual(Math.min(floor, availableBefore));
      // Time passes: some of the new pods become available.
      if (neu.available < neu.replicas && rand() < 0.6) neu.available += 1;
      expect(++steps).toBeLessThan(500);
    }
    expect(neu).toEqual({ replicas: desired, available: desired });
    expect(old[0]!.replicas).toBe(0);
  });
});
