#!/usr/bin/env node
// Bundles the `berth` CLI into dist/cli/berth.mjs (and lazily loaded chunks beside it), so that the
// command starts as plain JavaScript: no TypeScript compiler at run time, and only the modules a
// command needs are parsed (YAML, the tar packer and friends sit in chunks of their own). Beside
// it, dist/cli/exec.cjs: the quick path of exec and rsh (cli/exec-main.ts) as one CommonJS file,
// the WebSocket client in it, which Node loads in one synchronous read rather than a graph of
// ES modules.
// Plain JavaScript itself so that it runs before anything else: `npm install`'s prepare, the
// ensure step of `npm test`, and `npm run up`.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_OUTDIR = join(root, 'dist', 'cli');
/** What the bundle was made from (repository-relative paths), for the freshness check. */
const INPUTS = 'inputs.json';
/** The quick entry of exec and rsh, one file. */
const EXEC_ENTRY = 'exec.cjs';

/** Lets CommonJS dependencies inside the ESM bundle call require() for Node built-ins. */
const REQUIRE_BANNER = "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);";

/**
 * The WebSocket library requires Node's TLS, HTTPS and zlib modules as it loads, for wss:// URLs
 * and compressed messages; exec's quick entry gets each on its first use instead (a plain http://
 * API and a session without compression never load them: Node compiles eight modules fewer).
 */
const LAZY_BUILTINS = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?(tls|https|zlib)$/ }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let m; const load = () => (m ??= require('node:${args.path}')); module.exports = new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });`,
      loader: 'js',
    }));
  },
};

/** Builds the CLI into `outdir` (dist/cli unless told); returns the entry files and esbuild's metafiles. */
export async function buildCli(outdir = CLI_OUTDIR) {
  const { build } = await import('esbuild');
  // Chunk names carry content hashes: without this, every rebuild would leave the old ones behind.
  rmSync(outdir, { recursive: true, force: true });
  const common = { bundle: true, platform: 'node', target: 'node20', minify: true, sourcemap: true, sourcesContent: false, mainFields: ['module', 'main'], metafile: true, logLevel: 'warning' };
  const [result, quick] = await Promise.all([
    build({
      ...common,
      entryPoints: { berth: join(root, 'cli', 'main.ts') },
      outdir,
      splitting: true,
      format: 'esm',
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      banner: { js: REQUIRE_BANNER },
    }),
    build({ ...common, entryPoints: [join(root, 'cli', 'exec-main.ts')], outfile: join(outdir, EXEC_ENTRY), format: 'cjs', plugins: [LAZY_BUILTINS] }),
  ]);
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(quick.metafile.inputs)])]
    .map((p) => relative(root, resolve(process.cwd(), p)))
    .filter((p) => !p.includes('node_modules') && !p.startsWith('lazy-builtin:'));
  writeFileSync(join(outdir, INPUTS), JSON.stringify(['package-lock.json', ...inputs]) + '\n');
  return { entry: join(outdir, 'berth.mjs'), metafile: result.metafile, execEntry: join(outdir, EXEC_ENTRY), execMetafile: quick.metafile };
}

/**
 * Whether dist/cli holds a bundle at least as new as every source it was made from (and the lock
 * file, which pins the bundled libraries). A source that is gone counts as a change.
 */
export function cliBundleFresh(outdir = CLI_OUTDIR) {
  const entry = join(outdir, 'berth.mjs');
  const list = join(outdir, INPUTS);
  const quick = join(outdir, EXEC_ENTRY);
  if (!existsSync(entry) || !existsSync(list) || !existsSync(quick)) return false;
  const built = Math.min(statSync(entry).mtimeMs, statSync(list).mtimeMs, statSync(quick).mtimeMs);
  try {
    return JSON.parse(readFileSync(list, 'utf8')).every((p) => statSync(join(root, p)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/** Rebuilds dist/cli when a source is newer than the bundle (`npm test`, `npm run up`). */
export async function ensureCliBundle() {
  if (cliBundleFresh()) return;
  console.log('[berth] bundling the CLI into dist/cli');
  await buildCli();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { entry } = await buildCli();
  console.log(`berth CLI ${(statSync(entry).size / 1e3).toFixed(0)} kB  ${relative(root, entry)}`);
}
