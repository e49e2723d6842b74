// The API Lambda entry point, called with API Gateway HTTP API (payload v2) events, against
// DynamoDB Local: the same app the local server serves.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../shared/auth/identity.ts';
import { freshTable } from '../support/dynamo.ts';

type Handler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;
let handler: Handler;

function event(method: string, path: string, body?: unknown, token?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'api.example.com', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

const call = async (e: APIGatewayProxyEventV2) => {
  const res = (await handler(e, {} as Context)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
};

beforeAll(async () => {
  const t = await freshTable();
  await new Identity(t.store).bootstrapAdmin('lambda-admin-pw');
  process.env.TABLE_NAME = t.tableName;
  process.env.DYNAMODB_ENDPOINT = t.endpoint;
  process.env.LOG_LEVEL = 'silent';
  process.env.BERTH_SECRETS_KEY_FILE = join(mkdtempSync(join(tmpdir(), 'berth-key-')), 'secrets.key');
  ({ handler } = (await import('../../functions/api/index.ts')) as unknown as { handler: Handler });
});

describe('API Lambda handler', () => {
  it('answers healthz, login and a project create from API Gateway events', async () => {
    expect((await call(event('GET', '/healthz'))).body.status).toBe('ok');
    const login = await call(event('POST', '/api/v1/login', { username: 'admin', password: 'lambda-admin-pw' }));
    expect(login.status).toBe(200);
    const created = await call(event('POST', '/api/v1/projects', { metadata: { name: 'from-lambda' } }, login.body.token));
    expect(created.status).toBe(201);
    expect(created.body.metadata.name).toBe('from-lambda');
    const denied = await call(event('GET', '/api/v1/projects/from-lambda'));
    expect(denied.status).toBe(401);
  });
});
