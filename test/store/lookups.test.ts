// Lookups (shared/store/lookups.ts): label selectors and field terms answered by a query of
// lookup items, kept exact through creates, label changes, status changes and deletes, and put
// once into a table written before they existed. Against DynamoDB Local.
import { DeleteItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/errors.ts';
import type { BerthObject, NewObject } from '../../shared/model/types.ts';
import { DynamoObjectStore, encode } from '../../shared/store/dynamo.ts';
import { ensureLookups, LOOKUPS_MARKER } from '../../shared/store/lookups-migration.ts';
import { bindingsOfTerm, podsOnHostTerm, unboundPodsTerm } from '../../shared/store/lookups.ts';
import { ensureTable } from '../../shared/store/table.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;

const names = (items: BerthObject[]) => items.map((o) => `${o.metadata.project}/${o.metadata.name}`).sort();
const cm = (project: string, name: string, labels: Record<string, string>): NewObject => ({ kind: 'ConfigMap', metadata: { name, project, labels }, spec: { data: {} } });
const pod = (project: string, name: string, host?: string): NewObject => ({
  kind: 'Pod',
  metadata: { name, project, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'img' }], ...(host ? { host } : {}) },
  status: { phase: 'Pending' },
});

/** How many items of the table's scan a listing would have had to read without lookups. */
async function scanCount(): Promise<number> {
  const out = await t.client.send(new ScanCommand({ TableName: t.tableName, Select: 'COUNT' }));
  return out.Count ?? 0;
}

beforeAll(async () => {
  t = await freshTable();
  for (const p of ['shop', 'blog']) await t.store.create({ kind: 'Project', metadata: { name: p, project: '' }, spec: {} });
});

describe('label selectors', () => {
  it('find exactly the objects carrying the labels, page by page, among many that do not', async () => {
    for (let i = 0; i < 60; i += 20) await t.store.createMany(Array.from({ length: 20 }, (_, j) => cm('shop', `noise-${i + j}`, { app: 'other', tier: 'x' })));
    for (let i = 0; i < 5; i++) await t.store.create(cm('shop', `web-${i}`, { app: 'web', tier: i % 2 ? 'back' : 'front' }));
    await t.store.create(cm('blog', 'web-elsewhere', { app: 'web' }));
    const first = await t.store.list('ConfigMap', 'shop', { labels: { app: 'web' }, limit: 3 });
    expect(first.items.map((o) => o.metadata.name)).toEqual(['web-0', 'web-1', 'web-2']);
    const rest = await t.store.list('ConfigMap', 'shop', { labels: { app: 'web' }, continue: first.continue });
    expect(rest.items.map((o) => o.metadata.name)).toEqual(['web-3', 'web-4']);
    expect(rest.continue).toBeUndefined();
    const both = await t.store.list('ConfigMap', 'shop', { labels: { app: 'web', tier: 'back' } });
    expect(both.items.map((o) => o.metadata.name)).toEqual(['web-1', 'web-3']);
  });

  it('read one page of lookups, not the kind: the selector costs what it returns', async () => {
    const reads: number[] = [];
    const store = new DynamoObjectStore({
      client: t.client,
      tableName: t.tableName,
      onCapacity: (_op, c) => reads.push(...c.map((x) => x.CapacityUnits ?? 0)),
    });
    await store.list('ConfigMap', 'shop', { labels: { app: 'web' } });
    // One query of 5 small lookups (well under a unit) and one batch of 5 objects.
    expect(reads).toHaveLength(2);
    expect(reads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(6);
    expect(await scanCount()).toBeGreaterThan(60);
  });

  it('follow label changes and deletes, and never show up in plain listings', async () => {
    const o = await t.store.create(cm('shop', 'moving', { app: 'old' }));
    await t.store.update({ ...o, metadata: { ...o.metadata, labels: { app: 'new' } } });
    expect(names((await t.store.list('ConfigMap', 'shop', { labels: { app: 'old' } })).items)).toEqual([]);
    expect(names((await t.store.list('ConfigMap', 'shop', { labels: { app: 'new' } })).items)).toEqual(['shop/moving']);
    await t.store.delete({ kind: 'ConfigMap', project: 'shop', name: 'moving' });
    expect((await t.store.list('ConfigMap', 'shop', { labels: { app: 'new' } })).items).toEqual([]);
    const plain = await t.store.listProject('shop');
    expect(plain.items.every((i) => typeof i.kind === 'string' && i.metadata.name)).toBe(true);
    expect(plain.items.some((i) => i.metadata.name === 'moving')).toBe(false);
  });

  it('refuse a continue token of another selector', async () => {
    const page = await t.store.list('ConfigMap', 'shop', { labels: { app: 'web' }, limit: 1 });
    await expect(t.store.list('ConfigMap', 'shop', { labels: { app: 'other' }, continue: page.continue })).rejects.toBeInstanceOf(BadRequestError);
    await expect(t.store.list('ConfigMap', 'shop', { continue: page.continue })).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('field terms', () => {
  it('name the pods waiting for a host, then the pods of their host once bound, across projects', async () => {
    const a = await t.store.create(pod('shop', 'a'));
    await t.store.create(pod('blog', 'b'));
    await t.store.create(pod('blog', 'c', 'h1'));
    expect(names((await t.store.listByField(unboundPodsTerm)).items)).toEqual(['blog/b', 'shop/a']);
    const host = await t.store.create({ kind: 'Host', metadata: { name: 'h1', project: '' }, spec: {}, status: { requested: { cpuMilli: 0, memoryBytes: 0 } } });
    await new DynamoBindingStore({ client: t.client, tableName: t.tableName }).bind(a as never, host as never, { cpuMilli: 100, memoryBytes: 1 });
    expect(names((await t.store.listByField(unboundPodsTerm)).items)).toEqual(['blog/b']);
    expect(names((await t.store.listByField(podsOnHostTerm('h1'))).items)).toEqual(['blog/c', 'shop/a']);
    expect((await t.store.listByField(podsOnHostTerm('h2'))).items).toEqual([]);
  });

  it('a pod that is no longer Pending leaves the unbound pods', async () => {
    const b = await t.store.get({ kind: 'Pod', project: 'blog', name: 'b' });
    await t.store.updateStatus({ ...b!, status: { phase: 'Failed' } });
    expect(names((await t.store.listByField(unboundPodsTerm)).items)).toEqual([]);
  });

  it('name the role bindings of a subject, and follow their subjects', async () => {
    const rb = await t.store.create({ kind: 'RoleBinding', metadata: { name: 'devs', project: 'shop' }, spec: { role: 'edit', subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'team' }] } });
    await t.store.create({ kind: 'RoleBinding', metadata: { name: 'view', project: 'blog' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'alice' }] } });
    expect(names((await t.store.listByField(bindingsOfTerm({ kind: 'User', name: 'alice' }))).items)).toEqual(['blog/view', 'shop/devs']);
    await t.store.update({ ...rb, spec: { role: 'edit', subjects: [{ kind: 'Group', name: 'team' }] } });
    expect(names((await t.store.listByField(bindingsOfTerm({ kind: 'User', name: 'alice' }))).items)).toEqual(['blog/view']);
    expect(names((await t.store.listByField(bindingsOfTerm({ kind: 'Group', name: 'team' }))).items)).toEqual(['shop/devs']);
  });
});

describe('a table written before lookups', () => {
  it('gets the lookups of its objects once, when the table is ensured', async () => {
    const old = await freshTable();
    await old.store.create({ kind: 'Project', metadata: { name: 'legacy', project: '' }, spec: {} });
    // Objects as an earlier release stored them: the item alone, no lookups, no marker.
    const objects = [cm('legacy', 'one', { app: 'web' }), pod('legacy', 'p', 'h9')].map((o, i) => ({
      ...o,
      metadata: { ...o.metadata, uid: `u${i}`, resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00.000Z', labels: o.metadata.labels ?? {}, annotations: {} },
      status: o.status ?? {},
    })) as BerthObject[];
    for (const o of objects) await old.client.send(new PutItemCommand({ TableName: old.tableName, Item: encode(o) }));
    await old.client.send(new DeleteItemCommand({ TableName: old.tableName, Key: LOOKUPS_MARKER }));
    expect((await old.store.list('ConfigMap', 'legacy', { labels: { app: 'web' } })).items).toEqual([]);

    await ensureTable(old.client, old.tableName);
    expect(names((await old.store.list('ConfigMap', 'legacy', { labels: { app: 'web' } })).items)).toEqual(['legacy/one']);
    expect(names((await old.store.listByField(podsOnHostTerm('h9'))).items)).toEqual(['legacy/p']);
    // Marked: the next start reads one item, not the table.
    expect(await ensureLookups(old.client, old.tableName)).toBe(0);
  });
});
