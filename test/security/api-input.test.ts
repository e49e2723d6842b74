// Attack: a stranger sends the API what it never issued or cannot store: a forged `continue`
// token (a key of another project's partition, a key of the wrong shape, garbage) to read past
// their own listing or break it, and objects past DynamoDB's 400 KB item limit. Each gets a 4xx
// naming the field (400 `continue`, 413 the body), never a 500, never another project's data,
// and writes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

let api: TestApi;
let stranger: string;
const token = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

beforeAll(async () => {
  api = await testApi();
  const victim = await api.user('victim');
  stranger = await api.user('stranger');
  await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' } });
  await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'evil' } });
  for (let i = 0; i < 3; i++) await api.call('POST', '/api/v1/projects/shop/configmaps', victim, { metadata: { name: `secret-${i}` }, spec: { data: { k: 'victim-data' } } });
  for (let i = 0; i < 3; i++) await api.call('POST', '/api/v1/projects/evil/configmaps', stranger, { metadata: { name: `c-${i}` }, spec: {} });
});

describe('forged continue tokens', () => {
  it.each([
    ["a key in the victim's partition", token({ pk: { S: 'P#shop' }, sk: { S: 'ConfigMap#secret-0' } })],
    ["a key of the stranger's own partition but another kind", token({ pk: { S: 'P#evil' }, sk: { S: 'RoleBinding#admin' } })],
    ['a key with an extra attribute', token({ pk: { S: 'P#evil' }, sk: { S: 'ConfigMap#c-0' }, gsi1pk: { S: 'ConfigMap' } })],
    ['a key whose values are not strings', token({ pk: { S: 1 }, sk: { N: '1' } })],
    ['a key with a missing attribute', token({ pk: { S: 'P#evil' } })],
    ['an index key', token({ pk: { S: 'P#shop' }, sk: { S: 'ConfigMap#secret-0' }, gsi1pk: { S: 'ConfigMap' }, gsi1sk: { S: 'shop/secret-0' } })],
    ['an array', token([1, 2])],
    ['garbage', '%%%not-base64%%%'],
  ])('%s: 400 naming continue, nothing of the victim', async (_, forged) => {
    const before = await snapshot(api);
    const res = await api.call('GET', `/api/v1/projects/evil/configmaps?continue=${encodeURIComponent(forged)}`, stranger);
    expect(res.status).toBe(400);
    expect(res.body.details[0].field).toBe('continue');
    expect(JSON.stringify(res.body)).not.toContain('victim-data');
    expect(await snapshot(api)).toEqual(before);
  });

  it('the tokens the API issues still page through the stranger’s own objects', async () => {
    const first = await api.call('GET', '/api/v1/projects/evil/configmaps?limit=2', stranger);
    expect(first.body.items).toHaveLength(2);
    const rest = await api.call('GET', `/api/v1/projects/evil/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`, stranger);
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((i: any) => i.metadata.name)).toEqual(['c-2']);
  });
});

describe('objects past the store’s item limit', () => {
  it('a create of 500 KB (under the 1 MiB body limit) gets 413 and writes nothing', async () => {
    const before = await snapshot(api);
    const res = await api.call('POST', '/api/v1/projects/evil/configmaps', stranger, { metadata: { name: 'huge' }, spec: { data: { blob: 'x'.repeat(500 * 1024) } } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('ObjectTooLarge');
    expect(res.body.details[0].field).toBe('(body)');
    expect(await snapshot(api)).toEqual(before);
  });

  it('so does an update that grows an object past it, and the object stays as it was', async () => {
    const made = await api.call('POST', '/api/v1/projects/evil/configmaps', stranger, { metadata: { name: 'grows' }, spec: { data: { blob: 'x'.repeat(300 * 1024) } } });
    expect(made.status).toBe(201);
    const res = await api.call('PUT', '/api/v1/projects/evil/configmaps/grows', stranger, { metadata: made.body.metadata, spec: { data: { blob: 'x'.repeat(300 * 1024), more: 'y'.repeat(150 * 1024) } } });
    expect(res.status).toBe(413);
    const stored = (await api.store.get<any>({ kind: 'ConfigMap', project: 'evil', name: 'grows' }))!;
    expect(stored.metadata.resourceVersion).toBe(made.body.metadata.resourceVersion);
  });

  it('a project created with huge annotations gets 413, not a half-made project', async () => {
    const before = await snapshot(api);
    const res = await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'fat', annotations: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`note-${i}`, 'z'.repeat(60 * 1024)])) } });
    expect(res.status).toBe(413);
    expect(await snapshot(api)).toEqual(before);
  });
});
