// The exit status of an ECS Exec session: the platform's wrapper prints it after a marker only
// this session knows (`\n<marker><status>\n`, `\r\n` through a terminal). This filter passes the
// output on without the marker line, holding back only bytes that may be the marker's start.

export class ExitMarkerFilter {
  private held = Buffer.alloc(0);
  private readonly patterns: Buffer[];
  private tail?: Buffer;
  /** The status once the marker line has been read whole. */
  code?: number;

  constructor(marker: string) {
    this.patterns = [Buffer.from(`\r\n${marker}`), Buffer.from(`\n${marker}`)];
  }

  /** The output to pass on from this chunk. */
  push(chunk: Buffer): Buffer {
    if (this.tail) return this.readTail(chunk);
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    for (const p of this.patterns) {
      const at = data.indexOf(p);
      if (at >= 0) {
        this.tail = Buffer.alloc(0);
        this.readTail(data.subarray(at + p.length));
        return data.subarray(0, at);
      }
    }
    const keep = this.heldLength(data);
    this.held = Buffer.from(data.subarray(data.length - keep));
    return data.subarray(0, data.length - keep);
  }

  /** What was held back, at the end of the output. */
  flush(): Buffer {
    const out = this.tail ? Buffer.alloc(0) : this.held;
    this.held = Buffer.alloc(0);
    return out;
  }

  private readTail(chunk: Buffer): Buffer {
    if (this.code !== undefined) return Buffer.alloc(0);
    this.tail = Buffer.concat([this.tail!, chunk]);
    const m = /^(\d{1,3})\r?\n/.exec(this.tail.toString('latin1'));
    if (m) this.code = Number(m[1]);
    return Buffer.alloc(0);
  }

  /** The longest end of `data` that is the start of a marker pattern. */
  private heldLength(data: Buffer): number {
    let best = 0;
    for (const p of this.patterns) {
      for (let k = Math.min(data.length, p.length - 1); k > best; k--) {
        if (data.subarray(data.length - k).equals(p.subarray(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
