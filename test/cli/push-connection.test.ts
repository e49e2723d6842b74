// The CLI's push connection against the API's real push route over DynamoDB Local and its
// stream: where it connects (and where it never sends its token), notices kept for a caller that
// was busy, paths refused, and a connection the platform dropped opened again.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushConnection, pushUrl } from '../../cli/push.ts';
import { PUSH_PATH } from '../../shared/push/topics.ts';
import { startPushApiWithProject, type PushApi } from '../push/support.ts';

describe('pushUrl', () => {
  it.each([
    ['a path on a clear-text API', 'http://127.0.0.1:7080', PUSH_PATH, 'ws://127.0.0.1:7080/api/v1/push'],
    ['a path on a TLS API', 'https://api.example.com', PUSH_PATH, 'wss://api.example.com/api/v1/push'],
    ['a path below the API\'s own base path', 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/', PUSH_PATH, 'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod/api/v1/push'],
    ['an absolute wss URL (API Gateway\'s WebSocket API)', 'https://api.example.com', 'wss://ws123.execute-api.eu-west-1.amazonaws.com/push', 'wss://ws123.execute-api.eu-west-1.amazonaws.com/push'],
    ['a clear-text ws URL from a TLS API: the token never goes in clear', 'https://api.example.com', 'ws://elsewhere.example.com/push', undefined],
    ['an https URL, taken as wss', 'https://api.example.com', 'https://push.example.com/ws', 'wss://push.example.com/ws'],
    ['another scheme', 'https://api.example.com', 'ftp://push.example.com/', undefined],
    ['no URL at all', 'https://api.example.com', 'not a url', undefined],
  ])('%s', (_, server, where, url) => {
    expect(pushUrl(server, where)).toBe(url);
  });
});

describe('a push connection', () => {
  let p: PushApi;
  let owner: string;
  const CONFIGMAPS = '/api/v1/projects/shop/configmaps';
  const SECRETS = '/api/v1/projects/shop/secrets';
  const connection = (token: string) => new PushConnection(p.url, { Authorization: `Bearer ${token}` }, 0);
  const configMap = async (name: string) => expect((await p.api.call('POST', '/api/v1/projects/shop/configmaps', owner, { metadata: { name }, spec: { data: {} } })).status).toBe(201);

  beforeAll(async () => {
    ({ p, owner } = await startPushApiWithProject('shop'));
  }, 60_000);
  afterAll(() => p?.close());

  it('says a subscription is new once, and keeps a notice that came while the caller was busy', async () => {
    const c = connection(owner);
    // A second connection on the same path tells when the platform has sent its notices.
    const witness = await p.connect(owner);
    await witness.ask({ watch: CONFIGMAPS });

    expect(await c.watch(CONFIGMAPS)).toBe(true);
    expect(await c.watch(CONFIGMAPS)).toBe(false);
    await configMap('busy');
    expect(await witness.told(CONFIGMAPS)).toBe(true);
    await sleep(200);

    // Nobody was waiting when it came: the next wait takes it at once, and only once.
    expect(await c.next([CONFIGMAPS], 0)).toBe(true);
    expect(await c.next([CONFIGMAPS], 300)).toBe(false);
    c.close();
    witness.close();
  }, 30_000);

  it('a waiting caller is woken by a notice of one of its paths', async () => {
    const c = connection(owner);
    await c.watch(CONFIGMAPS);
    await c.watch(SECRETS);
    const waited = Date.now();
    const told = c.next([SECRETS, CONFIGMAPS], 20_000);
    await configMap('wake');

    expect(await told).toBe(true);
    expect(Date.now() - waited).toBeLessThan(10_000);
    c.close();
  }, 30_000);

  it('a path the user may not read is refused, and not asked for again', async () => {
    const stranger = await p.api.user('stranger');
    const c = connection(stranger);

    await expect(c.watch(CONFIGMAPS)).rejects.toThrow(/403/);
    await expect(c.watch(CONFIGMAPS)).rejects.toThrow(/403/);
    expect((await p.push.subscriptions.watchersOf('shop')).filter((w) => w.user === 'stranger')).toEqual([]);
    c.close();
  });

  it('a connection the platform has forgotten (its two hours over) ends the wait, and the next watch opens another', async () => {
    const c = connection(owner);
    await c.watch(CONFIGMAPS);
    const [first] = (await p.push.subscriptions.watchersOf('shop')).filter((w) => w.topic === 'configmaps');
    const waiting = c.next([CONFIGMAPS], 20_000);
    await p.push.subscriptions.disconnect(first!.connection);

    // The platform answers the next request on it with 401: the socket is dropped, the wait ends.
    await expect(c.watch(SECRETS)).rejects.toThrow(/401/);
    expect(await waiting).toBe(false);
    expect(await c.watch(CONFIGMAPS)).toBe(true);
    const [second] = (await p.push.subscriptions.watchersOf('shop')).filter((w) => w.topic === 'configmaps');
    expect(second!.connection).not.toBe(first!.connection);
    const told = c.next([CONFIGMAPS], 20_000);
    await configMap('reopened');
    expect(await told).toBe(true);
    c.close();
  }, 30_000);

  it('a refused upgrade rejects the watch, and is not tried again within the pause', async () => {
    const c = new PushConnection(p.url.replace(PUSH_PATH, '/api/v1/nowhere'), { Authorization: `Bearer ${owner}` });

    await expect(c.watch(CONFIGMAPS)).rejects.toThrow(/404/);
    await expect(c.watch(CONFIGMAPS)).rejects.toThrow(/a moment ago/);
    expect(await c.next([CONFIGMAPS], 1_000)).toBe(false);
    c.close();
  });
});
