// The API Lambda entry point, called with API Gateway HTTP API (payload v2) events, against
// DynamoDB Local: the same app the local server serves.
import { beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../shared/auth/identity.ts';
import { freshTable } from '../support/dynamo.ts';
import { httpApiEvent, invoke, useTableForLambda, type HttpHandler } from '../support/lambda.ts';

let handler: HttpHandler;

const event = (method: string, path: string, body?: unknown, token?: string) =>
  httpApiEvent(method, path, { headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
const call = (e: ReturnType<typeof event>) => invoke(handler, e);

beforeAll(async () => {
  const t = await freshTable();
  await new Identity(t.store).bootstrapAdmin('lambda-admin-pw');
  useTableForLambda(t);
  ({ handler } = (await import('../../functions/api/index.ts')) as unknown as { handler: HttpHandler });
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
