// Buffers a build's log lines and appends them to BuildLogs in batches (at most one append per
// `flushMs`, the adapter's choice, or per 64 KB), keeping the last lines for the build's status
// when it fails. A log past its limit is cut there, with a note saying
// so; what follows is dropped (the last lines are still kept for the status).
import type { ObjectRef } from '../model/types.ts';
import type { BuildLogs } from './ports.ts';

/** How long lines are gathered before an append when the adapter does not say. */
export const DEFAULT_FLUSH_MS = 300;

export class LogWriter {
  private buffer = '';
  private readonly tail: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private written = 0;
  private cut = false;

  constructor(
    private readonly logs: BuildLogs,
    private readonly ref: ObjectRef,
    private readonly keep = 50,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly flushMs = logs.flushMs ?? DEFAULT_FLUSH_MS,
  ) {}

  line = (text: string): void => {
    for (const l of text.replace(/\r/g, '').split('\n')) {
      this.tail.push(l);
      if (this.tail.length > this.keep) this.tail.shift();
    }
    if (this.cut) return;
    const add = text.endsWith('\n') ? text : `${text}\n`;
    const room = this.maxBytes - this.written;
    if (Buffer.byteLength(add) > room) {
      this.cut = true;
      this.buffer += `${Buffer.from(add).subarray(0, Math.max(0, room)).toString('utf8').replace(/\uFFFD$/, '')}\n`;
      this.buffer += `--- the log was cut here: it reached the limit of ${this.maxBytes} bytes; later lines are left out ---\n`;
      this.written = this.maxBytes;
      void this.flush();
      return;
    }
    this.written += Buffer.byteLength(add);
    this.buffer += add;
    if (this.buffer.length > 64 * 1024) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
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
