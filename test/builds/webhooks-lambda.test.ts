// The webhooks Lambda entry point with API Gateway HTTP API (payload v2) events against
// DynamoDB Local: a signed GitHub push starts a build; the rest of the API is not served there.
import { beforeAll, describe, expect, it } from 'vitest';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { httpApiEvent, invoke, useTableForLambda, type HttpHandler } from '../support/lambda.ts';
import { githubHeaders, githubPush } from './webhooks-fixtures.ts';

let handler: HttpHandler;
let t: TestTable;

const event = (path: string, body: string, headers: Record<string, string>, base64 = false) =>
  httpApiEvent('POST', path, { headers: { 'user-agent': 'GitHub-Hookshot/044aadd', ...headers }, body, base64 });
const call = (e: ReturnType<typeof event>) => invoke(handler, e);

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
  useTableForLambda(t);
  ({ handler } = (await import('../../functions/webhooks/index.ts')) as unknown as { handler: HttpHandler });
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
