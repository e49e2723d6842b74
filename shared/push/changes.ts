// What one stream batch tells push watchers: each changed path once, and for a build's log the
// text the batch appended, when it came whole, in order and small enough for one message: the
// watcher then prints it without reading the log again. The text is what a read of the log at
// that offset would give; a watcher is sent it only if it may read the log (PushService.notify).
import type { DynamoDBRecord } from 'aws-lambda';
import { chunkText, isChunkKey } from '../builds/dynamo-logs.ts';
import { buildOfLogPartition, type ItemKey } from '../store/keys.ts';
import { logTopic, topicPath, topicsOfKeys, type Topic } from './topics.ts';

/** The most log text one notice carries (UTF-8 bytes): a WebSocket frame on API Gateway is 32 KB, and JSON may escape text. */
export const MAX_NOTICE_TEXT_BYTES = 12 * 1024;

export interface Change extends Topic {
  /** A build log's text appended at `offset` (bytes), when the batch had it whole. */
  log?: { offset: number; text: string };
}

/** The batch's changes: a path once each, a build log's new text with it when whole, in order and small. */
export function changesOfRecords(records: DynamoDBRecord[]): Change[] {
  const keys: ItemKey[] = [];
  // Each log's chunks written in the batch, by its topic's path.
  const pieces = new Map<string, { offset: number; bytes: Buffer }[]>();
  for (const r of records) {
    const k = r.dynamodb?.Keys;
    if (!k?.pk?.S || !k.sk?.S) continue;
    const build = buildOfLogPartition(k.pk.S);
    // Of a log's items only a chunk written tells anything: a reader stops at a range reserved
    // (the length's update) until its chunk is there, and its chunk's record tells it then.
    if (build && (!isChunkKey(k.sk.S) || r.eventName !== 'INSERT')) continue;
    keys.push({ pk: k.pk.S, sk: k.sk.S });
    if (!build) continue;
    const path = topicPath(logTopic(build));
    const bytes = chunkText(r.dynamodb?.NewImage?.text as { S?: string; B?: string | Uint8Array } | undefined);
    pieces.set(path, [...(pieces.get(path) ?? []), { offset: Number(k.sk.S), bytes }]);
  }
  return topicsOfKeys(keys).map((t) => {
    const log = whole(pieces.get(topicPath(t)));
    return log ? { ...t, log } : t;
  });
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

