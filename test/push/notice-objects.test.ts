// Notices that carry the changed objects: a watcher of a kind's list is sent the objects a stream
// batch wrote, exactly as the list's watch answers with them, and the names it removed, for kinds
// the API shows as stored; for the others (sealed, redacted, computed on read), and for a notice
// too large for one frame, it is sent the path alone and reads. Over DynamoDB Local and its stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BerthObject } from '../../shared/model/types.ts';
import type { PushMessage } from '../../shared/push/topics.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { until } from '../support/until.ts';
import { startPushApiWithProject, type PushApi, type PushClient } from './support.ts';

const P = '/api/v1/projects/shop';
let p: PushApi;
let owner: string;

beforeAll(async () => {
  ({ p, owner } = await startPushApiWithProject('shop'));
}, 60_000);
afterAll(() => p?.close());

type Notice = Extract<PushMessage, { type: 'changed' }>;
/** The first notice of `path` that `pick` accepts, once it has come. */
const notice = (c: PushClient, path: string, pick: (n: Notice) => boolean = () => true): Promise<Notice> =>
  until(`a notice of ${path}`, async () => c.received.find((m): m is Notice => m.type === 'changed' && m.path === path && pick(m)), 10_000);
const carrying = (name: string, rv?: string) => (n: Notice) => !!n.objects?.some((o) => (o as BerthObject).metadata.name === name && (!rv || (o as BerthObject).metadata.resourceVersion === rv));
/** The object `name` as the list's watch (without a cursor) answers with it. */
async function watched(path: string, name: string): Promise<unknown> {
  const res = await p.app.request(`${path}?watch=1`, { headers: { Authorization: `Bearer ${owner}` } });
  const body = (await res.json()) as { items: { object: BerthObject }[] };
  return body.items.find((e) => e.object.metadata.name === name)?.object;
}
async function watching(path: string): Promise<PushClient> {
  const c = await p.connect(owner);
  expect(await c.ask({ watch: path })).toEqual({ type: 'watching', path });
  return c;
}

describe('a notice of a kind shown as stored', () => {
  it("carries a ReplicationController the batch wrote, identical to the watch answer's object, at each change", async () => {
    const path = `${P}/replicationcontrollers`;
    const c = await watching(path);
    const rc = await p.api.store.create({ kind: 'ReplicationController', metadata: { name: 'web-1', project: 'shop', labels: { deploymentconfig: 'web' } }, spec: { replicas: 2 }, status: { phase: 'Running', replicas: 0 } } as never);

    const made = await notice(c, path, carrying('web-1', rc.metadata.resourceVersion));
    expect(made.gone).toEqual([]);
    expect(made.objects!.find((o) => (o as BerthObject).metadata.name === 'web-1')).toStrictEqual(await watched(path, 'web-1'));

    const next = await patchStatus(p.api.store, { kind: 'ReplicationController', project: 'shop', name: 'web-1' }, (cur) => ({ ...(cur.status as object), availableReplicas: 1 }));
    const changed = await notice(c, path, carrying('web-1', next!.metadata.resourceVersion));
    const object = changed.objects!.find((o) => (o as BerthObject).metadata.name === 'web-1');
    expect(object).toMatchObject({ apiVersion: 'v1', kind: 'ReplicationController', status: { availableReplicas: 1 } });
    expect(object).toStrictEqual(await watched(path, 'web-1'));
    c.close();
  }, 30_000);

  it("carries a Pod identical to the watch answer's object", async () => {
    const path = `${P}/pods`;
    const c = await watching(path);
    const pod = await p.api.store.create({ kind: 'Pod', metadata: { name: 'web-1-abcde', project: 'shop', labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'x' }] }, status: { phase: 'Pending' } } as never);

    const told = await notice(c, path, carrying('web-1-abcde', pod.metadata.resourceVersion));
    expect(told.objects!.find((o) => (o as BerthObject).metadata.name === 'web-1-abcde')).toStrictEqual(await watched(path, 'web-1-abcde'));
    c.close();
  }, 30_000);

  it('names a deleted object in `gone`, and carries nothing of it', async () => {
    const path = `${P}/configmaps`;
    expect((await p.api.call('POST', `${path}`, owner, { metadata: { name: 'doomed' }, spec: { data: { a: '1' } } })).status).toBe(201);
    const c = await watching(path);
    expect((await p.api.call('DELETE', `${path}/doomed`, owner)).status).toBe(204);

    const told = await notice(c, path, (n) => !!n.gone?.includes('doomed'));
    expect(told.objects!.some((o) => (o as BerthObject).metadata.name === 'doomed')).toBe(false);
    c.close();
  }, 30_000);

  it('carries nothing when the notice would be over the size one message takes: the path alone', async () => {
    const path = `${P}/configmaps`;
    const c = await watching(path);
    expect((await p.api.call('POST', path, owner, { metadata: { name: 'bulky' }, spec: { data: { blob: 'x'.repeat(30_000) } } })).status).toBe(201);

    const told = await notice(c, path);
    expect(told).toEqual({ type: 'changed', path });
    c.close();
  }, 30_000);
});

describe('a notice of a kind the API alters on read', () => {
  it.each([
    ['secrets', { metadata: { name: 'key' }, spec: { data: { password: 'aHVudGVyMg==' } } }],
    ['buildconfigs', { metadata: { name: 'app' }, spec: { source: { git: { uri: 'https://git.example/app.git' } }, strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'python:3.11' } } }, output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } }, triggers: [{ type: 'GitHub', github: { secret: 'webhook-s3cret' } }] } }],
    ['resourcequotas', { metadata: { name: 'q' }, spec: { hard: { pods: 4 } } }],
  ])('of %s is the path alone, whatever the watcher may read', async (plural, body) => {
    const path = `${P}/${plural}`;
    const c = await watching(path);
    const made = await p.api.call('POST', path, plural === 'resourcequotas' ? p.api.adminToken : owner, body);
    expect(made.status, JSON.stringify(made.body)).toBe(201);

    expect(await notice(c, path)).toEqual({ type: 'changed', path });
    c.close();
  }, 30_000);
});
