// The name of an uploaded source (instantiatebinary?name=…) is kept on the Build for the image's
// source label; a name that is a path or carries control characters is a 422 naming it, and
// nothing is written.
import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';
import { makeTar } from '../builds/tar-fixtures.ts';

let api: TestApi;
let token: string;
const upload = `/api/v1/projects/uploads/buildconfigs/site/instantiatebinary`;

async function send(query: string) {
  const body = await makeTar([{ name: 'index.html', body: 'hi' }]);
  const res = await api.app.request(`${upload}${query}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-tar', 'Content-Length': String(body.length) }, body });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  api = await testApi();
  token = await api.user('dev');
  expect((await api.call('POST', '/api/v1/projects', token, { metadata: { name: 'uploads' } })).status).toBe(201);
  const bc = { source: { binary: {} }, strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'python:3.11' } } }, output: { to: { kind: 'ImageStreamTag', name: 'site:latest' } } };
  expect((await api.call('POST', '/api/v1/projects/uploads/buildconfigs', token, { metadata: { name: 'site' }, spec: bc })).status).toBe(201);
});

describe('instantiatebinary?name=', () => {
  it('keeps the name on the Build', async () => {
    const res = await send(`?name=${encodeURIComponent('my site.tar.gz')}`);
    expect(res.status).toBe(201);
    expect(res.body.metadata.annotations['berth.io/source-archive']).toBe('my site.tar.gz');
  });

  it.each([['a/b'], ['..%2F..%2Fetc'], ['bad%0Aname'], ['']])('refuses %j with a 422 naming it, writing nothing', async (name) => {
    const before = await snapshot(api);
    const res = await send(`?name=${name}`);
    expect(res.status).toBe(422);
    expect(new Set(res.body.details.map((d: { field: string }) => d.field))).toEqual(new Set(['query.name']));
    expect(await snapshot(api)).toEqual(before);
  });
});
