// Counts every DynamoDB request a client sends and the capacity DynamoDB reports for it: a client
// middleware asks for ReturnConsumedCapacity TOTAL on every request that takes it (the store asks
// already; the binding store, the routers' feed and the idle signals do not) and adds up what
// comes back. Used by the cost bench and by the tests that pin the reconcilers' request counts.
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemSize } from '../shared/store/item-size.ts';

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
  /** Writes by what they wrote (`TransactWriteItems: Put Pod, Put lookup`) and the write units they took. */
  readonly writes = new Map<string, { requests: number; units: number }>();

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
    this.writes.clear();
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
    for (const [k, v] of other.writes) {
      const mine = this.writes.get(k) ?? { requests: 0, units: 0 };
      this.writes.set(k, { requests: mine.requests + v.requests, units: mine.units + v.units });
    }
  }

  /** Counts one request; `billed`, when given, is what it costs instead of the capacity DynamoDB reported. */
  record(command: string, output: { ConsumedCapacity?: unknown } | undefined, failed: boolean, wrote?: string, billedUnits?: number): void {
    const name = command.replace(/Command$/, '');
    this.requests.set(name, (this.requests.get(name) ?? 0) + 1);
    const caps = output?.ConsumedCapacity;
    const units = billedUnits ?? (Array.isArray(caps) ? caps : caps ? [caps] : []).reduce(
      (sum: number, c: { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }) => sum + (c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0)),
      0,
    );
    const who = this.who() ?? 'other';
    const mine = this.byWho.get(who) ?? { requests: 0, units: 0, writeUnits: 0 };
    const billed = failed ? (WRITES.has(command) ? 1 : 0) : units;
    if (wrote !== undefined) {
      const what = `${name}: ${wrote}${failed ? ' (refused)' : ''}`;
      const seen = this.writes.get(what) ?? { requests: 0, units: 0 };
      this.writes.set(what, { requests: seen.requests + 1, units: seen.units + billed });
    }
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
      const wrote = WRITES.has(command) ? written(command, input) : undefined;
      try {
        const out = await next(args);
        // DynamoDB Local reports a transaction's capacity as if it wrote one item: counted by AWS's rules instead.
        const billed = command === 'TransactWriteItemsCommand' ? transactionUnits(input.TransactItems as TransactItem[]) : undefined;
        meter.record(command, out.output as { ConsumedCapacity?: unknown }, false, wrote, billed);
        return out;
      } catch (err) {
        meter.record(command, undefined, true, wrote);
        throw err;
      }
    },
    { step: 'initialize', name: 'meterCapacity' },
  );
  return client;
}

type Key = Record<string, { S?: string }> | undefined;
type TransactItem = Record<string, { Item?: Record<string, AttributeValue>; Key?: Key }>;

/**
 * The write units a TransactWriteItems costs on AWS ("Amazon DynamoDB pricing", on-demand: "two
 * write request units for each transactional write of an item up to 1 KB"; the Developer Guide,
 * "Capacity unit consumption for transactions"), each item in the table and, for an object (it
 * has byKind index keys; the index projects every attribute), again in the index. A Put's size is
 * known; a Delete, ConditionCheck or Update is counted as one of 1 KB (lookups, counters and
 * projects are a few hundred bytes; a deleted object is ~1 KB compressed), in the index too when
 * its key is an object's.
 */
export function transactionUnits(items: TransactItem[]): number {
  let units = 0;
  for (const item of items) {
    for (const [op, v] of Object.entries(item)) {
      const kb = op === 'Put' && v.Item ? Math.max(1, Math.ceil(itemSize(v.Item) / 1024)) : 1;
      const indexed = op === 'Put' ? v.Item?.gsi1pk !== undefined : op !== 'ConditionCheck' && isObjectKey(v.Key);
      units += 2 * kb * (indexed ? 2 : 1);
    }
  }
  return units;
}

const isObjectKey = (key: Key): boolean => /^[PC]#/.test(key?.pk?.S ?? '') && !(key?.sk?.S ?? '').startsWith('~');

/** What an item key is: an object's kind, a label or field lookup, a usage counter, the routers' feed. */
function itemOf(key: Key): string {
  const pk = key?.pk?.S ?? '';
  const sk = key?.sk?.S ?? '';
  if (sk.startsWith('~L|')) return 'label lookup';
  if (pk.startsWith('X#')) return 'field lookup';
  if (pk.startsWith('P#')) return sk.slice(0, sk.indexOf('#'));
  if (pk.startsWith('C#')) return pk.slice(2);
  if (pk.startsWith('Q#')) return 'usage counter';
  if (pk.startsWith('F#')) return sk === 'seq' ? 'feed head' : 'feed entry';
  return pk.slice(0, 2) || 'item';
}

/** What a write request writes, in a few words: `Put Pod, Put label lookup`. */
function written(command: string, input: Record<string, unknown>): string {
  if (command === 'TransactWriteItemsCommand') {
    const items = (input.TransactItems ?? []) as Record<string, { Item?: Key; Key?: Key }>[];
    return items.map((i) => Object.entries(i).map(([op, v]) => `${op} ${itemOf(v.Item ?? v.Key)}`).join('')).join(', ');
  }
  if (command === 'BatchWriteItemCommand') return 'batch';
  const op = command.replace(/ItemCommand$/, '');
  return `${op} ${itemOf((input.Item ?? input.Key) as Key)}`;
}
