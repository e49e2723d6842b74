// `npm run bundle`: bundles every Lambda function with the same esbuild options the CDK app
// uses, into dist/functions/<name>/index.mjs (the API's with the console's files in console-assets/),
// and prints the sizes.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FUNCTIONS } from '../infra/functions.ts';
import { CONSOLE_ASSET_SOURCES, esbuildOptions, REPO_ROOT } from '../infra/bundling.ts';

for (const fn of FUNCTIONS) {
  const outfile = join(REPO_ROOT, 'dist', 'functions', fn.name, 'index.mjs');
  await build(esbuildOptions(fn.entry, outfile));
  if (fn.console) {
    // As the CDK app does (infra/bundling.ts): the console's files beside the bundle that serves it.
    const assets = join(dirname(outfile), 'console-assets');
    mkdirSync(assets, { recursive: true });
    for (const source of CONSOLE_ASSET_SOURCES) copyFileSync(join(REPO_ROOT, source), join(assets, basename(source)));
  }
  console.log(`${fn.name.padEnd(10)} ${(statSync(outfile).size / 1e6).toFixed(2)} MB  ${outfile}`);
}
