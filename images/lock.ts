// A cross-process lock file, so that parallel test workers build the builder images once.
import { open, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` holding the lock at `path`; waits for a live holder, takes over from a dead one. */
export async function withLock<T>(path: string, fn: () => Promise<T>, waitMs = 30 * 60_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(path, 'utf8').catch(() => ''));
      if (holder && !alive(holder)) await rm(path, { force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${path} (held by pid ${holder})`);
      else await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
