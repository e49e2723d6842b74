// Push connections' IAM, evaluated offline on the synthesised policies with
// @cloud-copilot/iam-simulate. The push service runs its real flows (open, watch, refuse, unwatch,
// tell, forget a gone connection) against DynamoDB Local through a client that records every
// request; each becomes the IAM request DynamoDB authorises (Service Authorization Reference,
// Amazon DynamoDB: the table or index ARN, dynamodb:LeadingKeys), decided under the policy of the
// function that sends it. PostToConnection is authorised as execute-api:ManageConnections on
// `arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/POST/@connections/{connection-id}`
// (API Gateway Developer Guide, "Use @connections commands in your backend service").
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { pushService } from '../../functions/wire-push.ts';
import type { PushSender } from '../../shared/push/service.ts';
import { DynamoPushSubscriptions } from '../../shared/push/subscriptions.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { projectWithViewer, testApi, type TestApi } from '../support/api.ts';
import { ACCOUNT, deployed, REGION, TABLE } from '../infra/deployed.ts';
import { concreteCondition, decide, identityPolicy, type PolicyDocument } from '../infra/iam.ts';
import { statements, synthBerth, type Statement } from '../infra/synth.ts';

const API_ID = 'a1b2c3d4e5';
const concrete = (v: unknown) => deployed.value(v).replace(/<PushApi[0-9A-F]{8}>/g, API_ID);
const connections = (method: string, id: string, stage = 'live', api = API_ID) => `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api}/${stage}/${method}/@connections/${id}`;

interface Principal {
  name: string;
  arn: string;
  policy: PolicyDocument;
}
let push: Principal;
let stream: Principal;
let apiFunction: Principal;

interface Sent {
  name: string;
  input: Record<string, any>;
}

/** A DynamoDB client on the test table's endpoint that records what it sends. */
function recordingClient(t: TestApi, sent: Sent[]): DynamoDBClient {
  const client = createDynamoClient({ endpoint: t.endpoint });
  client.middlewareStack.add((next, context) => async (args) => {
    sent.push({ name: context.commandName!, input: args.input as Record<string, any> });
    return next(args);
  }, { step: 'initialize', name: 'recordForIam' });
  return client;
}

/** The IAM requests DynamoDB authorises for one command: the table or index, and the partition keys it names. */
function iamRequestsOf({ name, input }: Sent): { action: string; resource: string; context: Record<string, string[]> }[] {
  const action = `dynamodb:${name.replace(/Command$/, '')}`;
  if (name === 'BatchGetItemCommand') {
    return Object.values(input.RequestItems as Record<string, { Keys: { pk: { S: string } }[] }>).flatMap(({ Keys }) => Keys.map((k) => ({ action, resource: TABLE, context: { 'dynamodb:LeadingKeys': [k.pk.S] } })));
  }
  const resource = input.IndexName ? `${TABLE}/index/${input.IndexName}` : TABLE;
  const key = (input.Key ?? input.Item) as Record<string, { S: string }> | undefined;
  const placeholder = key ? undefined : /\w+\s*=\s*(:\w+)/.exec(String(input.KeyConditionExpression))![1]!;
  const leading = key ? key.pk!.S : (input.ExpressionAttributeValues as Record<string, { S: string }>)[placeholder!]!.S;
  return [{ action, resource, context: { 'dynamodb:LeadingKeys': [leading] } }];
}

const verdictsOf = async (who: Principal, sent: Sent[]) => {
  const out: string[] = [];
  for (const s of sent) {
    for (const req of iamRequestsOf(s)) out.push(`${await decide(who.policy, { principal: who.arn, action: req.action, resource: req.resource, accountId: ACCOUNT, context: req.context })} ← ${req.action} ${req.context['dynamodb:LeadingKeys']}`);
  }
  return out;
};
const refused = (v: string[]) => v.filter((x) => !x.startsWith('Allowed'));

let api: TestApi;
let owner: string;

beforeAll(async () => {
  const all = statements(synthBerth().templates);
  const policyOf = (holder: RegExp) => {
    const found = all.filter((s: Statement) => s.stack === 'controlPlane' && holder.test(s.holder) && !('Principal' in s.raw));
    expect(found.length, String(holder)).toBeGreaterThan(0);
    return identityPolicy(found, concrete, concreteCondition(concrete));
  };
  push = { name: 'push function', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/PushFunctionRole/berth-push`, policy: policyOf(/^PushFunctionRoleDefaultPolicy/) };
  stream = { name: 'stream function', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/StreamFunctionRole/berth-stream`, policy: policyOf(/^(StreamFunctionRoleDefaultPolicy|ServiceDiscoveryPolicy|PushPostPolicy)/) };
  apiFunction = { name: 'API function', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ApiFunctionRole/berth-api`, policy: policyOf(/^ApiFunctionRoleDefaultPolicy/) };
  api = await testApi();
  ({ owner } = await projectWithViewer(api, 'shop'));
  await api.call('POST', '/api/v1/projects', await api.user('other'), { metadata: { name: 'elsewhere' }, spec: {} });
}, 120_000);

describe('the push function\'s table access', () => {
  it('allows every request of opening (with a token or a ticket), watching, refusing, unwatching and closing a connection', async () => {
    const sent: Sent[] = [];
    const service = pushService({ TABLE_NAME: api.tableName }, undefined, recordingClient(api, sent));
    // The ticket is the API's to write (below); the push function uses it up.
    const { ticket } = await new DynamoPushSubscriptions({ client: createDynamoClient({ endpoint: api.endpoint }), tableName: api.tableName }).issueTicket('owner');
    expect(await service.connect('c-ticket', { ticket })).toBe('owner');
    expect(sent.some((s) => s.name === 'DeleteItemCommand' && JSON.stringify(s.input).includes('"W#t/'))).toBe(true);
    await service.disconnect('c-ticket');
    await service.connect('c-1', { token: owner });
    expect(await service.receive('c-1', JSON.stringify({ watch: '/api/v1/projects/shop/pods' }))).toMatchObject({ type: 'watching' });
    expect(await service.receive('c-1', JSON.stringify({ watch: '/api/v1/projects/shop/builds/web-1/log' }))).toMatchObject({ type: 'watching' });
    expect(await service.receive('c-1', JSON.stringify({ watch: '/api/v1/projects/elsewhere/pods' }))).toMatchObject({ status: 403 });
    expect(await service.receive('c-1', JSON.stringify({ unwatch: '/api/v1/projects/shop/pods' }))).toMatchObject({ type: 'unwatched' });
    await service.disconnect('c-1');
    expect(new Set(sent.map((s) => s.name))).toEqual(new Set(['GetItemCommand', 'QueryCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']));
    // The connections and messages counted against their user's rate limit, in the rate counts' partition
    // (the first of a window written at once, the next in batches: shared/api/rate-limit.ts).
    expect(sent.filter((s) => s.name === 'UpdateItemCommand' && JSON.stringify(s.input).includes('"R#')).length).toBeGreaterThanOrEqual(1);
    const v = await verdictsOf(push, sent);
    expect(v.length).toBeGreaterThan(10);
    expect(refused(v)).toEqual([]);
  });

  it.each([
    ['a project\'s objects', 'P#shop'],
    ['tokens', 'C#Token'],
    ['credentials (passwords)', 'C#Credential'],
    ['the cluster admins\' binding', 'C#ClusterRoleBinding'],
    ['a build\'s log', 'L#shop/web-1'],
  ])('cannot write %s', async (_what, pk) => {
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
      expect(await decide(push.policy, { principal: push.arn, action, resource: TABLE, accountId: ACCOUNT, context: { 'dynamodb:LeadingKeys': [pk] } }), `${action} ${pk}`).not.toBe('Allowed');
    }
  });

  it('cannot post to connections', async () => {
    expect(await decide(push.policy, { principal: push.arn, action: 'execute-api:ManageConnections', resource: connections('POST', 'AbCdEf='), accountId: ACCOUNT })).not.toBe('Allowed');
  });
});

describe('the stream function\'s notices', () => {
  it('allows every request of telling watchers and forgetting a gone connection, and posting to them', async () => {
    const sent: Sent[] = [];
    const posted: string[] = [];
    const sender: PushSender = { send: async (connection) => (posted.push(connection), connection === 'c-gone' ? 'gone' : 'sent') };
    const opened = pushService({ TABLE_NAME: api.tableName }, undefined, createDynamoClient({ endpoint: api.endpoint }));
    for (const c of ['c-2', 'c-gone']) {
      await opened.connect(c, { token: owner });
      await opened.receive(c, JSON.stringify({ watch: '/api/v1/projects/shop/configmaps' }));
    }
    await pushService({ TABLE_NAME: api.tableName }, sender, recordingClient(api, sent)).notify([{ project: 'shop', topic: 'configmaps' }]);
    expect(posted.sort()).toEqual(['c-2', 'c-gone']);
    expect(sent.some((s) => s.name === 'DeleteItemCommand')).toBe(true);
    expect(refused(await verdictsOf(stream, sent))).toEqual([]);
    for (const c of posted) {
      expect(await decide(stream.policy, { principal: stream.arn, action: 'execute-api:ManageConnections', resource: connections('POST', c), accountId: ACCOUNT })).toBe('Allowed');
    }
  });

  it.each([
    ['close a connection (DELETE)', connections('DELETE', 'AbCdEf=')],
    ['read a connection (GET)', connections('GET', 'AbCdEf=')],
    ['post on another stage', connections('POST', 'AbCdEf=', 'test')],
    ['post through another API', connections('POST', 'AbCdEf=', 'live', 'z9y8x7w6v5')],
  ])('cannot %s', async (_what, resource) => {
    expect(await decide(stream.policy, { principal: stream.arn, action: 'execute-api:ManageConnections', resource, accountId: ACCOUNT })).not.toBe('Allowed');
  });

  it('is the only function that may post: the API function may not', async () => {
    expect(await decide(apiFunction.policy, { principal: apiFunction.arn, action: 'execute-api:ManageConnections', resource: connections('POST', 'AbCdEf='), accountId: ACCOUNT })).not.toBe('Allowed');
  });
});

describe('the API function\'s tickets', () => {
  it('may write a ticket, as the ticket route does', async () => {
    const sent: Sent[] = [];
    await new DynamoPushSubscriptions({ client: recordingClient(api, sent), tableName: api.tableName }).issueTicket('owner');
    expect(sent.map((s) => s.name)).toEqual(['PutItemCommand']);
    const v = await verdictsOf(apiFunction, sent);
    expect(v).toHaveLength(1);
    expect(refused(v)).toEqual([]);
  });
});
