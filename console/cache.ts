// A small time-limited memo for what the console asks the API on every page (who the session's
// user is, what they may do in a project). Only what pages show is cached: every action and every
// read of data still goes to the API, which decides afresh.
import { createHash } from 'node:crypto';

export class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 1000,
  ) {}

  /** The value under `key`, loaded by `load` when missing or older than the TTL; failures are not kept. */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    const value = load();
    this.entries.set(key, { at: now, value });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  /** Forgets every entry whose key starts with `prefix` (a signed-out session's). */
  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

/** A session's key in the caches: a hash, so that no token is kept as a key. */
export const sessionKey = (token: string): string => createHash('sha256').update(token).digest('base64url');
