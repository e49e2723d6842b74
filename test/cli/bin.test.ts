// The `berth` bin shim as a child process: the bundle in dist/cli when it is current, else the
// TypeScript sources through tsx (bundle.test.ts tests the bundle itself).
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCli, type CliHarness } from './harness.ts';

const bin = fileURLToPath(new URL('../../bin/berth.js', import.meta.url));
let h: CliHarness;

beforeAll(async () => {
  h = await startCli();
  await h.login('admin');
});
afterAll(() => h.close());

// Asynchronous on purpose: the test server lives in this process and must keep answering.
const node = (...argv: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...argv], { env: { PATH: process.env.PATH, BERTH_CONFIG: h.configFile() }, timeout: 20_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

it('node bin/berth.js whoami answers from the server', async () => {
  expect(await node('whoami')).toEqual({ code: 0, stdout: 'admin\n', stderr: '' });
});

it('sets the process exit code from the run', async () => {
  expect(await node('get', 'widgets')).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: unknown kind "widgets"\nhint: /) });
  expect((await node('frobnicate')).code).toBe(2);
});

it('is executable', () => {
  expect(statSync(bin).mode & 0o111).toBe(0o111);
});
