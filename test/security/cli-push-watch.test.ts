// The CLI's waits on push connections as a stranger would try them: a tenant follows the victim's
// rollout and build log with her own token against an API served as on Lambda with push
// connections. She gets the API's refusal, opens no push connection, and the victim's project
// gets no watcher of hers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PUSH_PATH } from '../../shared/push/topics.ts';
import { startPushCli, type PushCli } from '../cli/push-harness.ts';

let h: PushCli;

beforeAll(async () => {
  h = await startPushCli(PUSH_PATH);
  await h.login('admin');
  expect((await h.berth(['new-project', 'bank'])).code).toBe(0);
  expect((await h.berth(['new-build', 'python~https://github.com/example/ledger.git'])).code).toBe(0);
  expect((await h.api.call('POST', '/api/v1/projects/bank/buildconfigs/ledger/instantiate', h.api.adminToken, {})).status).toBe(201);
  await h.api.user('mallory');
  expect((await h.login('mallory')).code).toBe(0);
  expect((await h.berth(['new-project', 'mallory-lab'], 'mallory')).code).toBe(0);
}, 60_000);
afterAll(() => h?.stop());

it.each([
  ['rollout status', ['rollout', 'status', 'dc/ledger', '-n', 'bank', '--poll-interval', '50']],
  ['get -w', ['get', 'builds', '-w', '-n', 'bank']],
  ['logs -f', ['logs', '-f', 'build/ledger-1', '-n', 'bank']],
])("a stranger's %s of the victim's project is refused, without a push connection or a watcher", async (_, argv) => {
  h.upgrades.length = 0;

  const r = await h.berth(argv, 'mallory');

  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^error: user "mallory" cannot (get|list) objects in project "bank"\n/);
  expect(h.upgrades).toEqual([]);
  expect(await h.push.subscriptions.watchersOf('bank')).toEqual([]);
});
