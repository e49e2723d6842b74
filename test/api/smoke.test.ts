import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

describe('api basics', () => {
  it('serves healthz and openapi', async () => {
    expect((await api.call('GET', '/healthz')).body).toMatchObject({ status: 'ok' });
    const doc = await api.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/projects/{project}/configmaps/{name}');
  });

  it('creates a project and objects in it', async () => {
    const alice = await api.user('alice');
    const p = await api.call('POST', '/api/v1/projects', alice, { metadata: { name: 'demo' }, spec: { displayName: 'Demo' } });
    expect(p.status).toBe(201);
    const cm = await api.call('POST', '/api/v1/projects/demo/configmaps', alice, { metadata: { name: 'settings' }, spec: { data: { a: '1' } } });
    expect(cm.status).toBe(201);
    const got = await api.call('GET', '/api/v1/projects/demo/configmaps/settings', alice);
    expect(got.body.spec).toEqual({ data: { a: '1' } });
    const list = await api.call('GET', '/api/v1/projects', alice);
    expect(list.body.items.map((i: any) => i.metadata.name)).toEqual(['demo']);
    const bad = await api.call('POST', '/api/v1/projects/demo/configmaps', alice, { metadata: { name: 'Bad_Name' }, spec: {}, extra: 1 });
    expect(bad.status).toBe(422);
    console.log(JSON.stringify(bad.body));
  });
});
