// Secrets and ConfigMaps through the API, on DynamoDB Local: Kubernetes' manifests as they are
// (top-level `data`, `stringData`, `type`; `binaryData`), values sealed at rest and kept sealed
// by a write that changes nothing, `view` kept out of Secrets, quotas counting both kinds, and
// bad input refused naming the field.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { specCodecs } from '../../shared/secrets/codecs.ts';
import { testApi, type TestApi } from '../support/api.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
let api: TestApi;
let owner: string, viewer: string, editor: string;

beforeAll(async () => {
  api = await testApi({ codecs: specCodecs(await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-keys-')), 'key'))) });
  owner = await api.user('owner');
  viewer = await api.user('viewer');
  editor = await api.user('editor');
  expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'shop' } })).status).toBe(201);
  for (const [role, who] of [['view', 'viewer'], ['edit', 'editor']]) {
    expect((await api.call('POST', '/api/v1/projects/shop/rolebindings', owner, { metadata: { name: role }, spec: { role, subjects: [{ kind: 'User', name: who }] } })).status).toBe(201);
  }
});

describe('Secrets', () => {
  it('takes a Kubernetes manifest: stringData is written into data as base64, and stringData is not kept', async () => {
    const res = await api.call('POST', '/api/v1/projects/shop/secrets', editor, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, type: 'Opaque', data: { user: b64('shop') }, stringData: { password: 's3cr3t-pw-1' } });
    expect(res.status).toBe(201);
    expect(res.body.apiVersion).toBe('v1');
    expect(res.body.spec).toEqual({ type: 'Opaque', data: { user: b64('shop'), password: b64('s3cr3t-pw-1') } });
  });

  it('stores every value sealed: the table never holds the value nor its base64', async () => {
    const stored = (await api.store.get<any>({ kind: 'Secret', project: 'shop', name: 'db' }))!;
    expect(Object.keys(stored.spec.data).sort()).toEqual(['password', 'user']);
    for (const v of Object.values(stored.spec.data)) expect(v).toMatch(/^sealed:v1:local:/);
    const raw = JSON.stringify(stored);
    expect(raw).not.toContain('s3cr3t-pw-1');
    expect(raw).not.toContain(b64('s3cr3t-pw-1'));
  });

  it('a PUT that sends the same values keeps their sealed form and the generation', async () => {
    const before = (await api.store.get<any>({ kind: 'Secret', project: 'shop', name: 'db' }))!;
    const read = await api.call('GET', '/api/v1/projects/shop/secrets/db', editor);
    const res = await api.call('PUT', '/api/v1/projects/shop/secrets/db', editor, { metadata: read.body.metadata, spec: read.body.spec });
    expect(res.status).toBe(200);
    const after = (await api.store.get<any>({ kind: 'Secret', project: 'shop', name: 'db' }))!;
    expect(after.spec.data).toEqual(before.spec.data);
    expect(after.metadata.generation).toBe(before.metadata.generation);
  });

  it('a PUT that changes one value reseals that one only', async () => {
    const before = (await api.store.get<any>({ kind: 'Secret', project: 'shop', name: 'db' }))!;
    const read = await api.call('GET', '/api/v1/projects/shop/secrets/db', owner);
    const res = await api.call('PUT', '/api/v1/projects/shop/secrets/db', owner, { metadata: read.body.metadata, data: read.body.spec.data, stringData: { password: 'new-pw-2' } });
    expect(res.status).toBe(200);
    expect(res.body.spec.data.password).toBe(b64('new-pw-2'));
    const after = (await api.store.get<any>({ kind: 'Secret', project: 'shop', name: 'db' }))!;
    expect(after.spec.data.user).toBe(before.spec.data.user);
    expect(after.spec.data.password).not.toBe(before.spec.data.password);
  });

  it('view can neither read nor list Secrets (403), while it reads ConfigMaps', async () => {
    expect((await api.call('GET', '/api/v1/projects/shop/secrets/db', viewer)).status).toBe(403);
    const list = await api.call('GET', '/api/v1/projects/shop/secrets', viewer);
    expect(list.status).toBe(403);
    expect(JSON.stringify(list.body)).not.toContain(b64('new-pw-2'));
    expect((await api.call('GET', '/api/v1/projects/shop/configmaps', viewer)).status).toBe(200);
    expect((await api.call('GET', '/api/v1/projects/shop/secrets', editor)).body.items).toHaveLength(1);
  });

  it.each([
    ['data that is not base64', { data: { a: 'not base64!' } }, 'spec.data.a'],
    ['a key with a slash', { stringData: { 'a/b': 'x' } }, 'stringData.a/b'],
    ['spec data that is not base64', { spec: { data: { a: '%%%' } } }, 'spec.data.a'],
  ])('refuses %s with 422 naming the field, and stores nothing', async (_, body, field) => {
    const res = await api.call('POST', '/api/v1/projects/shop/secrets', editor, { metadata: { name: 'bad' }, ...body });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field).join(' ')).toContain(field.split('.').pop());
    expect(await api.store.get({ kind: 'Secret', project: 'shop', name: 'bad' })).toBeUndefined();
  });

  it('refuses a Secret too large for one item (413) and stores nothing', async () => {
    const res = await api.call('POST', '/api/v1/projects/shop/secrets', editor, { metadata: { name: 'huge' }, stringData: { a: 'x'.repeat(500 * 1024) } });
    expect(res.status).toBe(413);
    expect(await api.store.get({ kind: 'Secret', project: 'shop', name: 'huge' })).toBeUndefined();
  });
});

describe('ConfigMaps', () => {
  it('take data and binaryData at the top level', async () => {
    const res = await api.call('POST', '/api/v1/projects/shop/configmaps', editor, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { 'app.conf': 'debug = false\n' }, binaryData: { 'logo.bin': Buffer.from([0, 1, 2, 255]).toString('base64') } });
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ data: { 'app.conf': 'debug = false\n' }, binaryData: { 'logo.bin': 'AAEC/w==' } });
  });

  it('refuses one key in both data and binaryData', async () => {
    const res = await api.call('POST', '/api/v1/projects/shop/configmaps', editor, { metadata: { name: 'both' }, data: { a: 'x' }, binaryData: { a: 'eA==' } });
    expect(res.status).toBe(422);
  });
});

describe('quotas', () => {
  it('count secrets and configmaps, and refuse one past the hard limit', async () => {
    const quota = { metadata: { name: 'objects' }, spec: { hard: { secrets: '2', configmaps: '1' } } };
    expect((await api.call('POST', '/api/v1/projects/shop/resourcequotas', api.adminToken, quota)).status).toBe(201);
    const q = await api.call('GET', '/api/v1/projects/shop/resourcequotas/objects', owner);
    expect(q.body.status.used).toMatchObject({ secrets: '1', configmaps: '1' });
    expect((await api.call('POST', '/api/v1/projects/shop/secrets', editor, { metadata: { name: 'two' }, stringData: { a: 'b' } })).status).toBe(201);
    const refused = await api.call('POST', '/api/v1/projects/shop/secrets', editor, { metadata: { name: 'three' }, stringData: { a: 'b' } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('secrets=1');
    expect((await api.call('POST', '/api/v1/projects/shop/configmaps', editor, { metadata: { name: 'more' }, data: { a: 'b' } })).status).toBe(403);
  });
});
