#!/usr/bin/env node
// The `berth` command. Runs the bundle in dist/cli (built by `npm install`'s prepare, `npm test`
// and `npm run up`: plain JavaScript, so the command starts at once). In a checkout whose CLI
// sources changed since the bundle was made, or with no bundle at all, it runs the TypeScript
// sources through tsx instead, so a stale bundle is never what answers. exec and rsh first try
// their quick entry (dist/cli/exec.cjs, one CommonJS file), which runs their plain forms and
// leaves every other form (help, mistakes) to the whole program.
// CommonJS (bin/package.json), unlike the rest of the repository: Node starts a CommonJS main
// without setting up its ES module loader, which exec's quick entry never needs; the bundle of
// the whole program, an ES module, loads through import() when a command needs it.
'use strict';
const { existsSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'cli', 'berth.mjs');
const quickEntry = join(root, 'dist', 'cli', 'exec.cjs');

async function main() {
  if (!bundleUsable()) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(join(root, 'cli', 'main.ts')).href);
    return;
  }
  const first = process.argv[2];
  if ((first === 'exec' || first === 'rsh') && (await require(quickEntry).main())) return;
  await import(pathToFileURL(bundle).href);
}

/**
 * The bundle exists and, where the sources are here too (a checkout), none is newer than it: the
 * check of scripts/bundle-cli.mjs's cliBundleFresh, written out here because loading that module
 * would cost every command a module load of its own.
 */
function bundleUsable() {
  if (!existsSync(bundle) || !existsSync(quickEntry)) return false;
  if (!existsSync(join(root, 'cli', 'main.ts'))) return true;
  try {
    const list = join(root, 'dist', 'cli', 'inputs.json');
    const built = Math.min(statSync(bundle).mtimeMs, statSync(list).mtimeMs, statSync(quickEntry).mtimeMs);
    return JSON.parse(readFileSync(list, 'utf8')).every((p) => statSync(join(root, p)).mtimeMs <= built);
  } catch {
    return false;
  }
}

// A failure here (not a command's: those are printed by the run) ends the process as an unhandled rejection does, with exit code 1.
main();
