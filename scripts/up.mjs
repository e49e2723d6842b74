#!/usr/bin/env node
// `npm run up`: makes sure the npm dependencies are installed, then runs the all-in-one platform
// (agents/up/main.ts), passing Ctrl-C and SIGTERM on so that it stops every child process.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDeps } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureDeps();
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'agents/up/main.ts')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
