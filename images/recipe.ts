// Image recipes and their hashes: a directory with a Dockerfile (`ARG BASE`), files under root/
// and package lists that mmdebstrap turns into the base. An image labelled with the same hash is
// up to date. The Python builder has two variants; the database and cache images one each.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Variant = 'plain' | 'test';

export const RECIPE_HASH_LABEL = 'io.berth.recipe-hash';
const IMAGES_DIR = dirname(fileURLToPath(import.meta.url));
export const PYTHON_DIR = join(IMAGES_DIR, 'python');
/** The database and cache images: `common/` (shared scripts) and one directory per image. */
export const SERVICES_DIR = join(IMAGES_DIR, 'services');

export interface Recipe {
  /** What the recipe hash starts with: the Python variant, or the image stream name. */
  key: string;
  /** The image made, e.g. `berth/postgresql:15`. */
  image: string;
  /** The mmdebstrap base it is built on. */
  base: string;
  /** The build context. */
  dir: string;
  /** The Dockerfile, relative to `dir`. */
  dockerfile: string;
  /** The directories under `dir` whose files make the recipe hash (`.` for all). */
  sources: string[];
  /** Files under `dir` whose packages make the base. */
  packageLists: string[];
  /** Build arguments of the Dockerfile besides BASE. */
  buildArgs: Record<string, string>;
}

export const IMAGES: Record<Variant, { image: string; base: string; packageLists: string[] }> = {
  plain: { image: 'berth/python:3.11', base: 'berth/python-base:3.11', packageLists: ['packages/base.txt'] },
  test: { image: 'berth/python:3.11-test', base: 'berth/python-base:3.11-test', packageLists: ['packages/base.txt', 'packages/test.txt'] },
};

/** The recipe of a Python builder variant. */
export function pythonRecipe(variant: Variant): Recipe {
  return { ...IMAGES[variant], key: variant, dir: PYTHON_DIR, dockerfile: 'Dockerfile', sources: ['.'], buildArgs: { VARIANT: variant } };
}

/** The database and cache images of the shared `openshift` project, by image stream. */
export type ServiceImage = 'postgresql' | 'redis' | 'mariadb';

export const SERVICE_IMAGES: Record<ServiceImage, { version: string; port: number; description: string }> = {
  postgresql: { version: '15', port: 5432, description: 'PostgreSQL 15 (Debian bookworm), sclorg contract: POSTGRESQL_USER, POSTGRESQL_PASSWORD, POSTGRESQL_DATABASE, POSTGRESQL_ADMIN_PASSWORD; data in /var/lib/pgsql/data' },
  redis: { version: '7', port: 6379, description: 'Redis 7 (Debian bookworm), sclorg contract: REDIS_PASSWORD; append-only data in /var/lib/redis/data' },
  mariadb: { version: '10.11', port: 3306, description: 'MariaDB 10.11 (Debian bookworm), sclorg contract: MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE, MYSQL_ROOT_PASSWORD; data in /var/lib/mysql/data' },
};

export function serviceRecipe(name: ServiceImage): Recipe {
  const { version } = SERVICE_IMAGES[name];
  return {
    key: name,
    image: `berth/${name}:${version}`,
    base: `berth/${name}-base:${version}`,
    dir: SERVICES_DIR,
    dockerfile: `${name}/Dockerfile`,
    sources: ['common', name],
    packageLists: [`${name}/packages/base.txt`],
    buildArgs: {},
  };
}

/** The image of the Services' proxies (HAProxy), made like the others from Debian packages. */
export const SERVICE_PROXY_IMAGE = 'berth/service-proxy:1';

/** The recipe of the Service proxy image (images/service-proxy). */
export function serviceProxyRecipe(): Recipe {
  return {
    key: 'service-proxy',
    image: SERVICE_PROXY_IMAGE,
    base: 'berth/service-proxy-base:1',
    dir: join(IMAGES_DIR, 'service-proxy'),
    dockerfile: 'Dockerfile',
    sources: ['.'],
    packageLists: ['packages/base.txt'],
    buildArgs: {},
  };
}

/** The Debian suite of the bases; Python 3.11, PostgreSQL 15, Redis 7 and MariaDB 10.11 are bookworm's. */
export const SUITE = 'bookworm';

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out.sort();
}

const recipeOf = (r: Recipe | Variant): Recipe => (typeof r === 'string' ? pythonRecipe(r) : r);

/** The packages of a recipe (or Python variant), from its package lists (`#` comments allowed). */
export async function packagesOf(recipe: Recipe | Variant): Promise<string[]> {
  const r = recipeOf(recipe);
  const lists = await Promise.all(r.packageLists.map((f) => readFile(join(r.dir, f), 'utf8')));
  return lists.flatMap((t) => t.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean));
}

/** Hash of the base: suite and packages. */
export async function baseHash(recipe: Recipe | Variant): Promise<string> {
  return createHash('sha256').update(`${SUITE}\n${(await packagesOf(recipe)).join('\n')}`).digest('hex').slice(0, 16);
}

/** Hash of the whole recipe: its key, every file (path, exec bit, content) and the base hash. */
export async function recipeHash(recipe: Recipe | Variant): Promise<string> {
  const r = recipeOf(recipe);
  const h = createHash('sha256').update(`${r.key}\n${await baseHash(r)}\n`);
  for (const f of (await Promise.all(r.sources.map((s) => files(join(r.dir, s))))).flat()) {
    const exec = ((await stat(f)).mode & 0o111) !== 0;
    h.update(`${relative(r.dir, f)} ${exec ? 'x' : '-'}\n`).update(await readFile(f));
  }
  return h.digest('hex').slice(0, 16);
}
