// The builder image recipe and its hash: the Dockerfile, the S2I scripts, the files under root/
// and the package lists. An image labelled with the same hash is up to date.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Variant = 'plain' | 'test';

export const RECIPE_HASH_LABEL = 'io.berth.recipe-hash';
export const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), 'python');

export const IMAGES: Record<Variant, { image: string; base: string; packageLists: string[] }> = {
  plain: { image: 'berth/python:3.11', base: 'berth/python-base:3.11', packageLists: ['base.txt'] },
  test: { image: 'berth/python:3.11-test', base: 'berth/python-base:3.11-test', packageLists: ['base.txt', 'test.txt'] },
};

/** The Debian suite of the base; Python 3.11 is bookworm's. */
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

/** The packages of a variant, from its package lists (`#` comments allowed). */
export async function packagesOf(variant: Variant): Promise<string[]> {
  const lists = await Promise.all(IMAGES[variant].packageLists.map((f) => readFile(join(PYTHON_DIR, 'packages', f), 'utf8')));
  return lists.flatMap((t) => t.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean));
}

/** Hash of the base: suite and packages. */
export async function baseHash(variant: Variant): Promise<string> {
  return createHash('sha256').update(`${SUITE}\n${(await packagesOf(variant)).join('\n')}`).digest('hex').slice(0, 16);
}

/** Hash of the whole recipe of a variant: every file (path, exec bit, content) and the base hash. */
export async function recipeHash(variant: Variant): Promise<string> {
  const h = createHash('sha256').update(`${variant}\n${await baseHash(variant)}\n`);
  for (const f of await files(PYTHON_DIR)) {
    const exec = ((await stat(f)).mode & 0o111) !== 0;
    h.update(`${relative(PYTHON_DIR, f)} ${exec ? 'x' : '-'}\n`).update(await readFile(f));
  }
  return h.digest('hex').slice(0, 16);
}
