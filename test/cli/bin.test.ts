// The `berth` bin shim as a child process: the bundle in dist/cli when it is current, else the
// TypeScript sources through tsx (bundle.test.ts tests the bundle itself).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

it('runs the bundle while it is current, and the sources through tsx once one is newer or gone', async () => {
  // A checkout of its own: this bin, a bundle and a source that each say which answered.
  const dir = mkdtempSync(join(tmpdir(), 'berth-bin-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'cli'));
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  copyFileSync(bin, join(dir, 'bin', 'berth.js'));
  copyFileSync(join(bin, '..', 'package.json'), join(dir, 'bin', 'package.json'));
  symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'cli', 'main.ts'), "process.stdout.write('the sources\\n');\n");
  writeFileSync(join(dir, 'cli', 'other.ts'), '');
  writeFileSync(join(dir, 'dist', 'cli', 'berth.mjs'), "process.stdout.write('the bundle\\n');\n");
  // The quick entry of exec and rsh takes `exec … x` and leaves the rest to the bundle.
  writeFileSync(join(dir, 'dist', 'cli', 'exec.cjs'), "exports.main = async () => process.argv.at(-1) === 'x' && (process.stdout.write('the quick entry\\n'), true);\n");
  writeFileSync(join(dir, 'dist', 'cli', 'inputs.json'), JSON.stringify(['cli/main.ts', 'cli/other.ts']));
  const answer = async (...argv: string[]) => (await promisify(execFile)(process.execPath, [join(dir, 'bin', 'berth.js'), ...argv], { env: { PATH: process.env.PATH }, timeout: 20_000 })).stdout;
  const at = (path: string, seconds: number) => utimesSync(join(dir, path), seconds, seconds);
  try {
    for (const p of ['cli/main.ts', 'cli/other.ts']) at(p, 1_000);
    for (const p of ['dist/cli/berth.mjs', 'dist/cli/inputs.json', 'dist/cli/exec.cjs']) at(p, 2_000);
    expect(await answer()).toBe('the bundle\n');
    expect(await answer('exec', 'pod', '--', 'x')).toBe('the quick entry\n');
    expect(await answer('rsh', 'x')).toBe('the quick entry\n');
    expect(await answer('exec', '--help')).toBe('the bundle\n');
    expect(await answer('whoami', 'x')).toBe('the bundle\n');

    at('cli/other.ts', 3_000);
    expect(await answer()).toBe('the sources\n');
    expect(await answer('exec', 'pod', '--', 'x')).toBe('the sources\n');

    at('cli/other.ts', 1_000);
    expect(await answer()).toBe('the bundle\n');
    rmSync(join(dir, 'cli', 'other.ts'));
    expect(await answer()).toBe('the sources\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
