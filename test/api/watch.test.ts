// Watches on the API (`?watch=1`), against DynamoDB Local: the first answer lists what there is,
// a held request comes back as soon as something changes, an idle one comes back empty at its
// timeout, and following the cursors gives every change once, deletions as a 410 to list again.
import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { changesSince, parseCursor } from '../../shared/api/watch.ts';
import { DEFAULT_WATCH, LAMBDA_WATCH, watchSettingsFromEnv } from '../../shared/api/watch-route.ts';
import type { BerthObject } from '../../shared/model/types.ts';

let api: TestApi;
let alice: string;
const base = '/api/v1/projects/watching/configmaps';

beforeAll(async () => {
  api = await testApi({ watch: { maxSeconds: 10, pollMs: 50 } });
  alice = await api.user('alice');
  expect((await api.call('POST', '/api/v1/projects', alice, { metadata: { name: 'watching' }, spec: {} })).status).toBe(201);
}, 30_000);

const make = async (name: string, data: Record<string, string> = { v: '1' }) => {
  const r = await api.call('POST', base, alice, { metadata: { name }, spec: { data } });
  expect(r.status).toBe(201);
  return r.body;
};
const change = async (name: string, data: Record<string, string>) => {
  const now = (await api.call('GET', `${base}/${name}`, alice)).body;
  const r = await api.call('PUT', `${base}/${name}`, alice, { metadata: { name, resourceVersion: now.metadata.resourceVersion }, spec: { data } });
  expect(r.status).toBe(200);
  return r.body;
};
const watch = (query: string) => api.call('GET', `${base}?watch=1${query}`, alice);
const seen = (body: any) => body.items.map((e: any) => `${e.type} ${e.object.metadata?.name ?? e.object.code} ${JSON.stringify(e.object.spec?.data ?? {})}`);

describe('watch', () => {
  it('lists what there is at once, then answers a held request as soon as something changes', async () => {
    await make('alpha');
    const first = await watch('');
    expect(first.status).toBe(200);
    expect(first.body.kind).toBe('WatchEventList');
    expect(seen(first.body)).toEqual(['ADDED alpha {"v":"1"}']);
    const cursor = first.body.metadata.resourceVersion;

    const started = Date.now();
    const held = watch(`&resourceVersion=${encodeURIComponent(cursor)}&timeoutSeconds=10`);
    await new Promise((r) => setTimeout(r, 300));
    await change('alpha', { v: '2' });
    await make('beta');
    const answer = await held;
    // Well before the 10 s timeout: the change ended the wait (the two writes may come in one answer or the first).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen(answer.body)[0]).toBe('MODIFIED alpha {"v":"2"}');
    const rest = answer.body.items.length === 2 ? answer.body : (await watch(`&resourceVersion=${encodeURIComponent(answer.body.metadata.resourceVersion)}&timeoutSeconds=10`)).body;
    expect(seen(rest).at(-1)).toBe('ADDED beta {"v":"1"}');
  });

  it('comes back empty at its timeout, with a cursor that misses nothing after it', async () => {
    const now = (await watch('')).body.metadata.resourceVersion;
    const started = Date.now();
    const idle = await watch(`&resourceVersion=${encodeURIComponent(now)}&timeoutSeconds=1`);
    expect(idle.status).toBe(200);
    expect(idle.body.items).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await change('beta', { v: 'after-timeout' });
    const next = await watch(`&resourceVersion=${encodeURIComponent(idle.body.metadata.resourceVersion)}&timeoutSeconds=5`);
    expect(seen(next.body)).toEqual(['MODIFIED beta {"v":"after-timeout"}']);
  });

  it('resumes from a cursor: every change made meanwhile once, none repeated', async () => {
    let cursor = (await watch('')).body.metadata.resourceVersion;
    // Changes while nobody watches, some within the same few milliseconds.
    await Promise.all([change('alpha', { v: '3' }), make('gamma'), make('delta')]);
    await change('gamma', { v: '2' });
    const events: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await watch(`&resourceVersion=${encodeURIComponent(cursor)}&timeoutSeconds=1`);
      events.push(...seen(r.body));
      cursor = r.body.metadata.resourceVersion;
    }
    // The latest state of each changed object, once; the unchanged beta not at all; nothing twice over five asks.
    expect(events.sort()).toEqual(['ADDED delta {"v":"1"}', 'ADDED gamma {"v":"2"}', 'MODIFIED alpha {"v":"3"}']);
  });

  it('tells of a deletion with a 410 to list again, and the new listing lacks the object', async () => {
    const cursor = (await watch('')).body.metadata.resourceVersion;
    expect((await api.call('DELETE', `${base}/delta`, alice)).status).toBe(204);
    const r = await watch(`&resourceVersion=${encodeURIComponent(cursor)}&timeoutSeconds=5`);
    expect(r.body.items).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
    expect(r.body.metadata.resourceVersion).toBeUndefined();
    const again = await watch('');
    expect(again.body.items.map((e: any) => e.object.metadata.name).sort()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('watches one object by name, and objects by label', async () => {
    await make('labelled');
    const now = (await api.call('GET', `${base}/labelled`, alice)).body;
    expect((await api.call('PUT', `${base}/labelled`, alice, { metadata: { name: 'labelled', resourceVersion: now.metadata.resourceVersion, labels: { app: 'x' } }, spec: { data: {} } })).status).toBe(200);
    expect(seen((await watch('&fieldSelector=metadata.name%3Dalpha')).body)).toEqual(['ADDED alpha {"v":"3"}']);
    expect((await watch('&labelSelector=app%3Dx')).body.items.map((e: any) => e.object.metadata.name)).toEqual(['labelled']);
  });

  it('refuses bad watch input with a 400 naming the field, and the watch fields without watch=1', async () => {
    for (const [query, field] of [
      ['?watch=1&resourceVersion=not-a-cursor', 'resourceVersion'],
      ['?watch=1&timeoutSeconds=-1', 'timeoutSeconds'],
      ['?watch=1&timeoutSeconds=3600', 'timeoutSeconds'],
      ['?watch=yes', 'watch'],
      ['?watch=1&limit=5', 'limit'],
      ['?resourceVersion=abc', 'resourceVersion'],
      ['?fieldSelector=spec.x%3Dy', 'fieldSelector'],
    ] as const) {
      const r = await api.call('GET', `${base}${query}`, alice);
      expect(r.status, query).toBeGreaterThanOrEqual(400);
      expect(r.status, query).toBeLessThan(500);
      expect(JSON.stringify(r.body), query).toContain(field);
    }
  });
});

describe('changesSince (the cursor arithmetic)', () => {
  const obj = (name: string, rvMs: number, createdMs: number) =>
    ({ kind: 'ConfigMap', metadata: { name, project: 'p', uid: name, resourceVersion: `${rvMs}123`, generation: 1, creationTimestamp: new Date(createdMs).toISOString(), labels: {}, annotations: {} }, spec: {}, status: {} }) as BerthObject;
  const t0 = 1_800_000_000_000;

  it('catches a write that landed after a read but carries an earlier time, and gives it once', () => {
    const a = obj('a', t0 - 60_000, t0 - 60_000);
    const first = changesSince(undefined, [a], t0);
    // Made (and stamped) 100 ms before the read began, stored only after it: the read missed it.
    const late = obj('late', t0 - 100, t0 - 100);
    const next = changesSince(parseCursor(first.cursor!), [a, late], t0 + 1_000);
    expect(next.events.map((e) => `${e.type} ${'metadata' in e.object ? e.object.metadata.name : ''}`)).toEqual(['ADDED late']);
    const after = changesSince(parseCursor(next.cursor!), [a, late], t0 + 2_000);
    expect(after.events).toEqual([]);
  });

  it('tells a deletion hidden by a creation in the same interval', () => {
    const first = changesSince(undefined, [obj('a', t0 - 60_000, t0 - 60_000), obj('b', t0 - 60_000, t0 - 60_000)], t0);
    const next = changesSince(parseCursor(first.cursor!), [obj('a', t0 - 60_000, t0 - 60_000), obj('c', t0 + 500, t0 + 500)], t0 + 1_000);
    expect(next.events).toEqual([expect.objectContaining({ type: 'ERROR' })]);
  });
});

describe('watch settings from the environment', () => {
  it('takes PAAS_WATCH_MAX_S and PAAS_WATCH_POLL_MS, falls back to the defaults, and refuses nonsense naming the variable', () => {
    expect(watchSettingsFromEnv({}, LAMBDA_WATCH)).toEqual({ maxSeconds: 0, pollMs: 1000 });
    expect(watchSettingsFromEnv({ PAAS_WATCH_MAX_S: '25', PAAS_WATCH_POLL_MS: '500' }, LAMBDA_WATCH)).toEqual({ maxSeconds: 25, pollMs: 500 });
    expect(() => watchSettingsFromEnv({ PAAS_WATCH_MAX_S: 'soon' }, DEFAULT_WATCH)).toThrow(/PAAS_WATCH_MAX_S/);
    expect(() => watchSettingsFromEnv({ PAAS_WATCH_POLL_MS: '5' }, DEFAULT_WATCH)).toThrow(/PAAS_WATCH_POLL_MS/);
  });

  it('a server that holds nothing answers a watch with a cursor at once', async () => {
    const quick = await testApi({ watch: { maxSeconds: 0, pollMs: 1000 } });
    const bob = await quick.user('bob');
    expect((await quick.call('POST', '/api/v1/projects', bob, { metadata: { name: 'quick' }, spec: {} })).status).toBe(201);
    const cursor = (await quick.call('GET', '/api/v1/projects/quick/configmaps?watch=1', bob)).body.metadata.resourceVersion;
    const started = Date.now();
    const r = await quick.call('GET', `/api/v1/projects/quick/configmaps?watch=1&timeoutSeconds=30&resourceVersion=${encodeURIComponent(cursor)}`, bob);
    expect(r.body.items).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
