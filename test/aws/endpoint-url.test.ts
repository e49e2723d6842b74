// The AWS clients Berth makes go where AWS_ENDPOINT_URL says (AWS SDKs and Tools Reference
// Guide, "Service-specific endpoints": AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), which
// is all LocalStack needs: no client is made with a fixed endpoint on AWS. A loopback server
// stands in for LocalStack and records what reaches it.
import { createServer, type Server } from 'node:http';
import { CodeartifactClient, GetRepositoryEndpointCommand } from '@aws-sdk/client-codeartifact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../shared/store/client.ts';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';

let server: Server;
const seen: { path: string; target?: string }[] = [];
let url = '';
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', target: req.headers['x-amz-target'] as string | undefined });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', req.url?.startsWith('/v1/') ? 'application/json' : 'application/x-amz-json-1.0');
      res.end(req.url?.startsWith('/v1/') ? JSON.stringify({ repositoryEndpoint: 'http://localhost/pypi/r/' }) : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });
});

afterAll(() => {
  server.close();
  for (const k of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('AWS_ENDPOINT_URL', () => {
  it("sends the platform's DynamoDB and CodeArtifact requests to the endpoint it names", async () => {
    await createDynamoClient({ region: 'us-east-1', maxAttempts: 1 }).send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } }));
    const out = await new CodeartifactClient({ region: 'us-east-1', maxAttempts: 1 }).send(new GetRepositoryEndpointCommand({ domain: 'berth', repository: 'pypi-store', format: 'pypi' }));
    expect(out.repositoryEndpoint).toBe('http://localhost/pypi/r/');
    expect(seen).toEqual([
      { path: '/', target: 'DynamoDB_20120810.GetItem' },
      { path: '/v1/repository/endpoint?domain=berth&format=pypi&repository=pypi-store', target: undefined },
    ]);
  });
});
