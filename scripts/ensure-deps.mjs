#!/usr/bin/env node
// Installs the npm dependencies when a clean clone has none yet (or the lock file changed since),
// so that `npm run up` and `npm test` work as the first commands on a fresh machine; then
// rebuilds the CLI bundle if its sources are newer, so the `berth` tested and run is current.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCliBundle } from './bundle-cli.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

export function ensureDeps() {
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
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
