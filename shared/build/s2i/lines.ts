// Output plumbing: container output arrives in chunks; the build log wants whole lines, and a
// failed assemble wants its last lines.
import { Writable } from 'node:stream';

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
