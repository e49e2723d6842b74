// Push connections as a stranger would try them: a tenant who signed up a minute ago watches the
// victim's objects and build log through the real API's WebSocket, over DynamoDB Local and its
// stream. She is refused, stores nothing, and is told nothing of the victim's changes; a viewer
// removed from the project stops being told; nothing she sends touches the victim's connection.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { snapshot } from '../support/dynamo.ts';
import { startPushApi, type PushApi, type PushClient } from '../push/support.ts';

let p: PushApi;
let victim: string;
let mallory: string;
let viewer: string;
const VICTIM = '/api/v1/projects/bank';
const rowsOf = async (project: string) => (await snapshot(p.api)).filter((r) => r.includes(`"W#p/${project}"`));
const changed = (c: PushClient) => c.received.filter((m) => m.type === 'changed').map((m) => (m as { path: string }).path);

beforeAll(async () => {
  p = await startPushApi();
  victim = await p.api.user('victim');
  mallory = await p.api.user('mallory');
  viewer = await p.api.user('viewer');
  expect((await p.api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'bank' }, spec: {} })).status).toBe(201);
  expect((await p.api.call('POST', '/api/v1/projects', mallory, { metadata: { name: 'mallory-lab' }, spec: {} })).status).toBe(201);
  expect((await p.api.call('POST', `${VICTIM}/rolebindings`, victim, { metadata: { name: 'viewers' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
}, 60_000);
afterAll(() => p?.close());

it("a stranger cannot watch the victim's objects or build log, and stores nothing trying", async () => {
  const m = await p.connect(mallory);
  for (const path of [`${VICTIM}/pods`, `${VICTIM}/secrets`, `${VICTIM}/rolebindings`, `${VICTIM}/builds/web-1/log`, `${VICTIM}/events`]) {
    expect(await m.ask({ watch: path })).toMatchObject({ type: 'error', status: 403, path });
  }
  expect(await rowsOf('bank')).toEqual([]);
  m.close();
});

it("a stranger is told nothing when the victim's objects and log change, while the victim is", async () => {
  const v = await p.connect(victim);
  const m = await p.connect(mallory);
  for (const path of [`${VICTIM}/configmaps`, `${VICTIM}/builds/web-1/log`]) expect(await v.ask({ watch: path })).toEqual({ type: 'watching', path });
  // Her own project's same paths, and the victim's refused.
  expect(await m.ask({ watch: '/api/v1/projects/mallory-lab/configmaps' })).toMatchObject({ type: 'watching' });
  expect(await m.ask({ watch: `${VICTIM}/configmaps` })).toMatchObject({ type: 'error', status: 403 });
  // She unwatches the victim's path on her connection: it changes nothing of the victim's.
  await m.ask({ unwatch: `${VICTIM}/configmaps` });
  expect(await p.api.call('POST', `${VICTIM}/configmaps`, victim, { metadata: { name: 'ledger' }, spec: { data: { balance: '1' } } })).toMatchObject({ status: 201 });
  await new DynamoBuildLogs({ client: p.api.client, tableName: p.api.tableName }).append({ kind: 'Build', project: 'bank', name: 'web-1' }, 'secret build output\n');
  expect(await v.told(`${VICTIM}/configmaps`)).toBe(true);
  expect(await v.told(`${VICTIM}/builds/web-1/log`)).toBe(true);
  // Her own project's change reaches her: her connection works, the victim's changes never came.
  expect(await p.api.call('POST', '/api/v1/projects/mallory-lab/configmaps', mallory, { metadata: { name: 'bait' }, spec: { data: {} } })).toMatchObject({ status: 201 });
  expect(await m.told('/api/v1/projects/mallory-lab/configmaps')).toBe(true);
  expect(changed(m)).toEqual(['/api/v1/projects/mallory-lab/configmaps']);
  // The victim's notice carried the log's line; nothing she was sent did.
  expect(JSON.stringify(v.received)).toContain('secret build output');
  expect(JSON.stringify(m.received)).not.toContain('secret build output');
  v.close();
  m.close();
}, 30_000);

it('a viewer who may not read secrets cannot watch them; one removed from the project is told nothing more', async () => {
  const w = await p.connect(viewer);
  expect(await w.ask({ watch: `${VICTIM}/secrets` })).toMatchObject({ type: 'error', status: 403 });
  expect(await w.ask({ watch: `${VICTIM}/services` })).toEqual({ type: 'watching', path: `${VICTIM}/services` });
  expect(await p.api.call('POST', `${VICTIM}/services`, victim, { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 8080 }] } })).toMatchObject({ status: 201 });
  expect(await w.told(`${VICTIM}/services`)).toBe(true);
  expect((await p.api.call('DELETE', `${VICTIM}/rolebindings/viewers`, victim)).status).toBeLessThan(300);
  const before = changed(w).length;
  // The victim, watching too, proves the next change went out.
  const v = await p.connect(victim);
  await v.ask({ watch: `${VICTIM}/services` });
  expect(await p.api.call('POST', `${VICTIM}/services`, victim, { metadata: { name: 'vault' }, spec: { selector: { app: 'vault' }, ports: [{ port: 8200 }] } })).toMatchObject({ status: 201 });
  expect(await v.told(`${VICTIM}/services`)).toBe(true);
  await new Promise((r) => setTimeout(r, 300));
  expect(changed(w)).toHaveLength(before);
  w.close();
  v.close();
}, 30_000);
