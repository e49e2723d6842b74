// RouterObjectStore against DynamoDB Local: a router host reads a Route or Service by its
// byKind index key — the only way its role lets it read one — and never a project's partition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { RouterObjectStore } from '../../shared/routing/router-store.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

let t: TestTable;
let router: RouterObjectStore;
const sent: { name: string; input: QueryCommandInput }[] = [];

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} } as never);
  await t.store.create({ kind: 'Route', metadata: { name: 'web', project: 'shop' }, spec: { host: 'web-shop.apps.example.com', to: { kind: 'Service', name: 'web' } } } as never);
  await t.store.create({ kind: 'Service', metadata: { name: 'web', project: 'shop' }, spec: { ports: [{ port: 8080 }] } } as never);
  await t.store.create({ kind: 'Secret', metadata: { name: 'web', project: 'shop' }, spec: {} } as never);
  const send = t.client.send.bind(t.client);
  const recording = Object.create(t.client) as typeof t.client;
  recording.send = ((command: { constructor: { name: string }; input: QueryCommandInput }) => {
    sent.push({ name: command.constructor.name, input: command.input });
    return send(command as never);
  }) as typeof t.client.send;
  router = new RouterObjectStore({ client: recording, tableName: t.tableName });
});

afterAll(() => t.client.destroy());

describe('RouterObjectStore', () => {
  it('reads a Route and a Service through the byKind index, by kind and project/name', async () => {
    sent.length = 0;
    expect((await router.get({ kind: 'Route', project: 'shop', name: 'web' }))?.metadata).toMatchObject({ name: 'web', project: 'shop' });
    expect((await router.get({ kind: 'Service', project: 'shop', name: 'web' }))?.kind).toBe('Service');
    expect(sent.map((s) => [s.name, s.input.IndexName, s.input.ExpressionAttributeValues])).toEqual([
      ['QueryCommand', 'byKind', { ':pk': { S: 'Route' }, ':sk': { S: 'shop/web' } }],
      ['QueryCommand', 'byKind', { ':pk': { S: 'Service' }, ':sk': { S: 'shop/web' } }],
    ]);
  });

  it('a missing Route is undefined, and a Route of the same name in another project is not it', async () => {
    expect(await router.get({ kind: 'Route', project: 'shop', name: 'nope' })).toBeUndefined();
    expect(await router.get({ kind: 'Route', project: 'sho', name: 'p/web' })).toBeUndefined();
  });

  it('refuses to read any other kind (a Secret) and sends nothing for it', async () => {
    sent.length = 0;
    await expect(router.get({ kind: 'Secret', project: 'shop', name: 'web' })).rejects.toThrow(/only Route and Service/);
    expect(sent).toEqual([]);
  });
});
