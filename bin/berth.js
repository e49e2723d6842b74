#!/usr/bin/env node
// The `berth` command. Runs the bundle in dist/cli (built by `npm install`'s prepare, `npm test`
// and `npm run up`: plain JavaScript, so the command starts at once). In a checkout whose CLI
// sources changed since the bundle was made, or with no bundle at all, it runs the TypeScript
// sources through tsx instead, so a stale bundle is never what answers.
import { existsSync, readFileSync, statSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const bundle = new URL('../dist/cli/berth.mjs', import.meta.url);

if (bundleUsable()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}

/**
 * The bundle exists and, where the sources are here too (a checkout), none is newer than it: the
 * check of scripts/bundle-cli.mjs's cliBundleFresh, written out here because loading that module
 * would cost every command a module load of its own.
 */
function bundleUsable() {
  if (!existsSync(bundle)) return false;
  if (!existsSync(new URL('../cli/main.ts', import.meta.url))) return true;
  try {
    const list = new URL('../dist/cli/inputs.json', import.meta.url);
    const built = Math.min(statSync(bundle).mtimeMs, statSync(list).mtimeMs);
    return JSON.parse(readFileSync(list, 'utf8')).every((p) => statSync(new URL(`../${p}`, import.meta.url)).mtimeMs <= built);
  } catch {
    return false;
  }
}
