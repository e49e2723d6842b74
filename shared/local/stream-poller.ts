// Reads the table's stream from DynamoDB Local and hands each batch, in the Lambda event shape,
// to the same stream handler the Lambda runs. A batch item failure is delivered again from that
// record after a pause, as Lambda would.
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StreamPollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  /** Where to start in shards open at start-up: LATEST (default) or TRIM_HORIZON. */
  startAt?: 'LATEST' | 'TRIM_HORIZON';
  /**
   * The longest pause between reads of a shard that had nothing (default 200 ms). After records
   * the next read follows at once, and the pauses grow from `activeIdleMs` (default 20 ms) to
   * this: changes come in bursts (one write sets off the next), and a quiet platform reads little.
   */
  idleMs?: number;
  activeIdleMs?: number;
  retryMs?: number;
  logger?: Logger;
}

export class StreamPoller {
  private stopped = false;
  private readonly done: Promise<void>[] = [];
  private readonly seen = new Set<string>();
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly opts: StreamPollerOptions) {}

  /** Starts following every shard; resolves once the open shards have iterators. */
  async start(): Promise<void> {
    const shards = await this.shards();
    const open = shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
    for (const s of open) await this.follow(s.ShardId!, this.opts.startAt ?? 'LATEST');
    this.done.push(this.watchForNewShards());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await Promise.allSettled(this.done);
  }

  /** Ends the current pause of every shard's reader: something was just written (e.g. through this process's store). */
  wake(): void {
    for (const w of this.sleepers) w();
    this.sleepers.clear();
  }

  /** A pause that `wake()` ends early. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private async shards() {
    const out = await this.opts.client.send(new DescribeStreamCommand({ StreamArn: this.opts.streamArn }));
    return out.StreamDescription?.Shards ?? [];
  }

  private async follow(shardId: string, type: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    if (this.seen.has(shardId)) return;
    this.seen.add(shardId);
    const it = await this.opts.client.send(new GetShardIteratorCommand({ StreamArn: this.opts.streamArn, ShardId: shardId, ShardIteratorType: type }));
    this.done.push(this.pump(shardId, it.ShardIterator));
  }

  /** Shards roll over; new ones are read from their start (looked for every 5 s, and at once when a shard closes). */
  private async watchForNewShards(): Promise<void> {
    while (!this.stopped) {
      await sleep(5000);
      if (this.stopped) return;
      await this.followNewShards();
    }
  }

  private async followNewShards(): Promise<void> {
    try {
      for (const s of await this.shards()) if (!this.seen.has(s.ShardId!)) await this.follow(s.ShardId!, 'TRIM_HORIZON');
    } catch (err) {
      this.opts.logger?.warn({ err }, 'describing the stream failed');
    }
  }

  private async pump(shardId: string, iterator: string | undefined): Promise<void> {
    const longest = this.opts.idleMs ?? 200;
    let quiet = 0;
    while (!this.stopped && iterator) {
      try {
        const out = await this.opts.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
        const records = out.Records ?? [];
        if (records.length === 0) {
          iterator = out.NextShardIterator;
          await this.pause(Math.min(longest, (this.opts.activeIdleMs ?? 20) * 2 ** quiet++));
          continue;
        }
        quiet = 0;
        const result = await this.opts.handler(toLambdaEvent(records, this.opts.streamArn));
        const failed = result.batchItemFailures[0]?.itemIdentifier;
        if (failed) {
          await sleep(this.opts.retryMs ?? 1000);
          const again = await this.opts.client.send(
            new GetShardIteratorCommand({ StreamArn: this.opts.streamArn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: failed }),
          );
          iterator = again.ShardIterator;
        } else {
          iterator = out.NextShardIterator;
        }
      } catch (err) {
        if (this.stopped) return;
        this.opts.logger?.warn({ err, shardId }, 'reading the stream failed; retrying');
        await sleep(this.opts.retryMs ?? 1000);
      }
    }
    // The shard closed: its successor holds the next records.
    if (!this.stopped) this.done.push(this.followNewShards());
  }
}

/** Stream API records are the Lambda event's records without a few envelope fields. */
export function toLambdaEvent(records: _Record[], streamArn: string): DynamoDBStreamEvent {
  return {
    Records: records.map((r) => ({
      eventID: r.eventID,
      eventName: r.eventName,
      eventVersion: r.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: r.awsRegion,
      eventSourceARN: streamArn,
      dynamodb: {
        ...r.dynamodb,
        ApproximateCreationDateTime: r.dynamodb?.ApproximateCreationDateTime ? r.dynamodb.ApproximateCreationDateTime.getTime() / 1000 : undefined,
      },
    })) as DynamoDBStreamEvent['Records'],
  };
}
