// The webhooks Lambda entry point with API Gateway HTTP API (payload v2) events against
// DynamoDB Local: a signed GitHub push starts a build; the rest of the API is not served there.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { githubHeaders, githubPush } from './webhooks-fixtures.ts';

type Handler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;
let handler: Handler;
let t: TestTable;

function event(path: string, body: string, headers: Record<string, string>, base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries({ host: 'hooks.example.com', ...headers }).map(([k, v]) => [k.toLowerCase(), v])),
    requestContext: {
      accountId: '123456789012',
      apiId: 'hooks',
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '140.82.115.1', userAgent: 'GitHub-Hookshot/044aadd' },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

const call = async (e: APIGatewayProxyEventV2) => {
  const res = (await handler(e, {} as Context)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'lam', project: '' }, spec: {}, status: { phase: 'Active' } });
  await t.store.create({
    kind: 'BuildConfig',
    metadata: { name: 'web', project: 'lam' },
    spec: {
      source: { git: { uri: 'https://github.com/Codertocat/Hello-World.git', ref: 'main' } },
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'berth/python' }, env: [], incremental: false } },
      output: { to: { kind: 'ImageStreamTag', name: 'hello:latest' } },
      triggers: [{ type: 'GitHub', github: { secret: 'lambda-gh-secret' } }],
    },
  });
  process.env.TABLE_NAME = t.tableName;
  process.env.DYNAMODB_ENDPOINT = t.endpoint;
  process.env.LOG_LEVEL = 'silent';
  process.env.BERTH_SECRETS_KEY_FILE = join(mkdtempSync(join(tmpdir(), 'berth-key-')), 'secrets.key');
  ({ handler } = (await import('../../functions/webhooks/index.ts')) as unknown as { handler: Handler });
});

describe('webhooks Lambda handler', () => {
  it('a signed GitHub push, plain or base64-encoded by API Gateway, starts a build', async () => {
    const body = JSON.stringify(githubPush('main'));
    const plain = await call(event('/webhooks/lam/web/github/lambda-gh-secret', body, githubHeaders('push', body, 'lambda-gh-secret')));
    expect(plain).toMatchObject({ status: 200, body: { status: 'triggered', build: 'web-1' } });
    const encoded = await call(event('/webhooks/lam/web/github/lambda-gh-secret', body, githubHeaders('push', body, 'lambda-gh-secret'), true));
    expect(encoded).toMatchObject({ status: 200, body: { status: 'triggered', build: 'web-2' } });
    expect((await t.store.list('Build', 'lam')).items.map((b) => b.metadata.name)).toEqual(['web-1', 'web-2']);
  });

  it('a wrong signature gets 403; API routes are not served', async () => {
    const body = JSON.stringify(githubPush('main'));
    const wrong = await call(event('/webhooks/lam/web/github/lambda-gh-secret', body, githubHeaders('push', body, 'not-the-secret')));
    expect(wrong.status).toBe(403);
    const api = await call(event('/api/v1/login', '{}', { 'content-type': 'application/json' }));
    expect(api.status).toBe(404);
  });
});
