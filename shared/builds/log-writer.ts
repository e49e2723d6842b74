// Buffers a build's log lines and appends them to BuildLogs in batches, keeping the last lines
// for the build's status when it fails.
import type { ObjectRef } from '../model/types.ts';
import type { BuildLogs } from './ports.ts';

export class LogWriter {
  private buffer = '';
  private readonly tail: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly logs: BuildLogs,
    private readonly ref: ObjectRef,
    private readonly keep = 50,
  ) {}

  line = (text: string): void => {
    for (const l of text.replace(/\r/g, '').split('\n')) {
      this.tail.push(l);
      if (this.tail.length > this.keep) this.tail.shift();
    }
    this.buffer += text.endsWith('\n') ? text : `${text}\n`;
    if (this.buffer.length > 64 * 1024) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), 300);
  };

  /** The last lines written (up to `keep`). */
  lastLines(): string {
    return this.tail.join('\n');
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.buffer;
    this.buffer = '';
    if (text) this.flushing = this.flushing.then(() => this.logs.append(this.ref, text));
    return this.flushing;
  }
}
