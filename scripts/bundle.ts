// `npm run bundle`: bundles every Lambda function with the same esbuild options the CDK app
// uses, into dist/functions/<name>/index.mjs, and prints the sizes.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '../infra/functions.ts';
import { esbuildOptions, REPO_ROOT } from '../infra/bundling.ts';

for (const fn of FUNCTIONS) {
  const outfile = join(REPO_ROOT, 'dist', 'functions', fn.name, 'index.mjs');
  await build(esbuildOptions(fn.entry, outfile));
  console.log(`${fn.name.padEnd(10)} ${(statSync(outfile).size / 1e6).toFixed(2)} MB  ${outfile}`);
}
