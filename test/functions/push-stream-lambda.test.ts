// Notices of changes on AWS: the stream handler as the stream function wires it (BERTH_PUSH_ENDPOINT)
// is fed the table's own stream records from DynamoDB Local, and tells the watching connections
// with PostToConnection (API Gateway Management API Reference, "PostToConnection": POST
// /@connections/{connectionId} on the stage's callback URL, the message as the body; 410
// GoneException for a connection that no longer exists), mocked, the exact inputs checked.
import { ApiGatewayManagementApiClient, GoneException, LimitExceededException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiGatewayPushSender } from '../../shared/aws/push-sender.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { projectWithViewer, testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';
import { awsPush, changed, PUSH_ENDPOINT, type AwsPush } from '../support/push-aws.ts';

let api: TestApi;
let push: AwsPush;
let owner: string;
let viewer: string;
let other: string;

const configMap = (project: string, name: string, token: string) =>
  api.call('POST', `/api/v1/projects/${project}/configmaps`, token, { metadata: { name }, data: { k: 'v' } }).then((r) => expect(r.status, JSON.stringify(r.body)).toBe(201));
const CONFIGMAPS = '/api/v1/projects/shop/configmaps';
/** The notice `connection` is posted when ConfigMap `name` is written: it carries the object as the list's watch answers with it. */
async function configMapTold(connection: string, name: string) {
  const { body } = await api.call('GET', `${CONFIGMAPS}?watch=1`, owner);
  const object = (body.items as { object: { metadata: { name: string } } }[]).find((e) => e.object.metadata.name === name)?.object;
  expect(object).toBeDefined();
  return changed(connection, CONFIGMAPS, { objects: [object], gone: [] });
}
const itemsOf = async (connection: string) => (await snapshot(api)).filter((row) => row.includes(connection));
// API Gateway Management API Reference, "PostToConnection", Errors: GoneException, HTTP 410.
const gone = () => new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } });

beforeAll(async () => {
  api = await testApi();
  ({ owner, viewer } = await projectWithViewer(api, 'shop'));
  other = await api.user('other');
  expect((await api.call('POST', '/api/v1/projects', other, { metadata: { name: 'elsewhere' }, spec: {} })).status).toBe(201);
  push = await awsPush(api);
  expect(await push.connect('c-owner', { Authorization: `Bearer ${owner}` })).toBe(200);
  expect(await push.watch('c-owner', '/api/v1/projects/shop/configmaps')).toMatchObject({ type: 'watching' });
  expect(await push.watch('c-owner', '/api/v1/projects/shop/builds/web-1/log')).toMatchObject({ type: 'watching' });
});

beforeEach(async () => {
  await push.streamed(); // anything a test before left unread
  push.management.resetHistory();
});

describe('the stream function tells watchers', () => {
  it('an object written in a watched project: one PostToConnection, to the stage\'s callback URL, carrying the object as the watch shows it', async () => {
    await configMap('shop', 'settings', owner);
    await push.streamed();
    expect(push.posts()).toEqual([await configMapTold('c-owner', 'settings')]);
    expect(JSON.parse(String(push.posts()[0]!.Data))).toMatchObject({ type: 'changed', path: CONFIGMAPS, objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', project: 'shop' }, spec: { data: { k: 'v' } } }], gone: [] });
    const client = push.management.commandCalls(PostToConnectionCommand)[0]!.thisValue as { config: { endpoint(): Promise<{ hostname: string; path: string; protocol: string }> } };
    expect(await client.config.endpoint()).toMatchObject({ protocol: 'https:', hostname: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com', path: '/live' });
  });

  it('a build log append (its chunk and its length, one partition): one PostToConnection naming the log', async () => {
    await new DynamoBuildLogs({ client: api.client, tableName: api.tableName }).append({ kind: 'Build', project: 'shop', name: 'web-1' }, 'Collecting flask\n');
    await push.streamed();
    expect(push.posts()).toEqual([changed('c-owner', '/api/v1/projects/shop/builds/web-1/log', { offset: 0, text: 'Collecting flask\n' })]);
  });

  it('a change in another project posts nothing', async () => {
    await configMap('elsewhere', 'theirs', other);
    await new DynamoBuildLogs({ client: api.client, tableName: api.tableName }).append({ kind: 'Build', project: 'elsewhere', name: 'web-1' }, 'theirs\n');
    await push.streamed();
    expect(push.posts()).toEqual([]);
  });

  it('a connection API Gateway says is gone is forgotten with all it watched; the others are still told', async () => {
    expect(await push.connect('c-gone', { Authorization: `Bearer ${viewer}` })).toBe(200);
    expect(await push.watch('c-gone', '/api/v1/projects/shop/configmaps')).toMatchObject({ type: 'watching' });
    await push.streamed();
    push.management.on(PostToConnectionCommand, { ConnectionId: 'c-gone' }).rejects(gone());
    await configMap('shop', 'after-gone', owner);
    await push.streamed();
    expect(push.posts()).toEqual(expect.arrayContaining([await configMapTold('c-owner', 'after-gone'), await configMapTold('c-gone', 'after-gone')]));
    expect(push.posts()).toHaveLength(2);
    expect(await itemsOf('c-gone')).toEqual([]);
    expect(await itemsOf('c-owner')).toHaveLength(3);

    push.management.resetHistory();
    await configMap('shop', 'later', owner);
    await push.streamed();
    expect(push.posts()).toEqual([await configMapTold('c-owner', 'later')]);
  });

  it('a deletion: the name in `gone`; a Secret written: the path alone', async () => {
    expect(await push.watch('c-owner', '/api/v1/projects/shop/secrets')).toMatchObject({ type: 'watching' });
    await push.streamed();
    push.management.resetHistory();
    expect((await api.call('DELETE', `${CONFIGMAPS}/settings`, owner)).status).toBe(204);
    expect((await api.call('POST', '/api/v1/projects/shop/secrets', owner, { metadata: { name: 'db' }, spec: { data: { password: 'aHVudGVyMg==' } } })).status).toBe(201);
    await push.streamed();
    const posts = push.posts();
    expect(posts).toEqual(expect.arrayContaining([changed('c-owner', CONFIGMAPS, { objects: [], gone: ['settings'] }), changed('c-owner', '/api/v1/projects/shop/secrets')]));
    expect(posts).toHaveLength(2);
  });
});

describe('ApiGatewayPushSender', () => {
  const sender = () => new ApiGatewayPushSender(new ApiGatewayManagementApiClient({ region: 'eu-west-1', endpoint: PUSH_ENDPOINT }));

  it('posts the message as JSON bytes: sent', async () => {
    push.management.on(PostToConnectionCommand, { ConnectionId: 'c-unit' }).resolves({});
    expect(await sender().send('c-unit', { type: 'changed', path: '/api/v1/projects/shop/pods' })).toBe('sent');
    expect(push.posts()).toEqual([changed('c-unit', '/api/v1/projects/shop/pods')]);
  });

  it('GoneException is "gone"; any other error is thrown', async () => {
    push.management.on(PostToConnectionCommand, { ConnectionId: 'c-old' }).rejects(gone());
    expect(await sender().send('c-old', { type: 'changed', path: '/api/v1/projects/shop/pods' })).toBe('gone');
    // API Gateway Management API Reference, "PostToConnection", Errors: LimitExceededException, HTTP 429.
    push.management.on(PostToConnectionCommand, { ConnectionId: 'c-busy' }).rejects(new LimitExceededException({ message: 'Too many requests', $metadata: { httpStatusCode: 429 } }));
    await expect(sender().send('c-busy', { type: 'changed', path: '/api/v1/projects/shop/pods' })).rejects.toBeInstanceOf(LimitExceededException);
  });
});
