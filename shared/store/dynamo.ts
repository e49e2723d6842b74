// The DynamoDB adapter of the object store: one table (see keys.ts), conditional writes on
// resourceVersion, transactions where a write must check its project, TTL for expiring objects.
import { randomUUID, randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
  type ConsumedCapacity,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type BatchGetItemCommandOutput,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../errors.ts';
import type { BerthObject, NewObject, ObjectList, ObjectRef } from '../model/types.ts';
import { formatRef, refOf } from '../model/types.ts';
import { matchesSelector } from '../model/label-selector.ts';
import { BY_KIND_INDEX, TTL_ATTRIBUTE, indexKeyOf, keyOf } from './keys.ts';
import { FIELD_LOOKUP_PREFIX, OBJECTS_BELOW, kindOfTerm, labelPrefix, lookupWrites, refOfLookup } from './lookups.ts';
import { decodeContinue, encodeContinue, type TokenShape } from './continue-token.ts';
import { ObjectTooLargeError, MAX_ITEM_BYTES, itemSize } from './item-size.ts';
import { RecentDocs } from './recent-docs.ts';
import { DEFAULT_PAGE, MAX_PAGE, type ListOptions, type ObjectStore, type Replacement } from './ports.ts';
import type { Counter } from '../quota/admission.ts';
import { readCounter, writeCounted } from '../quota/dynamo.ts';
import { counterKey } from '../quota/counter-item.ts';
import { counterChanges, touchesCounter, type Change, type CounterChange } from '../quota/writes.ts';

type Item = Record<string, AttributeValue>;

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Told the capacity every request consumed (benchmarks, metrics). */
  onCapacity?: (operation: string, capacity: ConsumedCapacity[]) => void;
}

/** Named write conditions. */
const NOT_EXISTS = 'attribute_not_exists(pk)';
const RV_MATCHES = 'rv = :rv';
const PROJECT_OPEN = 'attribute_exists(pk) AND attribute_not_exists(deleting)';

/** The key attributes of a table item and of an index item (what a continue token holds). */
const TABLE_KEY = ['pk', 'sk'] as const;
const INDEX_KEY = ['pk', 'sk', 'gsi1pk', 'gsi1sk'] as const;

/** A new opaque resourceVersion: increasing with time, unique enough per object. */
export const nextResourceVersion = (): string => `${Date.now()}${randomInt(100, 1000)}`;

export class DynamoObjectStore implements ObjectStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly onCapacity?: DynamoStoreOptions['onCapacity'];
  /** What this store last read or wrote of each object: a write of an object read here reads nothing first. */
  private readonly recent = new RecentDocs();

  constructor(opts: DynamoStoreOptions) {
    this.client = opts.client;
    this.table = opts.tableName;
    this.onCapacity = opts.onCapacity;
  }

  async get<T extends BerthObject>(ref: ObjectRef): Promise<T | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: keyItem(ref), ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.report('get', out.ConsumedCapacity);
    if (!out.Item) return undefined;
    this.recent.keep(out.Item);
    return decode(out.Item) as T;
  }

  list<T extends BerthObject>(kind: string, project: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const key = keyOf({ kind, project, name: '' });
    const terms = Object.entries(opts.labels ?? {});
    if (terms.length) {
      // One label's lookups name the objects (one query a page); the other labels are checked on them.
      const [[k, v]] = terms as [[string, string]];
      const prefix = labelPrefix(kind, k, v);
      return this.byLookup<T>('list', kind, opts, { attributes: TABLE_KEY, equal: { pk: key.pk }, prefix: ['sk', prefix] }, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: key.pk }, ':prefix': { S: prefix } },
      });
    }
    const shape: TokenShape = { attributes: TABLE_KEY, equal: { pk: key.pk }, prefix: project ? ['sk', key.sk] : undefined, below: ['sk', OBJECTS_BELOW] };
    return this.query<T>('list', opts, shape, {
      KeyConditionExpression: project ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk AND sk < :below',
      ExpressionAttributeValues: project ? { ':pk': { S: key.pk }, ':prefix': { S: key.sk } } : { ':pk': { S: key.pk }, ':below': { S: OBJECTS_BELOW } },
      ConsistentRead: true,
    });
  }

  listAll<T extends BerthObject>(kind: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.query<T>('listAll', opts, { attributes: INDEX_KEY, equal: { gsi1pk: kind } }, {
      IndexName: BY_KIND_INDEX,
      KeyConditionExpression: 'gsi1pk = :kind',
      ExpressionAttributeValues: { ':kind': { S: kind } },
    });
  }

  listByField<T extends BerthObject>(term: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const pk = `${FIELD_LOOKUP_PREFIX}${term}`;
    return this.byLookup<T>('listByField', kindOfTerm(term), opts, { attributes: TABLE_KEY, equal: { pk } }, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
    });
  }

  listProject(project: string, opts: ListOptions = {}): Promise<ObjectList> {
    return this.query('listProject', opts, { attributes: TABLE_KEY, equal: { pk: `P#${project}` }, below: ['sk', OBJECTS_BELOW] }, {
      KeyConditionExpression: 'pk = :pk AND sk < :below',
      ExpressionAttributeValues: { ':pk': { S: `P#${project}` }, ':below': { S: OBJECTS_BELOW } },
      ConsistentRead: true,
    });
  }

  async create<T extends BerthObject>(obj: NewObject, opts: { uncheckedProject?: boolean } = {}): Promise<T> {
    const [created] = await this.createMany([obj], opts);
    return created as T;
  }

  async createMany(objs: NewObject[], opts: { uncheckedProject?: boolean } = {}): Promise<BerthObject[]> {
    if (objs.length === 0) return [];
    const full = objs.map(materialise);
    const encoded = full.map(encodeWithin);
    const projects = [...new Set(full.map((o) => o.metadata.project).filter((p) => p !== ''))];
    // A project created in this same write is its own guarantee.
    const createdHere = new Set(full.filter((o) => o.kind === 'Project').map((o) => o.metadata.name));
    const checks = opts.uncheckedProject ? [] : projects.filter((p) => !createdHere.has(p));
    const lookups = full.flatMap((o) => lookupWrites(this.table, undefined, o));
    if (full.length === 1 && checks.length === 0 && lookups.length === 0) {
      await this.put(full[0]!, NOT_EXISTS, 'create', () => new AlreadyExistsError(full[0]!.kind, full[0]!.metadata.name));
      return full;
    }
    const items: TransactWriteItem[] = [
      ...checks.map((p) => ({
        ConditionCheck: { TableName: this.table, Key: keyItem({ kind: 'Project', project: '', name: p }), ConditionExpression: PROJECT_OPEN },
      })),
      ...encoded.map((item) => ({ Put: { TableName: this.table, Item: item, ConditionExpression: NOT_EXISTS } })),
      // The objects' lookups (labels, indexed fields) come into being with them.
      ...lookups,
    ];
    // Why a transaction was cancelled: the project's check or one of the puts.
    const explain = async (reasons: { Code?: string }[]): Promise<Error | undefined> => {
      const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed >= 0 && failed < checks.length) {
        const project = checks[failed]!;
        const stored = await this.get({ kind: 'Project', project: '', name: project });
        if (!stored) return new NotFoundError('Project', project);
        return new ConflictError(`project "${project}" is being deleted`, 'create it in another project');
      }
      if (failed >= checks.length && failed < checks.length + full.length) {
        const o = full[failed - checks.length]!;
        return new AlreadyExistsError(o.kind, o.metadata.name);
      }
      if (reasons.some((r) => r.Code === 'TransactionConflict')) return new ConflictError('a concurrent write touched the same objects', 'retry');
      return undefined;
    };
    // Objects a quota counts change their project's usage counter in the same transaction.
    const counted = counterChanges(full.map((after) => ({ after })));
    if (counted.length) {
      await writeCounted(this.client, this.table, items, counted, async (reasons) => (await explain(reasons)) ?? new ConflictError('create cancelled', 'retry'), (c) => this.report('create', c));
    } else {
      try {
        const out = await this.client.send(new TransactWriteItemsCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }));
        this.report('create', out.ConsumedCapacity);
      } catch (err) {
        if (err instanceof TransactionCanceledException) throw (await explain(err.CancellationReasons ?? [])) ?? err;
        throw err;
      }
    }
    encoded.forEach((item) => this.recent.keep(item));
    return full;
  }

  async update<T extends BerthObject>(obj: T, opts: { status?: boolean } = {}): Promise<T> {
    return this.write(refOf(obj), obj.metadata.resourceVersion, 'update', (stored) => ({
      ...stored,
      metadata: {
        ...stored.metadata,
        labels: obj.metadata.labels ?? {},
        annotations: obj.metadata.annotations ?? {},
        finalizers: obj.metadata.finalizers,
        deletionTimestamp: obj.metadata.deletionTimestamp,
        expiresAt: obj.metadata.expiresAt,
      },
      spec: obj.spec,
      ...(opts.status ? { status: obj.status } : {}),
    })) as Promise<T>;
  }

  replace<T extends BerthObject>(ref: ObjectRef, change: Replacement): Promise<T> {
    return this.write(ref, change.resourceVersion, 'update', (stored) => ({
      ...stored,
      metadata: { ...stored.metadata, labels: change.labels ?? {}, annotations: change.annotations ?? {} },
      spec: change.spec,
    })) as Promise<T>;
  }

  updateStatus<T extends BerthObject>(obj: T): Promise<T> {
    return this.write(refOf(obj), obj.metadata.resourceVersion, 'updateStatus', (stored) => ({ ...stored, status: obj.status })) as Promise<T>;
  }

  /**
   * Reads the stored object, checks the caller read the same version, applies `change` and writes
   * the result on condition that nobody wrote in between. `generation` follows spec changes.
   */
  private async write(ref: ObjectRef, expected: string, op: string, change: (stored: BerthObject) => BerthObject): Promise<BerthObject> {
    // The object as this store last read or wrote it at the version the caller names, or as stored now.
    const kept = this.recent.at(keyItem(ref), expected);
    const stored = kept ? decode(kept) : await this.get(ref);
    if (!stored) throw new NotFoundError(ref.kind, ref.name);
    if (stored.metadata.resourceVersion !== expected) throw staleError(ref, expected);
    try {
      return await this.writeOver(ref, stored, op, change);
    } catch (err) {
      // Unread, a refusal may also mean the object is gone: said as a read would have said it.
      if (kept && err instanceof ConflictError && !(await this.get(ref))) throw new NotFoundError(ref.kind, ref.name);
      throw err;
    }
  }

  private async writeOver(ref: ObjectRef, stored: BerthObject, op: string, change: (stored: BerthObject) => BerthObject): Promise<BerthObject> {
    const expected = stored.metadata.resourceVersion;
    const changed = change(stored);
    const next: BerthObject = {
      ...changed,
      metadata: {
        ...changed.metadata,
        generation: stored.metadata.generation + (isDeepStrictEqual(stored.spec, changed.spec) ? 0 : 1),
        resourceVersion: nextResourceVersion(),
      },
    };
    const counted = touchesCounter(ref.kind) ? counterChanges([{ before: stored, after: next }]) : [];
    const lookups = lookupWrites(this.table, stored, next);
    if (!counted.length && !lookups.length) {
      await this.put(next, RV_MATCHES, op, () => staleError(ref, expected), expected);
      return next;
    }
    const item = encodeWithin(next);
    const put = { Put: { TableName: this.table, Item: item, ConditionExpression: RV_MATCHES, ExpressionAttributeValues: { ':rv': { S: expected } } } };
    // A pod that ends, a build that finishes, a quota that changes: the counter moves with it;
    // a label or an indexed field that changes: its lookups move with it.
    await this.transact(op, [put, ...lookups], counted, () => staleError(ref, expected));
    this.recent.keep(item);
    return next;
  }

  usage(project: string): Promise<Counter> {
    return readCounter(this.client, this.table, project, (c) => this.report('get', c));
  }

  /**
   * Removes the object as last read, on condition nobody wrote it since: an object a quota counts
   * gives its usage back in the same transaction (exactly once however many callers delete it
   * at once), and its lookups go with it. One that changed in between is read again, unless the
   * caller named the version it expects.
   */
  async delete(ref: ObjectRef, opts: { resourceVersion?: string } = {}): Promise<void> {
    const expected = opts.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const stored = await this.get(ref);
      if (!stored) throw new NotFoundError(ref.kind, ref.name);
      const rv = stored.metadata.resourceVersion;
      if (expected !== undefined && rv !== expected) throw new ConflictError(`${formatRef(ref)} has changed since resourceVersion ${expected}`);
      const counted = ref.project && touchesCounter(ref.kind) ? counterChanges([{ before: stored } satisfies Change]) : [];
      const lookups = lookupWrites(this.table, stored, undefined);
      try {
        if (!counted.length && !lookups.length) {
          await this.deleteItem(ref, rv);
        } else {
          const del = { Delete: { TableName: this.table, Key: keyItem(ref), ConditionExpression: RV_MATCHES, ExpressionAttributeValues: { ':rv': { S: rv } } } };
          await this.transact('delete', [del, ...lookups], counted, () => staleError(ref, rv));
        }
        break;
      } catch (err) {
        // Changed or gone in between: look again (a caller who named the version gets the conflict).
        if (!(err instanceof ConflictError) || expected !== undefined || attempt >= 5) throw err;
      }
    }
    // A project's usage counter goes with the project (it counts nothing by then).
    if (ref.kind === 'Project' && !ref.project) await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: counterKey(ref.name) }));
  }

  private async deleteItem(ref: ObjectRef, rv: string): Promise<void> {
    try {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: keyItem(ref),
          ConditionExpression: RV_MATCHES,
          ExpressionAttributeValues: { ':rv': { S: rv } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.report('delete', out.ConsumedCapacity);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw staleError(ref, rv);
      throw err;
    }
  }

  /**
   * One transaction of an object's write (its first item) with its lookups and, for a counted
   * object, its project's usage counter; a failed condition on the object is `onStale()`.
   */
  private async transact(op: string, items: TransactWriteItem[], counted: CounterChange[], onStale: () => Error): Promise<void> {
    if (counted.length) {
      await writeCounted(this.client, this.table, items, counted, () => onStale(), (c) => this.report(op, c));
      return;
    }
    try {
      const out = await this.client.send(new TransactWriteItemsCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }));
      this.report(op, out.ConsumedCapacity);
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw onStale();
      if (reasons.some((r) => r.Code === 'TransactionConflict')) throw new ConflictError('a concurrent write touched the same object', 'retry');
      throw err;
    }
  }

  private async put(obj: BerthObject, condition: string, op: string, onFail: () => Error, expectedRv?: string): Promise<void> {
    const item = encodeWithin(obj);
    try {
      const out = await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeValues: expectedRv !== undefined ? { ':rv': { S: expectedRv } } : undefined,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.report(op, out.ConsumedCapacity);
      this.recent.keep(item);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw onFail();
      throw err;
    }
  }

  private async query<T extends BerthObject>(op: string, opts: ListOptions, shape: TokenShape, input: Omit<QueryCommandInput, 'TableName'>): Promise<ObjectList<T>> {
    const limit = Math.min(Math.max(opts.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const values = { ...input.ExpressionAttributeValues };
    const names: Record<string, string> = {};
    const filters: string[] = [];
    Object.entries(opts.labels ?? {}).forEach(([k, v], i) => {
      names[`#l${i}`] = k;
      values[`:l${i}`] = { S: v };
      filters.push(`labels.#l${i} = :l${i}`);
    });
    const items: T[] = [];
    let start = decodeContinue(opts.continue, shape);
    // With a filter, one page of DynamoDB may hold fewer matches than asked: read on until full.
    do {
      const out = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.table,
          ExpressionAttributeValues: values,
          ExpressionAttributeNames: filters.length ? names : undefined,
          FilterExpression: filters.length ? filters.join(' AND ') : undefined,
          Limit: limit - items.length,
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.report(op, out.ConsumedCapacity);
      for (const item of out.Items ?? []) {
        this.recent.keep(item);
        items.push(decode(item) as T);
      }
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return start ? { items, continue: encodeContinue(start) } : { items };
  }

  /**
   * A listing through lookup items: one query of the lookups a page, then the objects they name
   * in one consistent BatchGetItem per 100. An object that changed in between is checked
   * against the labels asked for, and one deleted in between is left out.
   */
  private async byLookup<T extends BerthObject>(op: string, kind: string, opts: ListOptions, shape: TokenShape, input: Omit<QueryCommandInput, 'TableName'>): Promise<ObjectList<T>> {
    const limit = Math.min(Math.max(opts.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const items: T[] = [];
    let start = decodeContinue(opts.continue, shape);
    do {
      const out = await this.client.send(
        new QueryCommand({ ...input, TableName: this.table, ConsistentRead: true, Limit: limit - items.length, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }),
      );
      this.report(op, out.ConsumedCapacity);
      const refs = (out.Items ?? []).map((i) => refOfLookup(i, kind)).filter((r): r is ObjectRef => r !== undefined);
      for (const o of await this.getMany<T>(op, refs)) if (matchesSelector(o.metadata.labels, opts.labels)) items.push(o);
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return start ? { items, continue: encodeContinue(start) } : { items };
  }

  /** The objects of `refs` that exist, in that order: consistent BatchGetItem, 100 keys a request. */
  private async getMany<T extends BerthObject>(op: string, refs: ObjectRef[]): Promise<T[]> {
    const found = new Map<string, T>();
    for (let i = 0; i < refs.length; i += 100) {
      let keys: Item[] | undefined = refs.slice(i, i + 100).map(keyItem);
      for (let attempt = 0; keys?.length; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
        const out: BatchGetItemCommandOutput = await this.client.send(
          new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } }, ReturnConsumedCapacity: 'TOTAL' }),
        );
        this.report(op, out.ConsumedCapacity);
        for (const item of out.Responses?.[this.table] ?? []) {
          this.recent.keep(item);
          found.set(`${item.pk!.S}\t${item.sk!.S}`, decode(item) as T);
        }
        keys = out.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return refs.map((r) => found.get(`${keyOf(r).pk}\t${keyOf(r).sk}`)).filter((o): o is T => o !== undefined);
  }

  private report(op: string, capacity: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    if (!this.onCapacity || !capacity) return;
    this.onCapacity(op, Array.isArray(capacity) ? capacity : [capacity]);
  }
}

function staleError(ref: ObjectRef, expected: string): ConflictError {
  return new ConflictError(`${formatRef(ref)} has been modified: resourceVersion ${expected} is stale`);
}

function materialise(o: NewObject): BerthObject {
  return {
    kind: o.kind,
    metadata: {
      name: o.metadata.name,
      project: o.metadata.project,
      uid: randomUUID(),
      resourceVersion: nextResourceVersion(),
      generation: 1,
      creationTimestamp: new Date().toISOString(),
      labels: o.metadata.labels ?? {},
      annotations: o.metadata.annotations ?? {},
      ...(o.metadata.finalizers?.length ? { finalizers: o.metadata.finalizers } : {}),
      ...(o.metadata.expiresAt ? { expiresAt: o.metadata.expiresAt } : {}),
    },
    spec: o.spec,
    status: o.status ?? {},
  };
}

export function keyItem(ref: ObjectRef): Item {
  const k = keyOf(ref);
  return { pk: { S: k.pk }, sk: { S: k.sk } };
}

/**
 * The stored item of an object, refused (413) when DynamoDB would refuse it for its size. The
 * limit is taken on the item with its document as plain JSON, so what an object may hold does
 * not depend on how well it compresses.
 */
function encodeWithin(o: BerthObject): Item {
  const json = JSON.stringify(o);
  const item = encode(o, json);
  const bytes = itemSize(item) - itemSize({ doc: item.doc! }) + itemSize({ doc: { S: json } });
  if (bytes > MAX_ITEM_BYTES) throw new ObjectTooLargeError(o.kind, o.metadata.name, bytes);
  return item;
}

/**
 * The `doc` attribute of an object's JSON: brotli-compressed (binary) when that is smaller, as it
 * is for all but the smallest objects. DynamoDB bills a write by the KB of the item, in the table
 * and again in the byKind index (it projects every attribute): a 1.2 KB rollout object is 0.6 KB
 * compressed, and its every write costs half as many write units. Quality 6 compresses objects'
 * JSON within a few per cent of brotli's best, in a fortieth of its time (~0.07 ms for 1 KB).
 * Build logs' chunks are stored the same way (shared/builds/dynamo-logs.ts).
 */
export function docAttribute(json: string): AttributeValue {
  const packed = brotliCompressSync(json, { params: { [zlib.BROTLI_PARAM_QUALITY]: 6, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: json.length } });
  return packed.byteLength < Buffer.byteLength(json) ? { B: packed } : { S: json };
}

/** The stored item of an object. */
export function encode(o: BerthObject, json = JSON.stringify(o)): Item {
  const ref = refOf(o);
  const ik = indexKeyOf(ref);
  const item: Item = {
    ...keyItem(ref),
    gsi1pk: { S: ik.pk },
    gsi1sk: { S: ik.sk },
    rv: { S: o.metadata.resourceVersion },
    doc: docAttribute(json),
    labels: { M: Object.fromEntries(Object.entries(o.metadata.labels ?? {}).map(([k, v]) => [k, { S: v }])) },
  };
  if (o.metadata.expiresAt) item[TTL_ATTRIBUTE] = { N: String(Math.ceil(Date.parse(o.metadata.expiresAt) / 1000)) };
  if (o.metadata.deletionTimestamp) item.deleting = { S: o.metadata.deletionTimestamp };
  return item;
}

/** The object a stored item (or a stream image) holds: its `doc`, JSON or compressed JSON (items written before compression are JSON). */
export function decode(item: Item): BerthObject {
  const doc = item.doc;
  if (doc?.B !== undefined) return JSON.parse(brotliDecompressSync(doc.B).toString('utf8')) as BerthObject;
  if (doc?.S === undefined) throw new Error('stored item has no document');
  return JSON.parse(doc.S) as BerthObject;
}

/**
 * A binary attribute's bytes as a stream record's image holds them: in the Lambda event base64
 * text; the local stream poller hands them on as bytes.
 */
export const streamBytes = (b: string | Uint8Array): Uint8Array => (typeof b === 'string' ? Buffer.from(b, 'base64') : b);

/** The object a stream record's NewImage holds. */
export function decodeStreamImage(image: Record<string, { S?: string; B?: string | Uint8Array }>): BerthObject {
  const doc = image.doc;
  return decode({ doc: doc?.B !== undefined ? { B: streamBytes(doc.B) } : (doc as AttributeValue) });
}
