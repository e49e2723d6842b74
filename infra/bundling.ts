// How every piece of Berth that runs on AWS is bundled: one set of esbuild options, used by
// the Lambda functions (through NodejsFunction's local esbuild, never Docker), by the router
// agent artefact, and by `npm run bench -- bundles`, so the benchmark measures what ships.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The repository root (infra/ sits directly below it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Lambda's nodejs22.x runtime; the router hosts run Node 22 as well. */
export const NODE_TARGET = 'node22';

/** Lets CommonJS dependencies inside an ESM bundle call require() for Node built-ins. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);";

/** The shared settings. Everything is bundled, the AWS SDK too: its version is ours, not the runtime's. */
export const BUNDLE = {
  target: NODE_TARGET,
  minify: true,
  sourceMap: true,
  // Stack traces need the mappings, not the sources: the map is a third the size and
  // NODE_OPTIONS=--enable-source-maps parses it at every cold start.
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
} as const;

/** The files the web console reads at run time (console/assets.ts), copied into console-assets/ beside the bundle. */
export const CONSOLE_ASSET_SOURCES = ['console/client/console.js', 'console/client/console.css', 'node_modules/htmx.org/dist/htmx.min.js'] as const;

/**
 * Bundling for NodejsFunction (output index.mjs, handler index.handler). Only a function that
 * serves the web console (`console: true`, the API) gets its script and stylesheet; the others
 * neither import console/ nor carry its files.
 */
export function lambdaBundling(opts: { console?: boolean } = {}): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: BUNDLE.target,
    minify: BUNDLE.minify,
    sourceMap: BUNDLE.sourceMap,
    sourcesContent: BUNDLE.sourcesContent,
    mainFields: [...BUNDLE.mainFields],
    banner: BUNDLE.banner,
    bundleAwsSDK: true,
    externalModules: [],
    forceDockerBundling: false,
    ...(opts.console
      ? {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => [
              `mkdir -p "${outputDir}/console-assets"`,
              `cp ${CONSOLE_ASSET_SOURCES.map((f) => `"${inputDir}/${f}"`).join(' ')} "${outputDir}/console-assets/"`,
            ],
          },
        }
      : {}),
  };
}

/** The same bundle through esbuild's API: `entry` (relative to the repository) to `outfile`. */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE.target,
    minify: BUNDLE.minify,
    sourcemap: BUNDLE.sourceMap,
    sourcesContent: BUNDLE.sourcesContent,
    mainFields: [...BUNDLE.mainFields],
    banner: { js: BUNDLE.banner },
    logLevel: 'warning',
  };
}
