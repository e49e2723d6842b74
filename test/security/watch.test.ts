// Attack surface: watches (`?watch=1` on every list route, used by `berth get -w`, `rollout
// status` and `new-app --follow`). A stranger who signed up a minute ago tries to watch another
// tenant's project through the real API (DynamoDB Local) and the CLI: refused as for a project
// that does not exist, with nothing of it shown, whatever cursor or selector they bring; and
// their own watch is never woken by, nor shows, the other tenant's changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliHarness } from '../cli/harness.ts';

let h: CliHarness;
let owner: string;
let stranger: string;
const theirs = '/api/v1/projects/victim';

beforeAll(async () => {
  h = await startCli();
  owner = await h.api.user('owner');
  stranger = await h.api.user('stranger');
  expect((await h.api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'victim' }, spec: {} })).status).toBe(201);
  expect((await h.api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'strangers-own' }, spec: {} })).status).toBe(201);
  expect((await h.api.call('POST', `${theirs}/secrets`, owner, { metadata: { name: 'db-password' }, spec: { data: { password: 'aHVudGVyMg==' } } })).status).toBe(201);
  expect((await h.api.call('POST', `${theirs}/configmaps`, owner, { metadata: { name: 'settings' }, spec: { data: { a: '1' } } })).status).toBe(201);
  await h.login('stranger');
}, 60_000);
afterAll(() => h?.close());

describe("a stranger watching another tenant's project", () => {
  it.each(['secrets', 'configmaps', 'deploymentconfigs', 'replicationcontrollers', 'pods', 'builds', 'events', 'rolebindings'])('is refused a watch of %s as for a project that does not exist', async (plural) => {
    const own = await h.api.call('GET', `${theirs}/${plural}?watch=1`, owner);
    expect(own.body.kind).toBe('WatchEventList');
    const owners = own.body.metadata.resourceVersion as string;
    for (const query of ['?watch=1', `?watch=1&timeoutSeconds=1&resourceVersion=${encodeURIComponent(owners)}`, '?watch=1&fieldSelector=metadata.name%3Ddb-password', '?watch=1&labelSelector=app%3Dx']) {
      const r = await h.api.call('GET', `${theirs}/${plural}${query}`, stranger);
      const nowhere = await h.api.call('GET', `/api/v1/projects/no-such-project/${plural}${query}`, stranger);
      expect(r.status, query).toBe(nowhere.status);
      expect([403, 404], query).toContain(r.status);
      expect(JSON.stringify(r.body).replaceAll('victim', 'P'), query).toBe(JSON.stringify(nowhere.body).replaceAll('no-such-project', 'P'));
      expect(JSON.stringify(r.body), query).not.toMatch(/db-password|settings|aHVudGVyMg/);
    }
  });

  it("is not woken by, and never sees, the other tenant's changes in a watch of their own project", async () => {
    const start = (await h.api.call('GET', '/api/v1/projects/strangers-own/configmaps?watch=1', stranger)).body;
    expect(start.items).toEqual([]);
    const began = Date.now();
    const held = h.api.call('GET', `/api/v1/projects/strangers-own/configmaps?watch=1&timeoutSeconds=2&resourceVersion=${encodeURIComponent(start.metadata.resourceVersion)}`, stranger);
    await new Promise((r) => setTimeout(r, 200));
    expect((await h.api.call('POST', `${theirs}/configmaps`, owner, { metadata: { name: 'while-watched' }, spec: { data: { b: '2' } } })).status).toBe(201);
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([]);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1_800);
  });

  it('cannot follow their rollouts or watch their objects with the CLI', async () => {
    for (const argv of [['get', 'configmaps', '-w'], ['rollout', 'status', 'dc/web']]) {
      const r = await h.berth([...argv, '-n', 'victim'], 'stranger');
      const nowhere = await h.berth([...argv, '-n', 'no-such-project'], 'stranger');
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.replaceAll('victim', 'P')).toBe(nowhere.stderr.replaceAll('no-such-project', 'P'));
    }
  });
});
