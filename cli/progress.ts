// Progress of long work on stderr. On a terminal one line is redrawn in place (at most ten
// times a second); elsewhere only where the work starts and ends, so CI logs stay readable.
import type { Io } from './io.ts';
import { formatBytes } from './output.ts';

export class Progress {
  private done = 0;
  private drawnAt = 0;

  constructor(
    private readonly io: Io,
    private readonly total: number,
  ) {}

  start(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  advance(bytes: number): void {
    this.done += bytes;
    if (!this.io.stderr.isTTY || Date.now() - this.drawnAt < 100) return;
    this.drawnAt = Date.now();
    const percent = Math.min(100, Math.floor((this.done / Math.max(1, this.total)) * 100));
    this.io.stderr.write(`\r\x1b[K  ${percent}% of ${formatBytes(this.total)}`);
  }

  end(line: string): void {
    if (this.io.stderr.isTTY && this.drawnAt) this.io.stderr.write('\r\x1b[K');
    this.io.stderr.write(`${line}\n`);
  }
}
