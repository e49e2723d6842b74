// Builds Berth's Python S2I builder images: `berth/python:3.11` and the test variant
// `berth/python:3.11-test` (Debian's Flask, Django, gunicorn and waitress baked in). The base
// comes from mmdebstrap; the Dockerfile adds the scripts, user 1001 and the labels. Work is
// skipped when an image carries the same recipe hash, so repeated runs are fast.
//   npx tsx images/build.ts [--variant plain|test|all]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Docker from 'dockerode';
import { runDockerfileBuild } from '../shared/builds/docker-build.ts';
import { dockerEngine } from '../shared/builds/s2i/docker.ts';
import type { EngineClient } from '../shared/builds/s2i/ports.ts';
import { makeBase } from './base.ts';
import { withLock } from './lock.ts';
import { IMAGES, PYTHON_DIR, RECIPE_HASH_LABEL, baseHash, packagesOf, recipeHash, type Variant } from './recipe.ts';

export type { Variant } from './recipe.ts';
export { IMAGES } from './recipe.ts';

export interface EnsureOptions {
  variant: Variant;
  log: (line: string) => void;
  /** Build on this image instead of the mmdebstrap base (e.g. docker.io/library/python:3.11-slim). */
  base?: string;
}

async function upToDate(engine: EngineClient, ref: string, hash: string): Promise<boolean> {
  return (await engine.inspectImage(ref))?.labels[RECIPE_HASH_LABEL] === hash;
}

/**
 * Makes sure the builder image of `variant` exists and matches the recipe; returns its name.
 * @example const image = await ensureBuilderImages(docker, { variant: 'test', log: console.log });
 */
export async function ensureBuilderImages(docker: Docker, opts: EnsureOptions): Promise<string> {
  const engine = dockerEngine(docker);
  const { image, base } = IMAGES[opts.variant];
  const hash = await recipeHash(opts.variant);
  if (await upToDate(engine, image, hash)) return image;
  return withLock(join(tmpdir(), 'berth-builder-images.lock'), async () => {
    if (await upToDate(engine, image, hash)) return image;
    let from = opts.base;
    if (!from) {
      const bHash = await baseHash(opts.variant);
      if (!(await upToDate(engine, base, bHash))) {
        const started = Date.now();
        await makeBase(engine, base, await packagesOf(opts.variant), { [RECIPE_HASH_LABEL]: bHash }, opts.log);
        opts.log(`made ${base} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      from = base;
    }
    const previous = await engine.inspectImage(image);
    await runDockerfileBuild(engine, {
      contextDir: PYTHON_DIR,
      dockerfilePath: 'Dockerfile',
      buildArgs: [
        { name: 'BASE', value: from },
        { name: 'VARIANT', value: opts.variant },
      ],
      noCache: false,
      tag: image,
      labels: { [RECIPE_HASH_LABEL]: hash },
      log: opts.log,
    });
    // The superseded image would linger untagged; one still in use stays (the removal fails).
    if (previous) await docker.getImage(previous.id).remove().catch(() => undefined);
    return image;
  });
}

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf('--variant');
  const which = at >= 0 ? argv[at + 1] : 'plain';
  const baseAt = argv.indexOf('--base');
  const variants: Variant[] = which === 'all' ? ['plain', 'test'] : which === 'test' || which === 'plain' ? [which] : [];
  if (variants.length === 0) throw new Error('usage: npx tsx images/build.ts [--variant plain|test|all] [--base IMAGE]');
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  for (const variant of variants) {
    const image = await ensureBuilderImages(docker, { variant, log: (l) => console.log(l), base: baseAt >= 0 ? argv[baseAt + 1] : undefined });
    console.log(`${image} is up to date`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
