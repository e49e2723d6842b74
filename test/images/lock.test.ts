// The builder-image lock: one holder at a time across workers; a dead holder's lock is taken over.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withLock } from '../../images/lock.ts';

describe('withLock', () => {
  it('runs holders one after the other', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'berth-lock-')), 'lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withLock(path, async () => {
        events.push(`${name} in`);
        await sleep(300);
        events.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b')]);
    expect(events).toHaveLength(4);
    expect(events[0]!.split(' ')[0]).toBe(events[1]!.split(' ')[0]);
    expect(events[2]!.split(' ')[0]).toBe(events[3]!.split(' ')[0]);
  });

  it('takes over the lock of a process that is gone', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'berth-lock-')), 'lock');
    await writeFile(path, '999999999');
    const started = Date.now();
    expect(await withLock(path, async () => 'ran')).toBe('ran');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
