// `berth get KIND -w` (the bundled CLI, a process of its own, as a user runs it): after the
// first table it prints objects as they are added, changed and deleted through the API.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;

beforeAll(async () => {
  h = await startCli();
  await h.login('admin');
  expect((await h.berth(['new-project', 'watched'])).code).toBe(0);
  expect((await h.api.call('POST', '/api/v1/projects/watched/configmaps', h.api.adminToken, { metadata: { name: 'first' }, spec: { data: { a: '1' } } })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it('prints the list, then additions, changes and deletions as they happen', async () => {
  const child = spawn(process.execPath, ['dist/cli/berth.mjs', 'get', 'configmaps', '-w', '--poll-interval', '200', '-n', 'watched'], { env: { ...process.env, BERTH_CONFIG: h.configFile('admin') } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const until = async (what: RegExp) => {
    for (let i = 0; i < 100 && !what.test(out); i++) await sleep(100);
    expect(out).toMatch(what);
  };
  try {
    await until(/^NAME .*\nfirst /m);
    expect((await h.api.call('POST', '/api/v1/projects/watched/configmaps', h.api.adminToken, { metadata: { name: 'second' }, spec: { data: { b: '2' } } })).status).toBe(201);
    await until(/^second /m);
    await h.api.call('DELETE', '/api/v1/projects/watched/configmaps/first', h.api.adminToken);
    await until(/^first +\(deleted\)$/m);
    // The header came once; "first" was listed once and deleted once; nothing else was printed.
    expect(out.match(/^NAME/gm)).toHaveLength(1);
    expect(out.trim().split('\n')).toHaveLength(4);
  } finally {
    child.kill();
  }
});

it('-w takes one kind and no -o', async () => {
  const r = await h.berth(['get', 'configmaps', '-w', '-o', 'json', '-n', 'watched']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('-w watches one kind');
});
