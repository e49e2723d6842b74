// Reconciles of one key run one at a time; calls that join a waiting pass share it, and a call
// made after a pass started gets one of its own (that pass may have read the world before it).
import { describe, expect, it } from 'vitest';
import { oneAtATime } from '../../shared/reconcile/one-at-a-time.ts';

/** A gate: a promise and the function that opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('oneAtATime', () => {
  it('runs calls for one key one after another, and other keys beside them', async () => {
    const serial = oneAtATime();
    const order: string[] = [];
    const first = gate();
    const a = serial('p', async () => {
      order.push('a start');
      await first.wait;
      order.push('a end');
    });
    const b = serial('p', async () => void order.push('b'));
    const other = serial('q', async () => void order.push('q'));
    await other;
    expect(order).toEqual(['a start', 'q']);
    first.open();
    await Promise.all([a, b]);
    expect(order).toEqual(['a start', 'q', 'a end', 'b']);
  });

  it('joins calls that wait behind a running pass into one pass, which serves them all', async () => {
    const serial = oneAtATime();
    const running = gate();
    let passes = 0;
    const pass = async () => {
      passes++;
      if (passes === 1) await running.wait;
      return passes;
    };
    const first = serial('p', pass, 'pods');
    // The first pass has started (it reads the world, then waits on its gate).
    await new Promise((r) => setTimeout(r, 10));
    const waiting = [serial('p', pass, 'pods'), serial('p', pass, 'pods'), serial('p', pass, 'pods')];
    running.open();
    expect(await first).toBe(1);
    expect(await Promise.all(waiting)).toEqual([2, 2, 2]);
    expect(passes).toBe(2);
  });

  it('gives a call made after the waiting pass started a pass of its own', async () => {
    const serial = oneAtATime();
    const second = gate();
    const started: number[] = [];
    let n = 0;
    const pass = async () => {
      const me = ++n;
      started.push(me);
      if (me === 2) await second.wait;
      return me;
    };
    const one = serial('p', pass, 'pods');
    await one;
    const two = serial('p', pass, 'pods');
    // The second pass has started (it waits on its gate); a call now must not share it.
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([1, 2]);
    const three = serial('p', pass, 'pods');
    second.open();
    expect(await two).toBe(2);
    expect(await three).toBe(3);
  });

  it('does not join calls of another kind, nor of another key', async () => {
    const serial = oneAtATime();
    const running = gate();
    let passes = 0;
    const pass = async () => {
      passes++;
      if (passes === 1) await running.wait;
    };
    const first = serial('p', pass);
    await new Promise((r) => setTimeout(r, 10));
    const calls = [serial('p', pass, 'pods'), serial('p', pass, 'pods'), serial('p', pass, 'services'), serial('p', pass), serial('p', pass), serial('q', pass, 'pods')];
    running.open();
    await Promise.all([first, ...calls]);
    // p: the first, one joined 'pods' pass, one 'services', two plain; q: one.
    expect(passes).toBe(6);
  });

  it('a failing pass fails every call that joined it, and the next call runs again', async () => {
    const serial = oneAtATime();
    const running = gate();
    let n = 0;
    const first = serial('p', async () => {
      n++;
      await running.wait;
    });
    const failing = async () => {
      n++;
      throw new Error('table unavailable');
    };
    const joined = [serial('p', failing, 'pods'), serial('p', failing, 'pods')];
    running.open();
    await first;
    for (const j of joined) await expect(j).rejects.toThrow('table unavailable');
    expect(n).toBe(2);
    expect(await serial('p', async () => 'again', 'pods')).toBe('again');
  });
});
