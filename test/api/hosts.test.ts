// The hosts routes: cluster-admins read the fleet's hosts (capacity, promised room, readiness);
// other users get 403 and learn nothing (the authorisation walk covers every route too).
import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';

let t: TestApi;

beforeAll(async () => {
  t = await testApi();
  for (const name of ['h1', 'h2']) {
    const h = await t.store.create({ kind: 'Host', metadata: { name, project: '' }, spec: { provider: 'docker', endpoint: '/var/run/docker.sock', address: '127.0.0.1', capacity: { cpu: '2', memory: '4Gi' }, unschedulable: false } });
    await t.store.updateStatus({ ...h, status: { allocatable: { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30 }, requested: { cpuMilli: 250, memoryBytes: 2 ** 28 }, ready: name === 'h1', conditions: [] } });
  }
});

describe('hosts', () => {
  it('a cluster-admin lists and reads hosts with their capacity and readiness', async () => {
    const list = await t.call('GET', '/api/v1/hosts', t.adminToken);
    expect(list.status).toBe(200);
    expect(list.body.items.map((h: any) => [h.metadata.name, h.status.ready])).toEqual([['h1', true], ['h2', false]]);
    const one = await t.call('GET', '/api/v1/hosts/h1', t.adminToken);
    expect(one.body).toMatchObject({ kind: 'Host', spec: { capacity: { cpu: '2', memory: '4Gi' } }, status: { requested: { cpuMilli: 250 } } });
  });

  it('a missing host is 404; a user who is not a cluster-admin gets 403', async () => {
    expect((await t.call('GET', '/api/v1/hosts/nope', t.adminToken)).status).toBe(404);
    const alice = await t.user('alice');
    expect((await t.call('GET', '/api/v1/hosts', alice)).status).toBe(403);
    expect((await t.call('GET', '/api/v1/hosts/h1', alice)).status).toBe(403);
  });
});
