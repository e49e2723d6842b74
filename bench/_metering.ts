// Counts every DynamoDB request a client sends and the capacity DynamoDB reports for it: a client
// middleware asks for ReturnConsumedCapacity TOTAL on every request that takes it (the store asks
// already; the binding store, the routers' feed and the idle signals do not) and adds up what
// comes back. Used by the cost bench and by the tests that pin the reconcilers' request counts.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

export class Meter {
  constructor(private readonly who: () => string | undefined = () => undefined) {}

  /** Requests by command name (`GetItem`, `Query`, …). */
  readonly requests = new Map<string, number>();
  rru = 0;
  wru = 0;
  /** Requests and capacity units by whoever `who()` names when each is sent (a reconciler's name). */
  readonly byWho = new Map<string, { requests: number; units: number; writeUnits: number }>();
  /** The keys (`pk sk`) GetItem read, in order. */
  readonly got: string[] = [];
  /** Conditional writes refused (DynamoDB bills them, but reports no capacity for them: counted 1 WRU each). */
  refused = 0;

  get total(): number {
    let n = 0;
    for (const v of this.requests.values()) n += v;
    return n;
  }

  count(command: string): number {
    return this.requests.get(command) ?? 0;
  }

  reset(): void {
    this.requests.clear();
    this.rru = 0;
    this.wru = 0;
    this.refused = 0;
    this.byWho.clear();
    this.got.length = 0;
  }

  /** Adds what `other` counted since it was last reset. */
  add(other: Meter): void {
    for (const [k, v] of other.requests) this.requests.set(k, (this.requests.get(k) ?? 0) + v);
    this.rru += other.rru;
    this.wru += other.wru;
    this.refused += other.refused;
    for (const [k, v] of other.byWho) {
      const mine = this.byWho.get(k) ?? { requests: 0, units: 0, writeUnits: 0 };
      this.byWho.set(k, { requests: mine.requests + v.requests, units: mine.units + v.units, writeUnits: mine.writeUnits + v.writeUnits });
    }
  }

  record(command: string, output: { ConsumedCapacity?: unknown } | undefined, failed: boolean): void {
    const name = command.replace(/Command$/, '');
    this.requests.set(name, (this.requests.get(name) ?? 0) + 1);
    const caps = output?.ConsumedCapacity;
    const units = (Array.isArray(caps) ? caps : caps ? [caps] : []).reduce(
      (sum: number, c: { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }) => sum + (c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0)),
      0,
    );
    const who = this.who() ?? 'other';
    const mine = this.byWho.get(who) ?? { requests: 0, units: 0, writeUnits: 0 };
    const billed = failed ? (WRITES.has(command) ? 1 : 0) : units;
    this.byWho.set(who, { requests: mine.requests + 1, units: mine.units + billed, writeUnits: mine.writeUnits + (WRITES.has(command) ? billed : 0) });
    if (failed) {
      if (WRITES.has(command)) {
        this.refused++;
        this.wru += 1;
      }
      return;
    }
    if (READS.has(command)) this.rru += units;
    else if (WRITES.has(command)) this.wru += units;
  }
}

/** `client` with every request it sends counted on `meter`. */
export function metered(client: DynamoDBClient, meter: Meter): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const input = args.input as Record<string, unknown>;
      if (READS.has(command) || WRITES.has(command)) input.ReturnConsumedCapacity = 'TOTAL';
      const key = input.Key as Record<string, { S?: string }> | undefined;
      if (command === 'GetItemCommand' && key) meter.got.push(`${key.pk?.S} ${key.sk?.S}`);
      try {
        const out = await next(args);
        meter.record(command, out.output as { ConsumedCapacity?: unknown }, false);
        return out;
      } catch (err) {
        meter.record(command, undefined, true);
        throw err;
      }
    },
    { step: 'initialize', name: 'meterCapacity' },
  );
  return client;
}
