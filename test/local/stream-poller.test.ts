// The local stream reader on DynamoDB Local: records reach the handler in the Lambda event
// shape; a reader pausing between reads reads at once when woken (a write in this process).
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamPoller } from '../../shared/local/stream-poller.ts';
import { freshTable } from '../support/dynamo.ts';

let poller: StreamPoller | undefined;
afterEach(async () => {
  await poller?.stop();
});

describe('the local stream reader', () => {
  it('a reader pausing after an empty read sees a write at once when woken', async () => {
    const t = await freshTable();
    const client = new DynamoDBStreamsClient({ endpoint: t.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const seen: string[] = [];
    const batches: DynamoDBStreamEvent[] = [];
    // Every pause lasts at least 30 s: a record seen sooner was read because of wake().
    poller = new StreamPoller({
      client,
      streamArn: t.streamArn,
      activeIdleMs: 30_000,
      idleMs: 60_000,
      handler: async (event: DynamoDBStreamEvent) => {
        batches.push(event);
        for (const r of event.Records) seen.push(`${r.eventName} ${r.dynamodb?.Keys?.sk?.S}`);
        return { batchItemFailures: [] };
      },
    });
    await poller.start();
    // Its first read finds nothing (it starts at LATEST) and it pauses.
    await sleep(1_000);
    await t.store.create({ kind: 'Project', metadata: { name: 'p', project: '' }, spec: {} } as never);
    await t.store.create({ kind: 'ConfigMap', metadata: { name: 'web', project: 'p' }, data: {} } as never);
    poller.wake();
    const woken = Date.now();
    while (!seen.includes('INSERT ConfigMap#web') && Date.now() - woken < 15_000) await sleep(20);
    expect(seen).toContain('INSERT ConfigMap#web');
    // The Lambda event shape: the stream's ARN and the source on every record.
    expect(batches[0]!.Records[0]).toMatchObject({ eventSource: 'aws:dynamodb', eventSourceARN: t.streamArn });
    await poller.stop();
    poller = undefined;
    client.destroy();
  }, 60_000);
});
