// Output plumbing: container output arrives in chunks; the build log wants whole lines, and a
// failed assemble wants its last lines.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** A Writable that calls `onLine` for every line written to it (a trailing partial line on end). */
export function lineWriter(onLine: (line: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const p of parts) onLine(p.replace(/\r$/, ''));
      done();
    },
    final(done) {
      if (pending) onLine(pending);
      pending = '';
      done();
    },
  });
}

/** Keeps the last `size` lines it is given. */
export class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly size: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  get(): string[] {
    return [...this.lines];
  }
}

/** Line writers for a container's stdout and stderr; `close()` flushes a last partial line. */
export function outputLines(onLine: (line: string) => void): { stdout: Writable; stderr: Writable; close(): Promise<void> } {
  const stdout = lineWriter(onLine);
  const stderr = lineWriter(onLine);
  return {
    stdout,
    stderr,
    async close() {
      stdout.end();
      stderr.end();
      await Promise.all([finished(stdout), finished(stderr)]);
    },
  };
}
