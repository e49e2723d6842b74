// Passes shared by reconciles that could only repeat them (shared/reconcile/one-at-a-time.ts):
// a call shares a pass begun after its change was written, or one still waiting to begin, and
// otherwise gets a pass of its own that begins after the one in progress.
import { describe, expect, it } from 'vitest';
import { changedBefore, coalescing } from '../../shared/reconcile/one-at-a-time.ts';

/** A pass that waits for `release()`, counting how many began and in what order. */
function passes() {
  const begun: number[] = [];
  let open: (() => void)[] = [];
  return {
    begun,
    fn: (n: number) => async () => {
      begun.push(n);
      await new Promise<void>((resolve) => open.push(resolve));
      return n;
    },
    release() {
      const o = open;
      open = [];
      o.forEach((r) => r());
    },
  };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('coalescing', () => {
  it('calls of one stream batch share the pass begun after the batch was written', async () => {
    const pass = coalescing();
    const p = passes();
    const invoked = performance.now();
    const calls = [1, 2, 3, 4].map((n) => changedBefore(invoked, () => pass('demo/web', p.fn(n))));
    await tick();
    p.release();
    expect(await Promise.all(calls)).toEqual([1, 1, 1, 1]);
    expect(p.begun).toEqual([1]);
  });

  it('a change written after the pass in progress began gets a pass of its own, after it; later calls share that one', async () => {
    const pass = coalescing();
    const p = passes();
    const first = pass('demo/web', p.fn(1));
    await tick();
    const later = performance.now();
    const second = changedBefore(later, () => pass('demo/web', p.fn(2)));
    const third = pass('demo/web', p.fn(3));
    await tick();
    expect(p.begun).toEqual([1]);
    p.release();
    expect(await first).toBe(1);
    await tick();
    expect(p.begun).toEqual([1, 2]);
    p.release();
    expect(await Promise.all([second, third])).toEqual([2, 2]);
  });

  it('a call outside a stream batch never shares a pass in progress, and other keys run freely', async () => {
    const pass = coalescing();
    const p = passes();
    const first = pass('demo/web', p.fn(1));
    const other = pass('demo/api', p.fn(2));
    const again = pass('demo/web', p.fn(3));
    await tick();
    expect(p.begun).toEqual([1, 2]);
    p.release();
    expect(await Promise.all([first, other])).toEqual([1, 2]);
    await tick();
    expect(p.begun).toEqual([1, 2, 3]);
    p.release();
    expect(await again).toBe(3);
  });

  it('what a pass hands on from inside a stream batch gets a pass of its own: it was written during the batch, not before it', async () => {
    const pass = coalescing();
    const p = passes();
    const invoked = performance.now();
    const rc = changedBefore(invoked, () => pass('demo/web-2', p.fn(1)));
    // The DC's pass, begun for the same batch, scales the RC and hands it on while the RC's pass is in progress.
    const dc = changedBefore(invoked, () => pass('demo/web', async () => pass('demo/web-2', p.fn(2))));
    await tick();
    p.release();
    expect(await rc).toBe(1);
    await tick();
    expect(p.begun).toEqual([1, 2]);
    p.release();
    expect(await dc).toBe(2);
  });

  it('a failed pass fails every call that shared it, and the next call begins afresh', async () => {
    const pass = coalescing();
    let n = 0;
    const failing = async () => {
      n++;
      await tick();
      throw new Error('boom');
    };
    const invoked = performance.now();
    const calls = [1, 2].map(() => changedBefore(invoked, () => pass('demo/web', failing)));
    for (const c of calls) await expect(c).rejects.toThrow('boom');
    expect(n).toBe(1);
    await expect(pass('demo/web', failing)).rejects.toThrow('boom');
    expect(n).toBe(2);
  });

  it('a call of a stream batch shares a pass begun after the batch was written even once that pass has ended', async () => {
    const pass = coalescing();
    const p = passes();
    const invoked = performance.now();
    const first = changedBefore(invoked, () => pass('demo/web', p.fn(1)));
    await tick();
    p.release();
    expect(await first).toBe(1);
    // The batch's RC record, whose lookup of its DC took longer than the DC's whole pass.
    expect(await changedBefore(invoked, () => pass('demo/web', p.fn(2)))).toBe(1);
    expect(p.begun).toEqual([1]);
    // A change written after that pass began, or a call outside a batch, gets a pass of its own.
    const later = changedBefore(performance.now(), () => pass('demo/web', p.fn(3)));
    await tick();
    p.release();
    expect(await later).toBe(3);
    const outside = pass('demo/web', p.fn(4));
    await tick();
    p.release();
    expect(await outside).toBe(4);
    expect(p.begun).toEqual([1, 3, 4]);
  });

  it('a pass that failed is not shared once it has ended: the next call of the batch tries again', async () => {
    const pass = coalescing();
    let n = 0;
    const failing = async () => {
      n++;
      throw new Error('boom');
    };
    const invoked = performance.now();
    await expect(changedBefore(invoked, () => pass('demo/web', failing))).rejects.toThrow('boom');
    await expect(changedBefore(invoked, () => pass('demo/web', failing))).rejects.toThrow('boom');
    expect(n).toBe(2);
  });
});
