// Push connections on the API served by Node, over DynamoDB Local: a client with a token watches
// paths and is told when they change, through the table's stream; what it may watch, how much,
// and that a connection leaves nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { MAX_TOPICS_PER_CONNECTION } from '../../shared/push/subscriptions.ts';
import { PUSH_HEADER } from '../../shared/push/topics.ts';
import { snapshot } from '../support/dynamo.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { startPushApi, startPushApiWithProject, type PushApi } from './support.ts';

let p: PushApi;
let owner: string;
const pushRows = async () => (await snapshot(p.api)).filter((r) => r.includes('"W#'));

beforeAll(async () => {
  ({ p, owner } = await startPushApiWithProject('shop'));
}, 60_000);
afterAll(() => p?.close());

describe('push connections', () => {
  it('are refused without a valid token, and write nothing', async () => {
    await expect(p.connect(undefined)).rejects.toThrow('refused: 401');
    await expect(p.connect('berth_not-a-token')).rejects.toThrow('refused: 401');
    expect(await pushRows()).toEqual([]);
  });

  it('tell a watcher when an object of the watched kind changes, and not of another kind', async () => {
    const c = await p.connect(owner);
    expect(await c.ask({ watch: '/api/v1/projects/shop/configmaps' })).toEqual({ type: 'watching', path: '/api/v1/projects/shop/configmaps' });
    expect((await p.api.call('POST', '/api/v1/projects/shop/secrets', owner, { metadata: { name: 'key' }, spec: { data: {} } })).status).toBe(201);
    expect((await p.api.call('POST', '/api/v1/projects/shop/configmaps', owner, { metadata: { name: 'settings' }, spec: { data: { a: '1' } } })).status).toBe(201);
    expect(await c.told('/api/v1/projects/shop/configmaps')).toBe(true);
    expect(c.received.filter((m) => m.type === 'changed').map((m) => (m as { path: string }).path)).toEqual(['/api/v1/projects/shop/configmaps']);
    c.close();
  }, 30_000);

  it("tell a watcher of a build's log when lines are appended to it, with the text at its offset; a large append only says so", async () => {
    const c = await p.connect(owner);
    const path = '/api/v1/projects/shop/builds/web-1/log';
    const logs = new DynamoBuildLogs({ client: p.api.client, tableName: p.api.tableName });
    const build = { kind: 'Build', project: 'shop', name: 'web-1' };
    const notices = () => c.received.filter((m) => m.type === 'changed');
    const until = async (n: number) => {
      for (let i = 0; i < 500 && notices().length < n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    expect(await c.ask({ watch: path })).toEqual({ type: 'watching', path });
    await logs.append(build, 'Collecting flask\n');
    await until(1);
    await logs.append(build, 'Installing café ☕\n');
    await until(2);
    // Past what one notice carries: the watcher reads it through the API.
    await logs.append(build, `${'x'.repeat(20_000)}\n`);
    await until(3);
    expect(notices()).toEqual([
      { type: 'changed', path, offset: 0, text: 'Collecting flask\n' },
      { type: 'changed', path, offset: 17, text: 'Installing café ☕\n' },
      { type: 'changed', path },
    ]);
    // What a notice carried is what a read of the log at that offset gives.
    expect((await logs.read(build, 17)).text.startsWith('Installing café ☕\n')).toBe(true);
    c.close();
  }, 30_000);

  it('after unwatch, tell nothing more of that path', async () => {
    const c = await p.connect(owner);
    const path = '/api/v1/projects/shop/routes';
    await c.ask({ watch: path });
    expect(await c.ask({ unwatch: path })).toEqual({ type: 'unwatched', path });
    await p.api.call('POST', '/api/v1/projects/shop/configmaps', owner, { metadata: { name: 'after-unwatch' }, spec: { data: {} } });
    // Another connection's notice proves the change went through the stream meanwhile.
    const other = await p.connect(owner);
    await other.ask({ watch: '/api/v1/projects/shop/routes' });
    expect((await p.api.call('POST', '/api/v1/projects/shop/routes', owner, { metadata: { name: 'www' }, spec: { to: { kind: 'Service', name: 'web' } } })).status).toBe(201);
    expect(await other.told(path)).toBe(true);
    expect(c.received.some((m) => m.type === 'changed')).toBe(false);
    c.close();
    other.close();
  }, 30_000);

  it('answer a bad request with the reason, and watch nothing for it', async () => {
    const c = await p.connect(owner);
    expect(await c.ask('not json' as unknown)).toMatchObject({ type: 'error', status: 400 });
    expect(await c.ask({ watch: '/api/v1/projects' })).toMatchObject({ type: 'error', status: 400, path: '/api/v1/projects' });
    expect(await c.ask({ watch: '/api/v1/projects/shop/widgets' })).toMatchObject({ type: 'error', status: 400 });
    expect(await c.ask({ watch: '/api/v1/projects/shop/pods', also: 1 })).toMatchObject({ type: 'error', status: 400 });
    c.close();
  });

  it(`let one connection watch at most ${MAX_TOPICS_PER_CONNECTION} paths`, async () => {
    const c = await p.connect(owner);
    const paths = Array.from({ length: MAX_TOPICS_PER_CONNECTION }, (_, i) => `/api/v1/projects/shop/builds/b-${i}/log`);
    for (const path of paths) expect(await c.ask({ watch: path })).toEqual({ type: 'watching', path });
    // The same path again is no new one.
    expect(await c.ask({ watch: paths[0] })).toEqual({ type: 'watching', path: paths[0] });
    expect(await c.ask({ watch: '/api/v1/projects/shop/pods' })).toMatchObject({ type: 'error', status: 429 });
    c.close();
  }, 30_000);

  it('leave nothing in the table once closed', async () => {
    const c = await p.connect(owner);
    await c.ask({ watch: '/api/v1/projects/shop/pods' });
    expect((await pushRows()).length).toBeGreaterThan(0);
    c.close();
    for (let i = 0; i < 100 && (await pushRows()).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await pushRows()).toEqual([]);
  });

  it('forget a connection found gone when telling it', async () => {
    const c = await p.connect(owner);
    await c.ask({ watch: '/api/v1/projects/shop/services' });
    // The process lost the socket without its close being seen (what API Gateway answers with GoneException).
    const [connection] = (await pushRows()).map((r) => /"W#c\/([^"]+)"/.exec(r)?.[1]).filter(Boolean);
    p.push.sockets.remove(connection!);
    await p.push.service.notify([{ project: 'shop', topic: 'services' }]);
    expect(await pushRows()).toEqual([]);
    c.close();
  });

  it('are named on watch and build-log answers', async () => {
    const watch = await p.app.request('/api/v1/projects/shop/pods?watch=1', { headers: { Authorization: `Bearer ${owner}` } });
    expect(watch.status).toBe(200);
    expect(watch.headers.get(PUSH_HEADER)).toBe('/api/v1/push');
    const list = await p.app.request('/api/v1/projects/shop/pods', { headers: { Authorization: `Bearer ${owner}` } });
    expect(list.headers.get(PUSH_HEADER)).toBeNull();
  });
});

it("count a connection's messages against its user's API rate limit", async () => {
  const limited = await startPushApi({ perMinute: 3 });
  try {
    const user = await limited.api.user('busy');
    // The opening counts as one (the API's own limit is not set in this app: only the push service counts).
    const c = await limited.connect(user);
    const path = '/api/v1/projects/anything/pods';
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await c.ask({ unwatch: path }));
    expect(answers.slice(0, 2)).toEqual(Array(2).fill({ type: 'unwatched', path }));
    expect(answers[2]).toMatchObject({ type: 'error', status: 429, path });
    c.close();
    // Over the limit, a connection is not opened at all.
    await expect(limited.connect(user)).rejects.toThrow('refused: 429');
  } finally {
    await limited.close();
  }
});

it("a deleted project's subscriptions go with it, and its watchers' connections stop listing them", async () => {
  const c = await p.connect(owner);
  expect((await p.api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'short-lived' }, spec: {} })).status).toBe(201);
  await c.ask({ watch: '/api/v1/projects/short-lived/pods' });
  await c.ask({ watch: '/api/v1/projects/shop/pods' });
  expect((await pushRows()).filter((r) => r.includes('short-lived'))).toHaveLength(2);
  expect((await p.api.call('DELETE', '/api/v1/projects/short-lived', owner)).status).toBeLessThan(300);
  const finalizer = projectFinalizer(p.api.store, { watchers: p.push.subscriptions });
  await finalizer.reconcile({ kind: 'Project', project: '', name: 'short-lived' });
  expect((await pushRows()).filter((r) => r.includes('short-lived'))).toEqual([]);
  // The connection still watches the project that remains.
  expect(await p.push.subscriptions.watchersOf('shop')).toEqual(expect.arrayContaining([expect.objectContaining({ topic: 'pods' })]));
  c.close();
});

describe('tickets', () => {
  const ticketOf = async (token: string) => {
    const res = await p.app.request('/api/v1/push/tickets', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(201);
    return (await res.json()) as { ticket: string; expiresAt: string; url: string };
  };

  it('are handed to a token\'s holder, with the URL to open; not without a token', async () => {
    const t = await ticketOf(owner);
    expect(t.url).toBe(`/api/v1/push?ticket=${t.ticket}`);
    expect(Date.parse(t.expiresAt) - Date.now()).toBeLessThanOrEqual(61_000);
    expect((await p.app.request('/api/v1/push/tickets', { method: 'POST' })).status).toBe(401);
    // The table keeps the ticket's hash, never the ticket.
    expect((await snapshot(p.api)).some((r) => r.includes(t.ticket))).toBe(false);
  });

  it("open one connection for their user, who watches as with a token; used once, they open nothing more", async () => {
    const { ticket } = await ticketOf(owner);
    const c = await p.connect({ ticket });
    expect(await c.ask({ watch: '/api/v1/projects/shop/overview' })).toEqual({ type: 'watching', path: '/api/v1/projects/shop/overview' });
    expect((await p.api.call('POST', '/api/v1/projects/shop/services', owner, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] } })).status).toBe(201);
    expect(await c.told('/api/v1/projects/shop/overview')).toBe(true);
    c.close();
    await expect(p.connect({ ticket })).rejects.toThrow('refused: 401');
  }, 30_000);

  it('are refused when made up or expired, and are no bearer token for the API', async () => {
    await expect(p.connect({ ticket: 'A'.repeat(43) })).rejects.toThrow('refused: 401');
    await expect(p.connect({ ticket: 'not a ticket' })).rejects.toThrow('refused: 401');
    const { DynamoPushSubscriptions } = await import('../../shared/push/subscriptions.ts');
    const old = await new DynamoPushSubscriptions({ client: p.api.client, tableName: p.api.tableName, now: () => Date.now() - 61_000 }).issueTicket('owner');
    await expect(p.connect({ ticket: old.ticket })).rejects.toThrow('refused: 401');
    const { ticket } = await ticketOf(owner);
    expect((await p.app.request('/api/v1/projects/shop/pods', { headers: { Authorization: `Bearer ${ticket}` } })).status).toBe(401);
  });
});

