// The API's rate limit per user: each authenticated request counts against its user (the token's
// subject) in a one-minute window, and past the limit the user gets 429 with Retry-After until the
// window ends. The count lives in the table, one item per user and window, raised with one atomic
// ADD (no read, no race): every API instance (every Lambda, however many run) sees the same count,
// which an in-process bucket per instance would not. One user's flood raises only that user's
// count; the API stage's throttle stays as the platform-wide ceiling.
//
// A write per request is most of what counting costs, so an instance adds its user's requests to
// the table in batches (`batch`, a fiftieth of the limit: 12 of 600): the first request of a user
// in a window is written at once (it learns the count the other instances have made), the next
// are counted in the instance and written every `batch`, and a request that would take the count
// the instance knows past the limit is refused without a write. A user can so go past the limit
// by less than `batch` requests per instance that answers them, and requests an instance has not
// written yet when the window ends are not counted; a limit under 100 a minute is written per
// request, exactly.
//
//   item           pk                         sk              attributes
//   rate count     R#<sha-256 of the user>    <window start>  n (requests), ttl (window end + 1 min)
//
// The R# items are not objects: the table stream filter (P#, C#) keeps them from the reconcilers.
import { createHash } from 'node:crypto';
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BerthError } from '../errors.ts';
import { TTL_ATTRIBUTE } from '../store/keys.ts';

/** How the rate counts' partition keys begin (docs/store.md). */
export const RATE_PARTITION_PREFIX = 'R#';

export const DEFAULT_REQUESTS_PER_MINUTE = 600;
const WINDOW_MS = 60_000;

/** Counts one request of `subject`: 0 when it may go on, else the whole seconds until it may. */
export interface RateLimiter {
  /** Requests allowed per user per minute. */
  readonly perMinute: number;
  take(subject: string): Promise<number>;
}

export class TooManyRequestsError extends BerthError {
  constructor(readonly retryAfterSeconds: number, limit: number) {
    super(429, 'TooManyRequests', `too many requests: more than ${limit} a minute from this user; try again in ${retryAfterSeconds} s`, {
      suggestion: 'wait, then send fewer requests (watch with longer intervals)',
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** DynamoDB's answers when one key is written faster than its partition takes: that user is over any limit. */
const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

export interface DynamoRateLimiterOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Requests per user per minute (default 600). */
  perMinute?: number;
  /** Requests of a user an instance counts before writing them (default a fiftieth of perMinute, at least 1). */
  batch?: number;
  now?: () => number;
}

export class DynamoRateLimiter implements RateLimiter {
  readonly perMinute: number;
  /** How many requests of a user an instance counts before it writes them (1: every one). */
  readonly batch: number;
  private readonly now: () => number;
  /** This instance's counts of the current window, by user: not yet written, and the table's count as last written. */
  private readonly counts = new Map<string, { start: number; pending: number; known: number; written: boolean }>();

  constructor(private readonly opts: DynamoRateLimiterOptions) {
    this.perMinute = opts.perMinute ?? DEFAULT_REQUESTS_PER_MINUTE;
    this.batch = opts.batch ?? Math.max(1, Math.floor(this.perMinute / 50));
    this.now = opts.now ?? Date.now;
  }

  async take(subject: string): Promise<number> {
    const t = this.now();
    const start = Math.floor(t / WINDOW_MS) * WINDOW_MS;
    const wait = Math.max(1, Math.ceil((start + WINDOW_MS - t) / 1000));
    let c = this.counts.get(subject);
    if (!c || c.start !== start) {
      if (this.counts.size > 10_000) for (const [k, v] of this.counts) if (v.start !== start) this.counts.delete(k);
      c = { start, pending: 0, known: 0, written: false };
      this.counts.set(subject, c);
    }
    if (c.known + c.pending + 1 > this.perMinute) return wait;
    c.pending++;
    if (c.written && c.pending < this.batch) return 0;
    const add = c.pending;
    c.pending = 0;
    c.written = true;
    let count: number;
    try {
      count = await this.add(subject, start, add);
    } catch (err) {
      if (THROTTLED.has((err as Error).name)) return wait;
      throw err;
    }
    c.known = Math.max(c.known, count);
    return count > this.perMinute ? wait : 0;
  }

  /** Adds `n` requests to the user's count of the window; the count after. */
  private async add(subject: string, start: number, n: number): Promise<number> {
    const out = await this.opts.client.send(
      new UpdateItemCommand({
        TableName: this.opts.tableName,
        Key: { pk: { S: `${RATE_PARTITION_PREFIX}${createHash('sha256').update(subject).digest('hex')}` }, sk: { S: String(start) } },
        UpdateExpression: 'ADD n :n SET #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':n': { N: String(n) }, ':ttl': { N: String(Math.ceil((start + 2 * WINDOW_MS) / 1000)) } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.n?.N ?? '0');
  }
}

/**
 * The rate limit from BERTH_API_RATE_LIMIT (requests per user per minute; 0 turns it off),
 * over the table.
 */
export function rateLimitFrom(env: NodeJS.ProcessEnv, client: DynamoDBClient, tableName: string): DynamoRateLimiter | undefined {
  const raw = env.BERTH_API_RATE_LIMIT;
  const perMinute = raw === undefined || raw === '' ? DEFAULT_REQUESTS_PER_MINUTE : Number(raw);
  if (!Number.isInteger(perMinute) || perMinute < 0) throw new Error(`BERTH_API_RATE_LIMIT must be a whole number of requests a minute (0: off), not "${raw}"`);
  return perMinute === 0 ? undefined : new DynamoRateLimiter({ client, tableName, perMinute });
}
