// The DynamoDB adapter of BuildLogs: a build's log kept in Berth's one table, so that logs work
// on AWS without another service. Items (docs/store.md):
//
//   item          pk                      sk                         attributes
//   log chunk     L#<project>/<build>     <start byte, 12 digits>    text (UTF-8, or brotli-compressed UTF-8), at (epoch ms), ttl
//   log length    L#<project>/<build>     len                        len (bytes reserved), ttl: written by earlier releases only
//
// An append is one write: its chunk put at the offset where the log ends, on condition that no
// chunk is there yet. A writer knows where its own appends ended; a new one (a restarted
// agent) finds the end from the last chunk, and a writer refused because another wrote there
// first finds it again, so appends never overlap. An append over the chunk size is several
// chunks written at once: a reader stops where one of them has not landed yet, so it never
// skips bytes still on their way; a range left unwritten for long (its writer died, or an
// earlier release reserved it with `ADD len`) is passed over. Log items carry no index keys:
// they are not objects, never in byKind, and refOfKey ignores them. A chunk's text is stored
// brotli-compressed (binary) when that is smaller, as objects' documents are: DynamoDB bills a
// write by the KB, and a build's log (pip's and the push's lines) compresses several times
// over. Offsets count the text's own bytes, compressed or not.
import { BatchWriteItemCommand, ConditionalCheckFailedException, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { ObjectRef } from '../model/types.ts';
import { brotliDecompressSync } from 'node:zlib';
import { docAttribute, streamBytes } from '../store/dynamo.ts';
import { TTL_ATTRIBUTE, logPartition } from '../store/keys.ts';
import type { BuildLogs } from './ports.ts';
import { splitUtf8 } from './utf8.ts';

type Item = Record<string, AttributeValue>;

export { logPartition };

const OFFSET_DIGITS = 12;
/** The highest chunk key: digits sort before the `len` item of earlier releases, so chunk queries stop below it. */
const LAST_CHUNK_SK = '9'.repeat(OFFSET_DIGITS);
export const chunkKey = (start: number): string => String(start).padStart(OFFSET_DIGITS, '0');

export interface DynamoBuildLogsOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Days a log is kept after its last append (DynamoDB TTL). Default 30. */
  ttlDays?: number;
  /** Largest chunk in bytes; an item must stay under DynamoDB's 400 KB. Default 300 KB. */
  chunkBytes?: number;
  /** About how much one read returns (whole chunks). Default 2 MB. */
  readBytes?: number;
  /** How long a reserved range may stay unwritten before readers pass over it. Default 2 min. */
  gapGraceMs?: number;
  now?: () => number;
}

/** Whether a sort key in a log's partition is a chunk's (its start offset), not the length's. */
export const isChunkKey = (sk: string): boolean => sk.length === OFFSET_DIGITS && /^\d+$/.test(sk);

/**
 * A chunk's text as UTF-8 bytes, whether it was stored compressed or (by an earlier release, or
 * too short to gain) plain; from an item, or from a stream record's image, where Lambda gives
 * binary as base64.
 */
export function chunkText(text: { S?: string; B?: string | Uint8Array } | undefined): Buffer {
  if (text?.B === undefined) return Buffer.from(text?.S ?? '', 'utf8');
  return brotliDecompressSync(streamBytes(text.B));
}

export class DynamoBuildLogs implements BuildLogs {
  /**
   * An append is a write of at least one write unit (its first also a read): a build's
   * writer gathers a second of lines into one append. On Lambda the API answers a follow with what
   * is there and the CLI asks again a second later, so readers see the lines as soon as before.
   */
  readonly flushMs = 1000;
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly ttlSeconds: number;
  private readonly chunkBytes: number;
  private readonly readBytes: number;
  private readonly gapGraceMs: number;
  private readonly now: () => number;
  /** Where this writer's appends left each log it wrote (log partition → offset after its last byte). */
  private readonly ends = new Map<string, number>();
  /** Each log's appends under way here, the last one's end. */
  private readonly appending = new Map<string, Promise<void>>();

  constructor(opts: DynamoBuildLogsOptions) {
    this.client = opts.client;
    this.table = opts.tableName;
    this.ttlSeconds = (opts.ttlDays ?? 30) * 24 * 3600;
    this.chunkBytes = opts.chunkBytes ?? 300 * 1024;
    this.readBytes = opts.readBytes ?? 2 * 1024 * 1024;
    this.gapGraceMs = opts.gapGraceMs ?? 2 * 60 * 1000;
    this.now = opts.now ?? Date.now;
  }

  async append(build: ObjectRef, text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length === 0) return;
    const pk = logPartition(build);
    // This writer's appends to one log go one after another, in the order they were asked for.
    const before = this.appending.get(pk) ?? Promise.resolve();
    const mine = before.then(() => this.put(pk, bytes));
    const settled = mine.catch(() => undefined);
    this.appending.set(pk, settled);
    void settled.then(() => this.appending.get(pk) === settled && this.appending.delete(pk));
    return mine;
  }

  private async put(pk: string, bytes: Buffer): Promise<void> {
    const ttl = { N: String(Math.floor(this.now() / 1000) + this.ttlSeconds) };
    const at = { N: String(this.now()) };
    const parts = splitUtf8(bytes, this.chunkBytes);
    for (let attempt = 0; ; attempt++) {
      const start = this.ends.get(pk) ?? (await this.endOf(pk));
      try {
        await Promise.all(
          parts.map(({ offset, text: part }) =>
            this.client.send(
              new PutItemCommand({
                TableName: this.table,
                Item: { pk: { S: pk }, sk: { S: chunkKey(start + offset) }, text: docAttribute(part), at, [TTL_ATTRIBUTE]: ttl },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            ),
          ),
        );
        this.ends.set(pk, start + bytes.length);
        return;
      } catch (err) {
        // Another writer appended there first: find the end again (after a moment, so two that
        // keep meeting do not meet again).
        this.ends.delete(pk);
        if (!(err instanceof ConditionalCheckFailedException) || attempt >= 9) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
      }
    }
  }

  /** Where the log ends: after its last chunk (0 for a log not begun). */
  private async endOf(pk: string): Promise<number> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk <= :last',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':last': { S: LAST_CHUNK_SK } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const last = out.Items?.[0];
    return last ? Number(last.sk!.S) + chunkText(last.text).length : 0;
  }

  async read(build: ObjectRef, offset: number): Promise<{ text: string; next: number; more: boolean }> {
    const pk = logPartition(build);
    // The chunk holding `offset` starts at or before it: the last such chunk.
    const before = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk <= :sk',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':sk': { S: chunkKey(offset) } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const holder = before.Items?.[0];
    const parts: Buffer[] = [];
    let next = offset;
    let size = 0;
    const take = (item: Item): boolean => {
      const start = Number(item.sk!.S);
      const bytes = chunkText(item.text);
      if (start + bytes.length <= next) return true; // wholly before the offset
      if (start > next) {
        // A reserved range not written (yet): wait for it, unless its writer is long gone.
        if (this.now() - Number(item.at?.N ?? 0) < this.gapGraceMs) return false;
        next = start;
      }
      const part = bytes.subarray(next - start);
      parts.push(part);
      size += part.length;
      next += part.length;
      return size < this.readBytes;
    };
    let more = holder ? take(holder) : true;
    const from = chunkKey(holder ? Number(holder.sk!.S) + 1 : offset);
    let startKey: Item | undefined;
    while (more) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': { S: pk }, ':from': { S: from }, ':to': { S: LAST_CHUNK_SK } },
          ExclusiveStartKey: startKey,
          Limit: 16,
          ConsistentRead: true,
        }),
      );
      more = (page.Items ?? []).every(take) && page.LastEvaluatedKey !== undefined;
      startKey = page.LastEvaluatedKey;
    }
    // Stopped at the size limit: there may be more after `next` (at worst one read that finds nothing).
    return { text: Buffer.concat(parts).toString('utf8'), next, more: size >= this.readBytes };
  }

  /** Removes every item of the build's log. Idempotent. */
  async delete(build: ObjectRef): Promise<void> {
    const pk = logPartition(build);
    this.ends.delete(pk);
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      const keys = page.Items ?? [];
      for (let i = 0; i < keys.length; i += 25) {
        await this.deleteBatch(keys.slice(i, i + 25).map((k) => ({ DeleteRequest: { Key: { pk: k.pk!, sk: k.sk! } } })));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** BatchWriteItem, sending what DynamoDB left unprocessed again with backoff. */
  private async deleteBatch(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > 8) throw new Error(`DynamoDB left ${pending.length} log items undeleted after ${attempt} attempts`);
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 2000) * (0.5 + Math.random() / 2)));
      }
      const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
      pending = out.UnprocessedItems?.[this.table] ?? [];
    }
  }
}
