// The API Lambda serves the build routes on AWS: the builder images from the stack's variable,
// a binary build's upload into S3 (one exact PutObject), its log from the table; an upload over
// what a Lambda request can carry is refused by Berth with a clear 413.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../shared/auth/identity.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { httpApiEvent, invoke, useTableForLambda, type HttpHandler } from '../support/lambda.ts';

const BUCKET = 'berth-state-sourcesbucket-0a1b2c';
const PYTHON = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/s2i/python:latest';
const s3 = mockClient(S3Client);
let t: TestTable;
let handler: HttpHandler;
let token: string;

const json = (method: string, path: string, body?: unknown) =>
  httpApiEvent(method, path, { headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });

/** A binary build's upload as API Gateway hands it over: the body base64-encoded. */
const upload = (body: string) => httpApiEvent('POST', '/api/v1/projects/demo/buildconfigs/web/instantiatebinary', {
  headers: { 'content-type': 'application/x-tar', authorization: `Bearer ${token}` }, body, base64: true,
});

beforeAll(async () => {
  t = await freshTable();
  await new Identity(t.store).bootstrapAdmin('lambda-admin-pw');
  useTableForLambda(t);
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', BERTH_SOURCES_BUCKET: BUCKET, BERTH_BUILDER_IMAGES: `python=${PYTHON}` });
  ({ handler } = (await import('../../functions/api/index.ts')) as unknown as { handler: HttpHandler });
  const login = await invoke(handler, httpApiEvent('POST', '/api/v1/login', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'lambda-admin-pw' }) }));
  token = login.body.token;
  expect((await invoke(handler, json('POST', '/api/v1/projects', { metadata: { name: 'demo' } }))).status).toBe(201);
  const bc = await invoke(handler, json('POST', '/api/v1/projects/demo/buildconfigs', {
    metadata: { name: 'web' },
    spec: {
      source: { binary: {} },
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: PYTHON } } },
      output: { to: { kind: 'ImageStreamTag', name: 'web:latest' } },
    },
  }));
  expect(bc.status, JSON.stringify(bc.body)).toBe(201);
});

describe('API Lambda build routes', () => {
  it('offers the builder images the stack names', async () => {
    expect((await invoke(handler, json('GET', '/api/v1/builderimages'))).body).toEqual({ items: [{ name: 'python', image: PYTHON }] });
  });

  it('puts a binary build\'s upload into S3, encrypted, under the new build\'s name', async () => {
    s3.on(PutObjectCommand).resolves({});
    const tar = Buffer.from('pretend this is a tar archive');
    const res = await invoke(handler, upload(tar.toString()));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.metadata.name).toBe('web-1');
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([{
      Bucket: BUCKET, Key: 'sources/demo/web-1.tar', Body: tar, ContentLength: tar.length, ContentType: 'application/x-tar', ServerSideEncryption: 'AES256',
    }]);
  });

  it('refuses an upload larger than a Lambda request can carry before storing anything', async () => {
    s3.reset();
    const res = await invoke(handler, upload('x'.repeat(4 * 1024 * 1024 + 1)));
    expect(res.status).toBe(413);
    expect(res.body.message).toBe(`the source archive is larger than ${4 * 1024 * 1024} bytes`);
    expect(s3.calls()).toEqual([]);
  });

  it('reads the build\'s log from the table, with the offset to read on from', async () => {
    await new DynamoBuildLogs({ client: t.client, tableName: t.tableName }).append({ kind: 'Build', project: 'demo', name: 'web-1' }, 'Receiving source ...\n');
    const res = (await handler(json('GET', '/api/v1/projects/demo/builds/web-1/log?offset=10'), {} as Context)) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('source ...\n');
    expect(res.headers['x-log-offset']).toBe('21');
  });

  it('answers a follow of an unfinished build at once with what is there, for the client to poll on', async () => {
    const started = Date.now();
    const res = (await handler(json('GET', '/api/v1/projects/demo/builds/web-1/log?follow=true'), {} as Context)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('Receiving source ...\n');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
