// What one stream batch tells push watchers: each changed path once, with what a watcher would
// otherwise read at once:
// - a build's log: the text the batch appended, when it came whole, in order and small enough for
//   one message; the watcher prints it without reading the log again. The text is what a read of
//   the log at that offset would give.
// - a kind's list: the objects the batch wrote (each at its last image) and the names it removed,
//   for a kind the API shows as stored (shared/api/shown.ts), when every record of it decoded and
//   the notice stays small; the watcher applies them without reading the list. Each object is
//   what the list's watch answers with: the stored object with its apiVersion.
// Either is sent only to a watcher that may read the path (PushService.notify); otherwise the
// notice is the path alone, and the watcher reads through the API.
import type { DynamoDBRecord } from 'aws-lambda';
import { chunkText, isChunkKey } from '../builds/dynamo-logs.ts';
import { shownAsStored } from '../api/shown.ts';
import { withApiVersion } from '../model/api-versions.ts';
import type { BerthObject } from '../model/types.ts';
import { decodeStreamImage } from '../store/dynamo.ts';
import { buildOfLogPartition, refOfKey, type ItemKey } from '../store/keys.ts';
import { logTopic, pluralOfKind, topicPath, topicsOfKeys, type Topic } from './topics.ts';

/** The most log text one notice carries (UTF-8 bytes): a WebSocket frame on API Gateway is 32 KB, and JSON may escape text. */
export const MAX_NOTICE_TEXT_BYTES = 12 * 1024;
/** The largest notice that carries objects, as JSON (UTF-8 bytes): under API Gateway's 32 KB frame with room to spare. */
export const MAX_NOTICE_BYTES = 24 * 1024;

/** Objects a list's notice carries: those the batch wrote, as the watch shows them, and the names of those it removed. */
export interface Carried {
  objects: (BerthObject & { apiVersion: string })[];
  gone: string[];
}

export interface Change extends Topic {
  /** A build log's text appended at `offset` (bytes), when the batch had it whole. */
  log?: { offset: number; text: string };
  /** A list's changed objects, when the kind is shown as stored and the notice stays small. */
  carried?: Carried;
}

/** A list's changes in one batch by name, in the order of their last record; undefined once one cannot be carried. */
type Writes = Map<string, BerthObject | 'gone'> | undefined;

/** The batch's changes: a path once each, with a build log's new text or a list's objects where they can go with it. */
export function changesOfRecords(records: DynamoDBRecord[]): Change[] {
  const keys: ItemKey[] = [];
  // Each log's chunks written in the batch, by its topic's path.
  const pieces = new Map<string, { offset: number; bytes: Buffer }[]>();
  // Each list's writes, by its topic's path.
  const writes = new Map<string, Writes>();
  for (const r of records) {
    const k = r.dynamodb?.Keys;
    if (!k?.pk?.S || !k.sk?.S) continue;
    const key = { pk: k.pk.S, sk: k.sk.S };
    const build = buildOfLogPartition(key.pk);
    // Of a log's items only a chunk written tells anything (the `len` items of earlier releases,
    // which reserved a range before its chunk came, tell nothing: the chunk's record does).
    if (build && (!isChunkKey(key.sk) || r.eventName !== 'INSERT')) continue;
    keys.push(key);
    if (build) {
      const path = topicPath(logTopic(build));
      const bytes = chunkText(r.dynamodb?.NewImage?.text as { S?: string; B?: string | Uint8Array } | undefined);
      pieces.set(path, [...(pieces.get(path) ?? []), { offset: Number(key.sk), bytes }]);
      continue;
    }
    const ref = refOfKey(key);
    const plural = ref?.project ? pluralOfKind(ref.kind) : undefined;
    if (!ref || !plural) continue;
    const path = topicPath({ project: ref.project, topic: plural });
    const known: Writes = writes.has(path) ? writes.get(path) : new Map();
    writes.set(path, known && shownAsStored(ref.kind) ? withWrite(known, ref.name, r) : undefined);
  }
  return topicsOfKeys(keys).map((t) => {
    const path = topicPath(t);
    const log = whole(pieces.get(path));
    if (log) return { ...t, log };
    const carried = carriedOf(path, writes.get(path));
    return carried ? { ...t, carried } : t;
  });
}

/** The writes with this record's: the object it wrote, or its name gone; undefined when its image cannot be read. */
function withWrite(known: Map<string, BerthObject | 'gone'>, name: string, r: DynamoDBRecord): Writes {
  let written: BerthObject | 'gone';
  if (r.eventName === 'REMOVE') written = 'gone';
  else {
    const image = r.dynamodb?.NewImage;
    if (!image) return undefined;
    try {
      written = decodeStreamImage(image as Parameters<typeof decodeStreamImage>[0]);
    } catch {
      return undefined;
    }
    if (written.metadata?.name !== name) return undefined;
  }
  // The last record of an object is the one that counts, in the order of the last records.
  known.delete(name);
  return known.set(name, written);
}

/** What a list's notice carries, if all of it can go in one small notice. */
function carriedOf(path: string, writes: Writes): Carried | undefined {
  if (!writes?.size) return undefined;
  const carried: Carried = { objects: [], gone: [] };
  for (const [name, w] of writes) {
    if (w === 'gone') carried.gone.push(name);
    else carried.objects.push(withApiVersion(w));
  }
  return Buffer.byteLength(JSON.stringify({ type: 'changed', path, ...carried })) <= MAX_NOTICE_BYTES ? carried : undefined;
}

/** The pieces as one text from the first offset, if they follow one another and fit in a notice. */
function whole(pieces: { offset: number; bytes: Buffer }[] | undefined): Change['log'] {
  if (!pieces?.length) return undefined;
  const sorted = [...pieces].sort((a, b) => a.offset - b.offset);
  let end = sorted[0]!.offset;
  for (const p of sorted) {
    if (p.offset !== end) return undefined;
    end += p.bytes.length;
  }
  if (end - sorted[0]!.offset > MAX_NOTICE_TEXT_BYTES) return undefined;
  return { offset: sorted[0]!.offset, text: Buffer.concat(sorted.map((p) => p.bytes)).toString('utf8') };
}
