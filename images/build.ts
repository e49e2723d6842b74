// Builds Berth's images: the Python S2I builder `berth/python:3.11` and its test variant
// `berth/python:3.11-test` (Debian's Flask, Django, gunicorn, waitress and database clients baked
// in), and the database and cache images `berth/postgresql:15`, `berth/redis:7` and
// `berth/mariadb:10.11`, and the Services' proxy `berth/service-proxy:1` (HAProxy). Each base comes from mmdebstrap; each Dockerfile adds the scripts, the
// user and the labels. Work is skipped when an image carries the same recipe hash, so repeated
// runs are fast.
//   npx tsx images/build.ts [--variant plain|test|all] [--service postgresql|redis|mariadb|all] [--service-proxy]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Docker from 'dockerode';
import { runDockerfileBuild } from '../shared/builds/docker-build.ts';
import { dockerEngine } from '../shared/builds/s2i/docker.ts';
import type { EngineClient } from '../shared/builds/s2i/ports.ts';
import { makeBase } from './base.ts';
import { withLock } from './lock.ts';
import { RECIPE_HASH_LABEL, SERVICE_IMAGES, baseHash, packagesOf, pythonRecipe, recipeHash, serviceProxyRecipe, serviceRecipe, type Recipe, type ServiceImage, type Variant } from './recipe.ts';

export type { Variant } from './recipe.ts';
export { IMAGES, SERVICE_IMAGES, SERVICE_PROXY_IMAGE, type ServiceImage } from './recipe.ts';

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
 * Makes sure the image of `recipe` exists and matches it (base from mmdebstrap unless `base` is
 * given, then the Dockerfile); returns its name. Parallel processes build once (a lock file).
 * @example const image = await ensureImage(docker, serviceRecipe('redis'), { log: console.log });
 */
export async function ensureImage(docker: Docker, recipe: Recipe, opts: { log: (line: string) => void; base?: string }): Promise<string> {
  const engine = dockerEngine(docker);
  const { image, base } = recipe;
  const hash = await recipeHash(recipe);
  if (await upToDate(engine, image, hash)) return image;
  return withLock(join(tmpdir(), 'berth-builder-images.lock'), async () => {
    if (await upToDate(engine, image, hash)) return image;
    let from = opts.base;
    if (!from) {
      const bHash = await baseHash(recipe);
      if (!(await upToDate(engine, base, bHash))) {
        const started = Date.now();
        await makeBase(engine, base, await packagesOf(recipe), { [RECIPE_HASH_LABEL]: bHash }, opts.log);
        opts.log(`made ${base} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      from = base;
    }
    const previous = await engine.inspectImage(image);
    await runDockerfileBuild(engine, {
      contextDir: recipe.dir,
      dockerfilePath: recipe.dockerfile,
      buildArgs: [{ name: 'BASE', value: from }, ...Object.entries(recipe.buildArgs).map(([name, value]) => ({ name, value }))],
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

/**
 * Makes sure the builder image of `variant` exists and matches the recipe; returns its name.
 * @example const image = await ensureBuilderImages(docker, { variant: 'test', log: console.log });
 */
export function ensureBuilderImages(docker: Docker, opts: EnsureOptions): Promise<string> {
  return ensureImage(docker, pythonRecipe(opts.variant), opts);
}

/** Makes sure the database or cache image `name` is up to date; returns its name (`berth/redis:7`). */
export function ensureServiceImage(docker: Docker, name: ServiceImage, log: (line: string) => void): Promise<string> {
  return ensureImage(docker, serviceRecipe(name), { log });
}

/** Makes sure the Services' proxy image (HAProxy) is up to date; returns its name (`berth/service-proxy:1`). */
export function ensureServiceProxyImage(docker: Docker, log: (line: string) => void): Promise<string> {
  return ensureImage(docker, serviceProxyRecipe(), { log });
}

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf('--variant');
  const which = at >= 0 ? argv[at + 1] : 'plain';
  const baseAt = argv.indexOf('--base');
  if (argv.includes('--service-proxy')) {
    console.log(`${await ensureServiceProxyImage(new Docker({ socketPath: '/var/run/docker.sock' }), (l) => console.log(l))} is up to date`);
    return;
  }
  const serviceAt = argv.indexOf('--service');
  const service = serviceAt >= 0 ? argv[serviceAt + 1] : undefined;
  const known = Object.keys(SERVICE_IMAGES) as ServiceImage[];
  const services = service === 'all' ? known : known.filter((s) => s === service);
  const variants: Variant[] = which === 'all' ? ['plain', 'test'] : which === 'test' || which === 'plain' ? [which] : [];
  if (variants.length === 0 || (service && services.length === 0)) {
    throw new Error('usage: npx tsx images/build.ts [--variant plain|test|all] [--base IMAGE] | --service postgresql|redis|mariadb|all');
  }
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const log = (l: string) => console.log(l);
  if (service) {
    for (const name of services) console.log(`${await ensureServiceImage(docker, name, log)} is up to date`);
    return;
  }
  for (const variant of variants) {
    const image = await ensureBuilderImages(docker, { variant, log, base: baseAt >= 0 ? argv[baseAt + 1] : undefined });
    console.log(`${image} is up to date`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
