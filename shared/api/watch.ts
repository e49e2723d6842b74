// Watches: `GET …/{plural}?watch=1[&resourceVersion=CURSOR][&timeoutSeconds=N]`, a long poll.
// Without a cursor the answer is at once: an ADDED event for every object there is, and the
// cursor to go on from. With one, the request is held until something changed since the cursor
// (answered then, with those changes and the next cursor) or until the timeout (answered with no
// events and a cursor that is as good as the one given). Following the cursors from one answer
// to the next gives every change once: none missed, none repeated.
//
// How a change is told from the stored objects alone (no change log is kept): a resourceVersion
// begins with the millisecond of its write (store/dynamo.ts). A cursor holds the time of the read
// it was made from, how many objects that read saw (and a hash of their names), and the exact
// versions it saw that were written less than WINDOW_MS before it. An object is a change when its
// version is younger than that window and not one of those seen; writes that land late or carry
// a clock a little behind are still caught, and none is given twice. A deletion leaves nothing
// to read: when objects the cursor counted are gone (deleted, or no longer matching the
// selector), the answer is one ERROR event with code 410 (Kubernetes' "Expired"): list again,
// by a watch without a cursor, and compare.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../errors.ts';
import type { BerthObject } from '../model/types.ts';

/** How far back from a read a cursor remembers the exact versions it saw (late writes, clock skew between writers). */
export const WINDOW_MS = 5_000;

export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED'; object: BerthObject }
  | { type: 'ERROR'; object: { kind: 'Status'; code: 410; reason: 'Expired'; message: string } };

export interface WatchAnswer {
  events: WatchEvent[];
  /** Where to go on from; none after an ERROR (watch again without one). */
  cursor?: string;
}

interface Cursor {
  /** When the read was made (ms). */
  t: number;
  /** How many objects it saw, and the xor of their names' hashes. */
  n: number;
  h: string;
  /** name → resourceVersion of what it saw written within WINDOW_MS of t. */
  s: Record<string, string>;
}

/** The millisecond a resourceVersion was written in (its digits but the last three). */
const writtenAt = (rv: string): number => (/^\d{4,}$/.test(rv) ? Number(rv.slice(0, -3)) : Number.POSITIVE_INFINITY);

const nameHash = (name: string): bigint => createHash('sha256').update(name).digest().readBigUInt64BE(0);

function setHash(names: Iterable<string>): string {
  let h = 0n;
  for (const n of names) h ^= nameHash(n);
  return h.toString(16);
}

function cursorOf(items: BerthObject[], now: number): string {
  const s: Record<string, string> = {};
  for (const o of items) if (writtenAt(o.metadata.resourceVersion) > now - WINDOW_MS) s[o.metadata.name] = o.metadata.resourceVersion;
  const c: Cursor = { t: now, n: items.length, h: setHash(items.map((o) => o.metadata.name)), s };
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** The cursor a client gave, or a 400 naming `resourceVersion`. */
export function parseCursor(given: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(given, 'base64url').toString('utf8')) as Cursor;
    const fine =
      Number.isFinite(c.t) && Number.isInteger(c.n) && c.n >= 0 && typeof c.h === 'string' && /^[0-9a-f]{1,16}$/.test(c.h) &&
      c.s !== null && typeof c.s === 'object' && !Array.isArray(c.s) && Object.values(c.s).every((v) => typeof v === 'string');
    if (fine) return c;
  } catch {
    // falls through to the error below
  }
  throw ValidationError.field('resourceVersion', 'not a watch cursor: use the metadata.resourceVersion of a watch answer, or watch without one');
}

/** What changed in `items` (one read, at `now`) since `cursor`: the answer to give, empty when nothing did. */
export function changesSince(cursor: Cursor | undefined, items: BerthObject[], now: number): WatchAnswer {
  if (!cursor) return { events: items.map((object) => ({ type: 'ADDED' as const, object })), cursor: cursorOf(items, now) };
  const floor = cursor.t - WINDOW_MS;
  const changed: WatchEvent[] = [];
  // The objects of this read that the cursor's read saw too: unchanged ones, and changed ones made before it.
  const before: string[] = [];
  for (const o of items) {
    const { name, resourceVersion: rv, creationTimestamp } = o.metadata;
    // Not seen by the cursor's read: had it been, its version, no older than its making, would be among those remembered.
    const isNew = Date.parse(creationTimestamp) > floor && cursor.s[name] === undefined;
    if (!isNew) before.push(name);
    if (writtenAt(rv) > floor && cursor.s[name] !== rv) changed.push({ type: isNew ? 'ADDED' : 'MODIFIED', object: o });
  }
  if (before.length !== cursor.n || setHash(before) !== cursor.h) {
    const message = 'objects were deleted (or stopped matching the selector) since this resourceVersion: watch again without one to list what there is';
    return { events: [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message } }] };
  }
  return { events: changed, cursor: cursorOf(items, now) };
}

export interface WatchOptions {
  /** The cursor the client gave (parsed), if any. */
  cursor?: Cursor;
  /** How long to hold the request when nothing changes. */
  timeoutMs: number;
  /** How often the objects are read again while holding. */
  pollMs: number;
  /** Ends the wait early (the client went away). */
  signal?: AbortSignal;
  now?: () => number;
}

/** Reads the objects (all of them, `read` pages itself) until there is something to tell or the time is up. */
export async function watchObjects(read: () => Promise<BerthObject[]>, opts: WatchOptions): Promise<WatchAnswer> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const t = now();
    const answer = changesSince(opts.cursor, await read(), t);
    const left = deadline - now();
    if (!opts.cursor || answer.events.length || left <= 0 || opts.signal?.aborted) return answer;
    await sleep(Math.min(opts.pollMs, left), undefined, { signal: opts.signal }).catch(() => undefined);
  }
}
