#!/usr/bin/env node
// `npm run up`: makes sure the npm dependencies are installed, then runs the all-in-one platform
// (agents/up/main.ts) with a current CLI bundle, passing Ctrl-C and SIGTERM on so that it stops every child process.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCliBundle } from './bundle-cli.mjs';
import { ensureDeps } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureDeps();
await ensureCliBundle();
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'agents/up/main.ts')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
