// The foundation's reconcilers, driven for real: DynamoDB Local's stream read by the local
// poller into the Lambda stream handler, and the periodic resync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalReconcilers, type RunningReconcilers } from '../../agents/up/reconcilers.ts';
import { tokenId } from '../../shared/auth/tokens.ts';
import { foundationReconcilers } from '../../shared/reconcile/foundation.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { requestProjectDeletion } from '../../shared/project/deletion.ts';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
let running: RunningReconcilers;

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error('condition not met in time');
}

beforeAll(async () => {
  api = await testApi();
  running = await startLocalReconcilers({
    reconcilers: foundationReconcilers(api.store),
    endpoint: api.endpoint,
    streamArn: api.streamArn,
    resyncMs: 3_600_000,
  });
});

afterAll(async () => {
  await running?.stop();
});

describe('project finalisation through the stream', () => {
  it('deleting a project removes everything in it, then the project', async () => {
    const owner = await api.user('owner');
    expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'doomed' } })).status).toBe(201);
    expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'survivor' } })).status).toBe(201);
    for (let i = 0; i < 30; i++) {
      const r = await api.call('POST', '/api/v1/projects/doomed/configmaps', owner, { metadata: { name: `cm-${i}` }, spec: { data: { i: String(i) } } });
      expect(r.status).toBe(201);
    }
    await api.call('POST', '/api/v1/projects/survivor/configmaps', owner, { metadata: { name: 'keep' }, spec: {} });

    const del = await api.call('DELETE', '/api/v1/projects/doomed', owner);
    expect(del.status).toBe(202);
    expect(del.body.status.phase).toBe('Terminating');
    // While terminating, nothing new can be created in it.
    const late = await api.call('POST', '/api/v1/projects/doomed/configmaps', owner, { metadata: { name: 'late' }, spec: {} });
    expect(late.status).toBe(409);

    await eventually(async () => !(await api.store.get({ kind: 'Project', project: '', name: 'doomed' })));
    expect((await api.store.listProject('doomed')).items).toEqual([]);
    expect((await api.store.listProject('survivor')).items.map((o) => o.metadata.name).sort()).toEqual(['admin', 'keep']);
    // The name is free again.
    expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'doomed' } })).status).toBe(201);
  });
});

describe('expiry', () => {
  it('a token is swept away once it expires', async () => {
    const { token } = await api.identity.login('admin', 'admin-password');
    const ref = { kind: 'Token', project: '', name: tokenId(token) };
    const stored = (await api.store.get(ref))!;
    await api.store.update({ ...stored, metadata: { ...stored.metadata, expiresAt: new Date(Date.now() + 1500).toISOString() } });
    expect(await api.identity.authenticate(token)).toBe('admin');
    await eventually(async () => !(await api.store.get(ref)));
    await expect(api.identity.authenticate(token)).rejects.toThrow(/not valid/);
  });

  it('events expire', async () => {
    const owner = await api.user('eventful');
    await api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'eventful' } });
    const now = new Date().toISOString();
    await api.store.create({
      kind: 'Event',
      metadata: { name: 'ev-1', project: 'eventful', expiresAt: new Date(Date.now() + 1000).toISOString() },
      spec: { involvedObject: { kind: 'Project', name: 'eventful' }, type: 'Normal', reason: 'Test', message: 'hello', count: 1, firstTimestamp: now, lastTimestamp: now },
    });
    expect((await api.call('GET', '/api/v1/projects/eventful/events', owner)).body.items).toHaveLength(1);
    await eventually(async () => (await api.call('GET', '/api/v1/projects/eventful/events', owner)).body.items.length === 0);
  });
});

describe('resync', () => {
  it('finishes work that no stream record announced', async () => {
    // A separate table whose stream nobody reads.
    const quiet = await testApi();
    const owner = await quiet.user('owner');
    await quiet.call('POST', '/api/v1/projects', owner, { metadata: { name: 'missed' } });
    await quiet.call('POST', '/api/v1/projects/missed/configmaps', owner, { metadata: { name: 'x' }, spec: {} });
    await requestProjectDeletion(quiet.store, 'missed');
    const { token } = await quiet.identity.login('owner', 'password-owner');
    const tok = (await quiet.store.get({ kind: 'Token', project: '', name: tokenId(token) }))!;
    await quiet.store.update({ ...tok, metadata: { ...tok.metadata, expiresAt: new Date(Date.now() - 1).toISOString() } });

    const summary = await resyncAll(foundationReconcilers(quiet.store));
    expect(summary.failed).toBe(0);
    expect(summary.reconciled).toBeGreaterThanOrEqual(2);
    expect(await quiet.store.get({ kind: 'Project', project: '', name: 'missed' })).toBeUndefined();
    expect((await quiet.store.listProject('missed')).items).toEqual([]);
    expect(await quiet.store.get({ kind: 'Token', project: '', name: tokenId(token) })).toBeUndefined();
  });
});
