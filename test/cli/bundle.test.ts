// The CLI as it ships: the esbuild bundle (scripts/bundle-cli.mjs) run as a child process, plain
// JavaScript, against the real API; what each command loads at start; and an npm install of the
// package giving a working `berth`.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cliBundleFresh } from '../../scripts/bundle-cli.mjs';
import { sourceTree, startBuildCli, type BuildHarness } from './build-harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let h: BuildHarness;
let outdir: string;
let entry: string;
let metafile: Metafile;
let execEntry: string;
let execMetafile: Metafile;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'berth-bundle-'));
  ({ entry, metafile, execEntry, execMetafile } = await buildCli(outdir));
  h = await startBuildCli();
  await h.login('admin');
}, 120_000);
afterAll(() => h?.close());

// Asynchronous on purpose: the test server lives in this process and must keep answering. No
// NODE_OPTIONS or loaders from vitest: the child runs the bundle as a user's node would.
const run = (file: string, argv: string[], env: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, [file, ...argv], { env: { PATH: process.env.PATH, BERTH_CONFIG: h.configFile(), ...env }, timeout: 30_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('the bundle', () => {
  it('--help exits 0 and lists the commands', async () => {
    const r = await run(entry, ['--help']);

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: berth /);
    expect(r.stdout).toMatch(/\n {2}whoami /);
    expect(r.stdout).toMatch(/\n {2}get /);
  });

  it('whoami answers from the server, as text and as YAML (a chunk loaded on demand)', async () => {
    expect(await run(entry, ['whoami'])).toEqual({ code: 0, stdout: 'admin\n', stderr: '' });
    expect(await run(entry, ['whoami', '-o', 'yaml'])).toEqual({ code: 0, stdout: 'name: admin\ngroups: []\nclusterAdmin: true\n', stderr: '' });
  });

  it('get and describe answer from the server', async () => {
    const pods = await run(entry, ['get', 'pods', '-n', 'demo']);
    expect(pods).toEqual({ code: 0, stdout: '', stderr: 'No pods found in project "demo".\n' });
    const described = await run(entry, ['describe', 'project', 'demo']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^Name: +demo\nKind: +Project\n/);
  });

  it('start-build --from-dir packs and uploads through the tar chunk', async () => {
    await h.berth(['new-build', `python~${sourceTree({ 'app.py': 'print(1)\n' })}`, '--name', 'bundled']);
    const dir = sourceTree({ 'app.py': 'print(2)\n' });

    const r = await run(entry, ['start-build', 'bundled', '--from-dir', dir, '-n', 'demo']);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe('build.build.berth.io/bundled-1 started\n');
    expect((await h.uploaded('bundled-1')).get('app.py')?.content).toBe('print(2)\n');
  });

  it('fails like the sources do: a bad kind exits 1 with error and hint, a bad command 2', async () => {
    expect(await run(entry, ['get', 'widgets'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: unknown kind "widgets"\nhint: /) });
    expect((await run(entry, ['frobnicate'])).code).toBe(2);
  });

  it('starts without zod, yaml or the tar packer: those load only in the commands that need them', () => {
    // What `berth get` loads before it asks the server: the entry and the group of get.
    const loaded = [...staticInputs(metafile, 'berth.mjs'), ...staticInputs(metafile, outputOf(metafile, 'cli/commands/objects.ts'))];

    expect(loaded).toContain('cli/program.ts');
    expect(loaded).toContain('shared/model/kind-names.ts');
    expect(loaded.filter((p) => /node_modules\/(zod|yaml|tar-stream|streamx)\//.test(p))).toEqual([]);
    expect(loaded).not.toContain('shared/model/kinds.ts');
    expect(loaded).not.toContain('shared/builds/s2i/pack.ts');
  });

  it('watches and logs -f load the WebSocket client only when they open a push connection', () => {
    const follow = [...staticInputs(metafile, outputOf(metafile, 'cli/commands/builds.ts')), ...staticInputs(metafile, outputOf(metafile, 'cli/watch.ts'))];

    expect(follow).toContain('cli/push.ts');
    expect(follow.filter((p) => /node_modules\/ws\//.test(p))).toEqual([]);
  });

  it('starts with no command group: exec loads its own group and the WebSocket client, and no other command', () => {
    expect(staticInputs(metafile, 'berth.mjs').filter((p) => p.startsWith('cli/commands/'))).toEqual([]);

    const exec = [...staticInputs(metafile, outputOf(metafile, 'cli/commands/pods.ts')), ...staticInputs(metafile, outputOf(metafile, 'cli/pod-session.ts'))];
    expect(exec.filter((p) => p.startsWith('cli/commands/'))).toEqual(['cli/commands/pods.ts']);
    expect(exec).toContain('cli/pod-session.ts');
    expect(exec.filter((p) => /node_modules\/(zod|yaml|tar-stream|streamx)\//.test(p))).toEqual([]);
  });

  it("exec's quick entry is one file with the WebSocket client, without commander, zod, yaml or any other command", () => {
    const outputs = Object.keys(execMetafile.outputs).filter((o) => !o.endsWith('.map'));
    expect(outputs.map((o) => o.split('/').pop())).toEqual(['exec.cjs']);
    const inputs = Object.keys(execMetafile.inputs).map((p) => relative(root, resolve(p)));

    expect(inputs).toContain('cli/quick-exec.ts');
    expect(inputs.some((p) => /node_modules\/ws\//.test(p))).toBe(true);
    expect(inputs.filter((p) => /node_modules\/(commander|zod|yaml|tar-stream|streamx)\//.test(p))).toEqual([]);
    expect(inputs.filter((p) => p.startsWith('cli/commands/') || p === 'cli/program.ts')).toEqual([]);
  });

  it("exec's quick entry runs a plain exec, and leaves help to the whole program", async () => {
    // Through the quick entry as bin/berth.js calls it. This API serves no streams: its 404 for the session's path is the answer.
    const caller = join(outdir, 'call-quick.cjs');
    writeFileSync(caller, `require(${JSON.stringify(execEntry)}).main().then((taken) => taken || process.stdout.write('left\\n'));\n`);
    const quick = (argv: string[]) => run(caller, argv);

    expect(await quick(['exec', 'nope-1-zzzzz', '-n', 'demo', '--', 'true'])).toEqual({ code: 1, stdout: '', stderr: 'error: no route for GET /api/v1/projects/demo/pods/nope-1-zzzzz/exec\nhint: list them with `berth get pods -n demo`\n' });
    expect(await quick(['exec', '--help'])).toEqual({ code: 0, stdout: 'left\n', stderr: '' });
  });

  it('counts as stale once a source is newer than it', () => {
    expect(cliBundleFresh(outdir)).toBe(true);
    utimesSync(entry, new Date(0), new Date(0));
    expect(cliBundleFresh(outdir)).toBe(false);
  });
});

it('npm install -g of the packed package gives a working berth, with no dependency installed', async () => {
  // The package as npm packs it (its "bin" and "files"), without its dependency lists: the bundle
  // must need none of them, and the install then works offline.
  const pkgDir = mkdtempSync(join(tmpdir(), 'berth-pkg-'));
  const prefix = mkdtempSync(join(tmpdir(), 'berth-prefix-'));
  cpSync(join(root, 'bin'), join(pkgDir, 'bin'), { recursive: true });
  cpSync(outdir, join(pkgDir, 'dist', 'cli'), { recursive: true });
  const { dependencies: _d, devDependencies: _dd, scripts: _s, ...manifest } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify(manifest, null, 2));
  const npm = (args: string[], cwd: string) => promisify(execFile)('npm', [...args, '--offline', '--no-audit', '--no-fund'], { cwd, timeout: 120_000 });
  const { stdout } = await npm(['pack', '--pack-destination', pkgDir], pkgDir);
  await npm(['install', '-g', '--prefix', prefix, join(pkgDir, stdout.trim().split('\n').pop()!)], pkgDir);

  const r = await run(join(prefix, 'bin', 'berth'), ['whoami']);

  expect(r).toEqual({ code: 0, stdout: 'admin\n', stderr: '' });
}, 180_000);

/** The file name of the output that holds `source`. */
function outputOf(meta: Metafile, source: string): string {
  const out = Object.keys(meta.outputs).find((o) => Object.keys(meta.outputs[o]!.inputs).some((i) => relative(root, resolve(i)) === source));
  if (!out) throw new Error(`no output holds ${source}`);
  return out.split('/').pop()!;
}

/** The inputs of every chunk the entry imports statically, transitively: what starts with it. */
function staticInputs(meta: Metafile, entryName: string): string[] {
  const outputs = meta.outputs;
  const start = Object.keys(outputs).find((o) => o.endsWith(`/${entryName}`))!;
  const seen = new Set<string>();
  const visit = (o: string) => {
    if (seen.has(o) || !outputs[o]) return;
    seen.add(o);
    for (const i of outputs[o].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(start);
  return [...seen].flatMap((o) => Object.keys(outputs[o]!.inputs)).map((p) => relative(root, resolve(p)));
}
