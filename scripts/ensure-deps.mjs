#!/usr/bin/env node
// Installs the npm dependencies when a clean clone has none yet (or the lock file changed since),
// so that `npm run up` and `npm test` work as the first commands on a fresh machine; then
// rebuilds the CLI bundle if its sources are newer, so the `berth` tested and run is current.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCliBundle } from './bundle-cli.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

export function ensureDeps() {
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // npm ci empties node_modules before replacing it: through a link to an install shared by other
  // checkouts, that would empty theirs too. Say so instead, and leave it to whoever owns it.
  if (existsSync(join(root, 'node_modules')) && lstatSync(join(root, 'node_modules')).isSymbolicLink()) {
    console.warn('[berth] node_modules is a link to another install, older than package-lock.json; not running npm ci over it');
    return;
  }
  console.log('[berth] installing npm dependencies (npm ci)');
  const out = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (out.status !== 0) {
    console.error('[berth] npm ci failed; check the network to the npm registry and run it again');
    process.exit(out.status ?? 1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureDeps();
  await ensureCliBundle();
}
