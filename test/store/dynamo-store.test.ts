// The object store contract, against DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExistsError, BadRequestError, ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { BerthObject, NewObject } from '../../shared/model/types.ts';
import { freshTable, snapshot, type TestTable } from '../support/dynamo.ts';

let t: TestTable;

const project = (name: string): NewObject => ({ kind: 'Project', metadata: { name, project: '' }, spec: {} });
const cm = (p: string, name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): NewObject => ({
  kind: 'ConfigMap',
  metadata: { name, project: p, labels },
  spec: { data },
});

beforeAll(async () => {
  t = await freshTable();
  await t.store.create(project('alpha'));
  await t.store.create(project('beta'));
});

describe('create and get', () => {
  it('fills in metadata and reads back what was written', async () => {
    const created = await t.store.create(cm('alpha', 'one', { a: '1' }, { app: 'x' }));
    expect(created.metadata).toMatchObject({ name: 'one', project: 'alpha', generation: 1, labels: { app: 'x' }, annotations: {} });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(Date.parse(created.metadata.creationTimestamp)).not.toBeNaN();
    const got = await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'one' });
    expect(got).toEqual(created);
  });

  it('refuses a second object of the same kind and name, and keeps the first', async () => {
    const first = await t.store.create(cm('alpha', 'dup', { v: 'first' }));
    await expect(t.store.create(cm('alpha', 'dup', { v: 'second' }))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'dup' })).toEqual(first);
  });

  it('allows the same name in another project and of another kind', async () => {
    await t.store.create(cm('alpha', 'shared'));
    await t.store.create(cm('beta', 'shared'));
    await t.store.create({ kind: 'Secret', metadata: { name: 'shared', project: 'alpha' }, spec: {} });
    expect(await t.store.get({ kind: 'ConfigMap', project: 'beta', name: 'shared' })).toBeDefined();
  });

  it('returns undefined for a missing object', async () => {
    expect(await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'nope' })).toBeUndefined();
  });

  it('refuses to create in a project that does not exist, writing nothing', async () => {
    const before = await snapshot(t);
    await expect(t.store.create(cm('ghost', 'x'))).rejects.toBeInstanceOf(NotFoundError);
    expect(await snapshot(t)).toEqual(before);
  });

  it('refuses to create in a project that is being deleted', async () => {
    const p = await t.store.create(project('closing'));
    await t.store.update({ ...p, metadata: { ...p.metadata, deletionTimestamp: new Date().toISOString() } });
    await expect(t.store.create(cm('closing', 'late'))).rejects.toBeInstanceOf(ConflictError);
    expect(await t.store.listProject('closing')).toEqual({ items: [] });
  });

  it('createMany is all or nothing', async () => {
    await t.store.create(cm('beta', 'taken'));
    const before = await snapshot(t);
    await expect(t.store.createMany([cm('beta', 'fresh-1'), cm('beta', 'taken'), cm('beta', 'fresh-2')])).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    expect(await snapshot(t)).toEqual(before);
  });

  it('createMany may create a project and its contents together', async () => {
    const made = await t.store.createMany([project('gamma'), cm('gamma', 'first')]);
    expect(made.map((o) => o.kind)).toEqual(['Project', 'ConfigMap']);
    expect((await t.store.listProject('gamma')).items.map((o) => o.metadata.name)).toEqual(['first']);
  });
});

describe('update', () => {
  it('bumps generation on a spec change, not on a metadata-only change', async () => {
    const o = await t.store.create(cm('alpha', 'gen', { a: '1' }));
    const relabelled = await t.store.update({ ...o, metadata: { ...o.metadata, labels: { tier: 'web' } } });
    expect(relabelled.metadata.generation).toBe(1);
    expect(relabelled.metadata.resourceVersion).not.toBe(o.metadata.resourceVersion);
    const respecced = await t.store.update({ ...relabelled, spec: { data: { a: '2' } } });
    expect(respecced.metadata.generation).toBe(2);
    expect(await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'gen' })).toEqual(respecced);
  });

  it('a stale resourceVersion gets a conflict and changes nothing', async () => {
    const o = await t.store.create(cm('alpha', 'stale', { a: '1' }));
    await t.store.update({ ...o, spec: { data: { a: '2' } } });
    const before = await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'stale' });
    await expect(t.store.update({ ...o, spec: { data: { a: '3' } } })).rejects.toBeInstanceOf(ConflictError);
    expect(await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'stale' })).toEqual(before);
  });

  it('of 20 concurrent updates with one resourceVersion, exactly one wins', async () => {
    const o = await t.store.create(cm('alpha', 'race', { n: '0' }));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => t.store.update({ ...o, spec: { data: { n: String(i + 1) } } })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost) expect(r.reason).toBeInstanceOf(ConflictError);
    const stored = (await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'race' }))!;
    expect(stored.spec).toEqual((won[0] as PromiseFulfilledResult<BerthObject>).value.spec);
    expect(stored.metadata.generation).toBe(2);
  });

  it('update leaves status alone and updateStatus leaves spec alone', async () => {
    const o = await t.store.create(cm('alpha', 'split', { a: '1' }));
    const withStatus = await t.store.updateStatus({ ...o, status: { phase: 'Ready' }, spec: { data: { a: 'ignored' } } });
    expect(withStatus.spec).toEqual({ data: { a: '1' } });
    expect(withStatus.metadata.generation).toBe(1);
    const respecced = await t.store.update({ ...withStatus, status: { phase: 'ignored' }, spec: { data: { a: '2' } } });
    expect(respecced.status).toEqual({ phase: 'Ready' });
    expect(respecced.spec).toEqual({ data: { a: '2' } });
  });

  it('replace changes labels, annotations and spec but keeps what the system owns', async () => {
    const o = await t.store.create({ ...cm('alpha', 'replaced', { a: '1' }), metadata: { name: 'replaced', project: 'alpha', finalizers: ['x/y'], expiresAt: '2099-01-01T00:00:00.000Z' } });
    const st = await t.store.updateStatus({ ...o, status: { phase: 'Ready' } });
    const r = await t.store.replace({ kind: 'ConfigMap', project: 'alpha', name: 'replaced' }, { resourceVersion: st.metadata.resourceVersion, labels: { l: 'v' }, spec: { data: { a: '2' } } });
    expect(r.spec).toEqual({ data: { a: '2' } });
    expect(r.status).toEqual({ phase: 'Ready' });
    expect(r.metadata).toMatchObject({ labels: { l: 'v' }, annotations: {}, finalizers: ['x/y'], expiresAt: '2099-01-01T00:00:00.000Z', generation: 2, uid: o.metadata.uid });
    await expect(
      t.store.replace({ kind: 'ConfigMap', project: 'alpha', name: 'replaced' }, { resourceVersion: st.metadata.resourceVersion, spec: {} }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('updating a missing object is not found', async () => {
    const o = await t.store.create(cm('alpha', 'gone'));
    await t.store.delete({ kind: 'ConfigMap', project: 'alpha', name: 'gone' });
    await expect(t.store.update(o)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('delete', () => {
  it('removes the object; a second delete is not found', async () => {
    await t.store.create(cm('alpha', 'del'));
    await t.store.delete({ kind: 'ConfigMap', project: 'alpha', name: 'del' });
    expect(await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'del' })).toBeUndefined();
    await expect(t.store.delete({ kind: 'ConfigMap', project: 'alpha', name: 'del' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('with a stale resourceVersion precondition is a conflict and keeps the object', async () => {
    const o = await t.store.create(cm('alpha', 'del-rv'));
    await t.store.update({ ...o, spec: { data: { b: '1' } } });
    await expect(
      t.store.delete({ kind: 'ConfigMap', project: 'alpha', name: 'del-rv' }, { resourceVersion: o.metadata.resourceVersion }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await t.store.get({ kind: 'ConfigMap', project: 'alpha', name: 'del-rv' })).toBeDefined();
  });
});

describe('list', () => {
  beforeAll(async () => {
    await t.store.create(project('lists'));
    await t.store.create(project('lists-other'));
    for (let i = 0; i < 7; i++) await t.store.create(cm('lists', `item-${i}`, {}, { parity: i % 2 ? 'odd' : 'even' }));
    await t.store.create({ kind: 'Secret', metadata: { name: 'not-a-cm', project: 'lists' }, spec: {} });
    await t.store.create(cm('lists-other', 'elsewhere'));
  });

  it('lists one kind in one project, by name, in pages', async () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await t.store.list('ConfigMap', 'lists', { limit: 3, continue: token });
      expect(page.items.length).toBeLessThanOrEqual(3);
      names.push(...page.items.map((o) => o.metadata.name));
      token = page.continue;
      pages++;
    } while (token);
    expect(names).toEqual(['item-0', 'item-1', 'item-2', 'item-3', 'item-4', 'item-5', 'item-6']);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('filters by labels', async () => {
    const odd = await t.store.list('ConfigMap', 'lists', { labels: { parity: 'odd' }, limit: 2 });
    expect(odd.items.map((o) => o.metadata.name)).toEqual(['item-1', 'item-3']);
    const rest = await t.store.list('ConfigMap', 'lists', { labels: { parity: 'odd' }, continue: odd.continue });
    expect(rest.items.map((o) => o.metadata.name)).toEqual(['item-5']);
  });

  it('lists a kind across projects for controllers', async () => {
    const all = await t.store.listAll('ConfigMap', { limit: 1000 });
    const refs = all.items.map((o) => `${o.metadata.project}/${o.metadata.name}`);
    expect(refs).toEqual(expect.arrayContaining(['lists/item-0', 'lists-other/elsewhere', 'beta/shared', 'alpha/shared']));
    expect(all.items.every((o) => o.kind === 'ConfigMap')).toBe(true);
  });

  it('lists every object of a project whatever its kind', async () => {
    const all = await t.store.listProject('lists');
    expect(all.items).toHaveLength(8);
    expect(new Set(all.items.map((o) => o.kind))).toEqual(new Set(['ConfigMap', 'Secret']));
  });

  it('lists cluster-scoped kinds', async () => {
    const projects = await t.store.list('Project', '');
    expect(projects.items.map((p) => p.metadata.name)).toEqual(expect.arrayContaining(['alpha', 'beta', 'lists']));
  });

  it('rejects a continue token it did not issue', async () => {
    await expect(t.store.list('ConfigMap', 'lists', { continue: 'not-a-token' })).rejects.toBeInstanceOf(BadRequestError);
  });
});
