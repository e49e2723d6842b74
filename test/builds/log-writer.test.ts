// How often a build's writer appends its lines: at most once per the adapter's flushMs (the
// table's adapter asks for a second: each append is a billed write), and at once past 64 KB.
// Counted on DynamoDB Local, request by request (bench/_metering.ts), with the clock faked so the
// count depends on the lines and the interval only.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Meter, metered } from '../../bench/_metering.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { DEFAULT_FLUSH_MS, LogWriter } from '../../shared/builds/log-writer.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { readAll } from './build-logs.contract.ts';

let t: TestTable;
beforeAll(async () => {
  t = await freshTable();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Writes a line every 100 ms for `seconds` (fake time), then flushes; the appends DynamoDB received and the log read back. */
async function trickle(name: string, seconds: number, flushMs?: number) {
  const meter = new Meter();
  const logs = new DynamoBuildLogs({ client: metered(createDynamoClient({ endpoint: t.endpoint }), meter), tableName: t.tableName });
  const ref = { kind: 'Build', project: 'shop', name };
  const writer = flushMs === undefined ? new LogWriter(logs, ref) : new LogWriter(logs, ref, 50, Number.POSITIVE_INFINITY, flushMs);
  const lines: string[] = [];
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  for (let i = 0; i < seconds * 10; i++) {
    const line = `Collecting package-${i}==1.0.${i}`;
    lines.push(line);
    writer.line(line);
    await vi.advanceTimersByTimeAsync(100);
  }
  vi.useRealTimers();
  await writer.flush();
  const appends = meter.writes.get('PutItem: Put L#')?.requests ?? 0;
  return { appends, writes: meter.writes.size, wru: meter.wru, text: (await readAll(logs, ref)).text, expected: lines.map((l) => `${l}\n`).join('') };
}

describe('LogWriter', () => {
  it('appends a trickling log to the table at most once a second (one write each), where it appended every 300 ms', async () => {
    const table = await trickle('web-1', 6);
    expect(table.text).toBe(table.expected);
    // Chunks put, and no other write.
    expect(table.writes).toBe(1);
    expect(table.appends).toBeGreaterThanOrEqual(5);
    expect(table.appends).toBeLessThanOrEqual(7);

    const every300 = await trickle('web-2', 6, DEFAULT_FLUSH_MS);
    expect(every300.text).toBe(every300.expected);
    expect(every300.appends).toBeGreaterThanOrEqual(14);
    expect(table.wru).toBeLessThan(every300.wru / 2);
  });
});
