// `npx tsx images/builder/bundle.ts`: bundles the builder agent (agents/builder/main.ts) with
// the same esbuild options as the Lambda functions into one file, dist/main.mjs (+ its source
// map), which the Dockerfile beside this copies into the image. Run it before `docker build`.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { esbuildOptions } from '../../infra/bundling.ts';

export const BUILDER_ENTRY = 'agents/builder/main.ts';
export const BUILDER_BUNDLE = join(dirname(fileURLToPath(import.meta.url)), 'dist', 'main.mjs');

const DIRNAME_BANNER =
  "import { fileURLToPath as __berthFileURLToPath } from 'node:url'; const __dirname = __berthFileURLToPath(new URL('.', import.meta.url));";

/** Writes the bundle to `outfile` (dist/main.mjs by default) and returns its path. */
export async function bundleBuilder(outfile = BUILDER_BUNDLE): Promise<string> {
  // Native addons stay out: ssh2 (under dockerode) requires its own and cpu-features' inside
  // try/catch and does without them, and the agent talks to the Docker socket, never over SSH.
  // ssh2 also reads __dirname when it loads, which an ES module lacks: the banner defines it.
  const options = esbuildOptions(BUILDER_ENTRY, outfile);
  await build({ ...options, external: ['*.node'], banner: { js: `${options.banner?.js ?? ''} ${DIRNAME_BANNER}` } });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bundleBuilder().then(
    (file) => console.log(`builder agent ${(statSync(file).size / 1e6).toFixed(2)} MB  ${file}`),
    (err: Error) => {
      console.error(`bundling the builder agent failed: ${err.message}`);
      process.exit(1);
    },
  );
}
