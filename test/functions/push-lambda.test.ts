// The push function's entry point, called with WebSocket API route events (API Gateway Developer
// Guide, "Setting up a WebSocket API integration request in API Gateway": the Lambda proxy
// integration's `$connect`, message and `$disconnect` events; a non-2xx `$connect` answer refuses
// the handshake) against DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { projectWithViewer, testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

/** The table but the users' rate counts (a refused message counts against its user, as a refused API request does). */
const stateOf = async (t: Parameters<typeof snapshot>[0]) => (await snapshot(t)).filter((r) => !r.includes('"pk":{"S":"R#'));
import { awsPush, type AwsPush } from '../support/push-aws.ts';
import { httpApiEvent, invoke, type HttpHandler } from '../support/lambda.ts';

let api: TestApi;
let push: AwsPush;
let owner: string;

const pushItems = async () => (await stateOf(api)).filter((row) => row.includes('"W#'));
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  api = await testApi();
  ({ owner } = await projectWithViewer(api, 'shop'));
  await api.call('POST', '/api/v1/projects', await api.user('other'), { metadata: { name: 'elsewhere' }, spec: {} });
  push = await awsPush(api);
});

describe('$connect', () => {
  it('opens a connection for a good token: 200, and the connection is known as its user\'s', async () => {
    expect(await push.connect('conn-good', bearer(owner))).toBe(200);
    const rows = (await pushItems()).filter((r) => r.includes('W#c/conn-good'));
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!).user).toEqual({ S: 'owner' });
  });

  it.each([
    ['lower-case header name and scheme', { authorization: 'bearer TOKEN' }],
    ['upper-case header name', { AUTHORIZATION: 'Bearer TOKEN' }],
  ])('reads the token whatever the case (%s)', async (_case, headers) => {
    const connection = `conn-case-${Object.keys(headers)[0]}`;
    const withToken = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('TOKEN', owner)]));
    expect(await push.connect(connection, withToken)).toBe(200);
    expect((await pushItems()).some((r) => r.includes(`W#c/${connection}`))).toBe(true);
  });

  it.each([
    ['no token', {}],
    ['a token that is not one', { Authorization: 'Bearer not-a-token' }],
    ['another scheme', { Authorization: `Basic ${Buffer.from('owner:password-owner').toString('base64')}` }],
  ])('refuses %s with 401 and writes nothing', async (_case, headers) => {
    const before = await stateOf(api);
    expect(await push.connect('conn-refused', headers)).toBe(401);
    expect(await stateOf(api)).toEqual(before);
  });
});

describe('$connect with a ticket (what a browser sends: `?ticket=` in the handshake\'s query string)', () => {
  it('opens one connection for the ticket\'s user; the same ticket again, or one made up, is refused with 401 and writes nothing', async () => {
    // The ticket from the API function (API Gateway HTTP API event), as the console's script asks for it.
    process.env.BERTH_PUSH_URL = 'wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/live';
    const { handler: apiHandler } = (await import('../../functions/api/index.ts')) as unknown as { handler: HttpHandler };
    const res = await invoke(apiHandler, httpApiEvent('POST', '/api/v1/push/tickets', { headers: { authorization: `Bearer ${owner}` } }));
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(`wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/live?ticket=${res.body.ticket}`);
    expect(await push.connect('conn-ticket', {}, { ticket: res.body.ticket })).toBe(200);
    const rows = (await pushItems()).filter((r) => r.includes('W#c/conn-ticket'));
    expect(JSON.parse(rows[0]!).user).toEqual({ S: 'owner' });
    const before = await stateOf(api);
    expect(await push.connect('conn-again', {}, { ticket: res.body.ticket })).toBe(401);
    expect(await push.connect('conn-made-up', {}, { ticket: 'x'.repeat(43) })).toBe(401);
    expect(await stateOf(api)).toEqual(before);
  });
});

describe('$default', () => {
  beforeAll(async () => {
    expect(await push.connect('conn-watch', bearer(owner))).toBe(200);
  });

  it('watches a list of the user\'s own project: "watching", as the route\'s response', async () => {
    const res = await push.send('conn-watch', { watch: '/api/v1/projects/shop/pods' });
    expect(res).toEqual({ status: 200, reply: { type: 'watching', path: '/api/v1/projects/shop/pods' } });
    expect((await pushItems()).filter((r) => r.includes('W#p/shop'))).toHaveLength(1);
  });

  it('refuses another user\'s project with a 403 reply, and subscribes nothing', async () => {
    const before = await stateOf(api);
    const res = await push.send('conn-watch', { watch: '/api/v1/projects/elsewhere/pods' });
    expect(res.status).toBe(200);
    expect(res.reply).toMatchObject({ type: 'error', status: 403, path: '/api/v1/projects/elsewhere/pods' });
    expect(await stateOf(api)).toEqual(before);
  });

  it.each([
    ['not JSON', 'watch pods'],
    ['a path that is no topic', { watch: '/api/v1/projects/shop/pods/web' }],
  ])('answers %s with a 400 reply naming what to send, writing nothing', async (_case, body) => {
    const before = await stateOf(api);
    const res = await push.send('conn-watch', body);
    expect(res.reply).toMatchObject({ type: 'error', status: 400 });
    expect(await stateOf(api)).toEqual(before);
  });

  it('tells a connection it does not know that it has ended (401 reply)', async () => {
    expect((await push.send('conn-never-opened', { watch: '/api/v1/projects/shop/pods' })).reply).toMatchObject({ type: 'error', status: 401 });
  });
});

describe('$disconnect', () => {
  it('removes the connection and everything it watched', async () => {
    expect(await push.connect('conn-leaving', bearer(owner))).toBe(200);
    expect(await push.watch('conn-leaving', '/api/v1/projects/shop/configmaps')).toMatchObject({ type: 'watching' });
    expect(await push.watch('conn-leaving', '/api/v1/projects/shop/builds/web-1/log')).toMatchObject({ type: 'watching' });
    expect((await pushItems()).filter((r) => r.includes('conn-leaving'))).toHaveLength(3);
    expect(await push.disconnect('conn-leaving')).toBe(200);
    expect((await pushItems()).filter((r) => r.includes('conn-leaving'))).toEqual([]);
  });
});
