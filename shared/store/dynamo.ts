// The DynamoDB adapter of the object store: one table (see keys.ts), conditional writes on
// resourceVersion, transactions where a write must check its project, TTL for expiring objects.
import { randomUUID, randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
  type ConsumedCapacity,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../errors.ts';
import type { BerthObject, NewObject, ObjectList, ObjectRef } from '../model/types.ts';
import { formatRef, refOf } from '../model/types.ts';
import { BY_KIND_INDEX, TTL_ATTRIBUTE, indexKeyOf, keyOf } from './keys.ts';
import { decodeContinue, encodeContinue, type TokenShape } from './continue-token.ts';
import { ObjectTooLargeError, MAX_ITEM_BYTES, itemSize } from './item-size.ts';
import { DEFAULT_PAGE, MAX_PAGE, type ListOptions, type ObjectStore, type Replacement } from './ports.ts';
import type { Counter } from '../quota/admission.ts';
import { readCounter, writeCounted } from '../quota/dynamo.ts';
import { counterKey } from '../quota/counter-item.ts';
import { counterChanges, touchesCounter, type Change } from '../quota/writes.ts';

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
    return out.Item ? (decode(out.Item) as T) : undefined;
  }

  list<T extends BerthObject>(kind: string, project: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const key = keyOf({ kind, project, name: '' });
    const shape: TokenShape = { attributes: TABLE_KEY, equal: { pk: key.pk }, prefix: project ? ['sk', key.sk] : undefined };
    return this.query<T>('list', opts, shape, {
      KeyConditionExpression: project ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
      ExpressionAttributeValues: project ? { ':pk': { S: key.pk }, ':prefix': { S: key.sk } } : { ':pk': { S: key.pk } },
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

  listProject(project: string, opts: ListOptions = {}): Promise<ObjectList> {
    return this.query('listProject', opts, { attributes: TABLE_KEY, equal: { pk: `P#${project}` } }, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `P#${project}` } },
      ConsistentRead: true,
    });
  }

  async create<T extends BerthObject>(obj: NewObject): Promise<T> {
    const [created] = await this.createMany([obj]);
    return created as T;
  }

  async createMany(objs: NewObject[]): Promise<BerthObject[]> {
    if (objs.length === 0) return [];
    const full = objs.map(materialise);
    full.forEach((o) => encodeWithin(o));
    const projects = [...new Set(full.map((o) => o.metadata.project).filter((p) => p !== ''))];
    // A project created in this same write is its own guarantee.
    const createdHere = new Set(full.filter((o) => o.kind === 'Project').map((o) => o.metadata.name));
    const checks = projects.filter((p) => !createdHere.has(p));
    if (full.length === 1 && checks.length === 0) {
      await this.put(full[0]!, NOT_EXISTS, 'create', () => new AlreadyExistsError(full[0]!.kind, full[0]!.metadata.name));
      return full;
    }
    const items: TransactWriteItem[] = [
      ...checks.map((p) => ({
        ConditionCheck: { TableName: this.table, Key: keyItem({ kind: 'Project', project: '', name: p }), ConditionExpression: PROJECT_OPEN },
      })),
      ...full.map((o) => ({ Put: { TableName: this.table, Item: encode(o), ConditionExpression: NOT_EXISTS } })),
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
      if (failed >= checks.length) {
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
      return full;
    }
    try {
      const out = await this.client.send(new TransactWriteItemsCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }));
      this.report('create', out.ConsumedCapacity);
    } catch (err) {
      if (err instanceof TransactionCanceledException) throw (await explain(err.CancellationReasons ?? [])) ?? err;
      throw err;
    }
    return full;
  }

  async update<T extends BerthObject>(obj: T): Promise<T> {
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
    const stored = await this.get(ref);
    if (!stored) throw new NotFoundError(ref.kind, ref.name);
    if (stored.metadata.resourceVersion !== expected) throw staleError(ref, expected);
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
    if (counted.length) {
      // A pod that ends, a build that finishes, a quota that changes: the counter moves with it.
      const put = { Put: { TableName: this.table, Item: encodeWithin(next), ConditionExpression: RV_MATCHES, ExpressionAttributeValues: { ':rv': { S: expected } } } };
      await writeCounted(this.client, this.table, [put], counted, () => staleError(ref, expected), (c) => this.report(op, c));
      return next;
    }
    await this.put(next, RV_MATCHES, op, () => staleError(ref, expected), expected);
    return next;
  }

  usage(project: string): Promise<Counter> {
    return readCounter(this.client, this.table, project, (c) => this.report('get', c));
  }

  /**
   * Deletes an object a quota counts, giving its usage back in the same transaction, so that
   * usage is given back exactly once however many callers delete it at once.
   */
  private async deleteCounted(ref: ObjectRef, expected: string | undefined): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const stored = await this.get(ref);
      if (!stored) throw new NotFoundError(ref.kind, ref.name);
      const rv = stored.metadata.resourceVersion;
      if (expected !== undefined && rv !== expected) throw staleError(ref, expected);
      const counted = counterChanges([{ before: stored } satisfies Change]);
      if (!counted.length) return false;
      const del = { Delete: { TableName: this.table, Key: keyItem(ref), ConditionExpression: RV_MATCHES, ExpressionAttributeValues: { ':rv': { S: rv } } } };
      try {
        await writeCounted(this.client, this.table, [del], counted, () => staleError(ref, rv), (c) => this.report('delete', c));
        return true;
      } catch (err) {
        // Changed or gone in between: look again (a caller who named the version gets the conflict).
        if (!(err instanceof ConflictError) || expected !== undefined || attempt >= 5) throw err;
      }
    }
  }

  async delete(ref: ObjectRef, opts: { resourceVersion?: string } = {}): Promise<void> {
    if (ref.project && touchesCounter(ref.kind) && (await this.deleteCounted(ref, opts.resourceVersion))) return;
    const conditional = opts.resourceVersion !== undefined;
    try {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: keyItem(ref),
          ConditionExpression: conditional ? RV_MATCHES : 'attribute_exists(pk)',
          ExpressionAttributeValues: conditional ? { ':rv': { S: opts.resourceVersion! } } : undefined,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.report('delete', out.ConsumedCapacity);
      // A project's usage counter goes with the project (it counts nothing by then).
      if (ref.kind === 'Project' && !ref.project) await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: counterKey(ref.name) }));
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        if (!err.Item) throw new NotFoundError(ref.kind, ref.name);
        throw new ConflictError(`${formatRef(ref)} has changed since resourceVersion ${opts.resourceVersion}`);
      }
      throw err;
    }
  }

  private async put(obj: BerthObject, condition: string, op: string, onFail: () => Error, expectedRv?: string): Promise<void> {
    try {
      const out = await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: encodeWithin(obj),
          ConditionExpression: condition,
          ExpressionAttributeValues: expectedRv !== undefined ? { ':rv': { S: expectedRv } } : undefined,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.report(op, out.ConsumedCapacity);
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
      for (const item of out.Items ?? []) items.push(decode(item) as T);
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return start ? { items, continue: encodeContinue(start) } : { items };
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

/** The stored item of an object, refused (413) when DynamoDB would refuse it for its size. */
function encodeWithin(o: BerthObject): Item {
  const item = encode(o);
  const bytes = itemSize(item);
  if (bytes > MAX_ITEM_BYTES) throw new ObjectTooLargeError(o.kind, o.metadata.name, bytes);
  return item;
}

/** The stored item of an object. */
export function encode(o: BerthObject): Item {
  const ref = refOf(o);
  const ik = indexKeyOf(ref);
  const item: Item = {
    ...keyItem(ref),
    gsi1pk: { S: ik.pk },
    gsi1sk: { S: ik.sk },
    rv: { S: o.metadata.resourceVersion },
    doc: { S: JSON.stringify(o) },
    labels: { M: Object.fromEntries(Object.entries(o.metadata.labels ?? {}).map(([k, v]) => [k, { S: v }])) },
  };
  if (o.metadata.expiresAt) item[TTL_ATTRIBUTE] = { N: String(Math.ceil(Date.parse(o.metadata.expiresAt) / 1000)) };
  if (o.metadata.deletionTimestamp) item.deleting = { S: o.metadata.deletionTimestamp };
  return item;
}

/** The object a stored item (or a stream image) holds. */
export function decode(item: Item): BerthObject {
  const doc = item.doc?.S;
  if (doc === undefined) throw new Error('stored item has no document');
  return JSON.parse(doc) as BerthObject;
}
