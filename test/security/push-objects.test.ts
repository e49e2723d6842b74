// Attack: notices now carry the objects that changed, so a tenant tries to read through them what
// the API would not show her. A viewer watches every list she may while the owner writes a Secret
// and a BuildConfig with a webhook secret: she is sent neither, nor any object of them (a
// BuildConfig's list is redacted for viewers, so its notice carries nothing). A stranger is sent
// nothing of the victim's project; a member removed is sent no object afterwards; and a watcher
// of her own project is sent only her project's objects, whatever else the same batch wrote.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BerthObject } from '../../shared/model/types.ts';
import type { PushMessage } from '../../shared/push/topics.ts';
import { until } from '../support/until.ts';
import { startPushApi, type PushApi, type PushClient } from '../push/support.ts';

let p: PushApi;
let owner: string;
let viewer: string;
let mallory: string;
const BANK = '/api/v1/projects/bank';
const LAB = '/api/v1/projects/mallory-lab';
const PASSWORD = 'correct-horse-battery';
const WEBHOOK = 'webhook-s3cret-9f2c';

type Notice = Extract<PushMessage, { type: 'changed' }>;
const notices = (c: PushClient) => c.received.filter((m): m is Notice => m.type === 'changed');
const objectsSent = (c: PushClient) => notices(c).flatMap((n) => (n.objects ?? []) as BerthObject[]);
const pod = (project: string, name: string) =>
  p.api.store.create({ kind: 'Pod', metadata: { name, project, labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x' }] }, status: { phase: 'Pending' } } as never);
const watching = async (token: string, paths: string[]) => {
  const c = await p.connect(token);
  for (const path of paths) expect(await c.ask({ watch: path })).toEqual({ type: 'watching', path });
  return c;
};

beforeAll(async () => {
  p = await startPushApi();
  owner = await p.api.user('owner');
  viewer = await p.api.user('viewer');
  mallory = await p.api.user('mallory');
  expect((await p.api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'bank' }, spec: {} })).status).toBe(201);
  expect((await p.api.call('POST', '/api/v1/projects', mallory, { metadata: { name: 'mallory-lab' }, spec: {} })).status).toBe(201);
  expect((await p.api.call('POST', `${BANK}/rolebindings`, owner, { metadata: { name: 'viewers' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
}, 60_000);
afterAll(() => p?.close());

it("a viewer is sent no Secret's data, no webhook secret and no object of either, while the owner's notices carry other kinds", async () => {
  const v = await p.connect(viewer);
  expect(await v.ask({ watch: `${BANK}/secrets` })).toMatchObject({ type: 'error', status: 403 });
  for (const plural of ['buildconfigs', 'configmaps', 'pods', 'overview']) expect(await v.ask({ watch: `${BANK}/${plural}` })).toMatchObject({ type: 'watching' });
  const o = await watching(owner, [`${BANK}/secrets`, `${BANK}/buildconfigs`, `${BANK}/configmaps`]);

  expect((await p.api.call('POST', `${BANK}/secrets`, owner, { metadata: { name: 'db' }, stringData: { password: PASSWORD } })).status).toBe(201);
  const bc = { source: { git: { uri: 'https://git.example/app.git' } }, strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'python:3.11' } } }, output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } }, triggers: [{ type: 'GitHub', github: { secret: WEBHOOK } }] };
  const made = await p.api.call('POST', `${BANK}/buildconfigs`, owner, { metadata: { name: 'app' }, spec: bc });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  expect((await p.api.call('POST', `${BANK}/configmaps`, owner, { metadata: { name: 'after' }, spec: { data: { k: 'v' } } })).status).toBe(201);
  // The ConfigMap, written last, reaches both: whatever the earlier writes sent has been sent.
  await until('the owner is sent the ConfigMap', async () => objectsSent(o).some((x) => x.metadata.name === 'after'), 10_000);
  await until('the viewer is sent the ConfigMap', async () => objectsSent(v).some((x) => x.metadata.name === 'after'), 10_000);
  await until('the viewer is told of the BuildConfig', async () => notices(v).some((n) => n.path === `${BANK}/buildconfigs`), 10_000);

  expect(notices(v).find((n) => n.path === `${BANK}/buildconfigs`)).toEqual({ type: 'changed', path: `${BANK}/buildconfigs` });
  expect(objectsSent(v).map((x) => x.kind)).not.toContain('Secret');
  expect(objectsSent(v).map((x) => x.kind)).not.toContain('BuildConfig');
  const sent = JSON.stringify(v.received);
  for (const secret of [PASSWORD, Buffer.from(PASSWORD).toString('base64'), WEBHOOK]) expect(sent).not.toContain(secret);
  // Not even the owner, who may read them, is sent them in a notice: she reads them through the API.
  expect(objectsSent(o).map((x) => x.kind)).toEqual(['ConfigMap']);
  v.close();
  o.close();
}, 30_000);

it("a watcher of her own project is sent only its objects (a label selector is the client's to apply), and a stranger none of the victim's", async () => {
  const m = await watching(mallory, [`${LAB}/pods`]);
  expect(await m.ask({ watch: `${BANK}/pods` })).toMatchObject({ type: 'error', status: 403 });
  const o = await watching(owner, [`${BANK}/pods`]);
  // Written side by side, so that a stream batch may well hold both.
  await Promise.all([pod('bank', 'vault-1'), pod('mallory-lab', 'bait-1'), pod('bank', 'vault-2')]);
  await until('the owner is sent both pods', async () => objectsSent(o).filter((x) => x.metadata.name.startsWith('vault-')).length === 2, 10_000);
  await until('mallory is sent hers', async () => objectsSent(m).some((x) => x.metadata.name === 'bait-1'), 10_000);

  expect(new Set(objectsSent(m).map((x) => x.metadata.project))).toEqual(new Set(['mallory-lab']));
  expect(notices(m).every((n) => n.path === `${LAB}/pods`)).toBe(true);
  m.close();
  o.close();
}, 30_000);

it('a member removed from the project is sent no object afterwards', async () => {
  expect((await p.api.call('POST', `${BANK}/rolebindings`, owner, { metadata: { name: 'helper' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'mallory' }] } })).status).toBe(201);
  const m = await watching(mallory, [`${BANK}/pods`]);
  await pod('bank', 'while-bound');
  await until('mallory, bound, is sent the pod', async () => objectsSent(m).some((x) => x.metadata.name === 'while-bound'), 10_000);

  expect((await p.api.call('DELETE', `${BANK}/rolebindings/helper`, owner)).status).toBe(204);
  const before = m.received.length;
  const o = await watching(owner, [`${BANK}/pods`]);
  await pod('bank', 'after-removal');
  await until('the owner is sent the next pod', async () => objectsSent(o).some((x) => x.metadata.name === 'after-removal'), 10_000);
  await new Promise((r) => setTimeout(r, 300));

  expect(m.received.slice(before)).toEqual([]);
  m.close();
  o.close();
}, 30_000);
