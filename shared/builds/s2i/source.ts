// Reading the S2I control files of a source tree (.s2i/environment, .s2iignore, .s2i/bin/*) on
// the build host. A git checkout may hold symlinks to anywhere: only files that really lie inside
// the source directory are read, so a link to a host file cannot leak it into the build.
import { lstat, readFile, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { S2IError } from './errors.ts';
import type { EnvVar } from './types.ts';

/** The real path of `rel` under `sourceDir` when it is a regular file inside it; undefined when absent. */
export async function sourceFile(sourceDir: string, rel: string): Promise<string | undefined> {
  const path = join(sourceDir, rel);
  const st = await lstat(path).catch(() => undefined);
  if (!st) return undefined;
  const [root, real] = await Promise.all([realpath(sourceDir), realpath(path).catch(() => '')]);
  if (!real.startsWith(root + sep)) throw new S2IError('UnsafeSourceLink', `${rel} in the source is a link that leads outside the source`, `make ${rel} a regular file`);
  const target = await lstat(real);
  return target.isFile() ? real : undefined;
}

export async function readSourceFile(sourceDir: string, rel: string): Promise<string | undefined> {
  const path = await sourceFile(sourceDir, rel);
  return path === undefined ? undefined : readFile(path, 'utf8');
}

/**
 * `.s2i/environment`: KEY=VALUE lines, `#` comments; the value is everything after the first `=`.
 * Lines that are not assignments are reported through `warn` and left out.
 */
export function parseEnvironment(text: string, warn: (line: string) => void = () => undefined): EnvVar[] {
  const out: EnvVar[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      warn(`.s2i/environment: ignoring "${line}" (not NAME=VALUE)`);
      continue;
    }
    out.push({ name, value: line.slice(eq + 1) });
  }
  return out;
}

/** Later entries win, like repeated `-e` flags; the order of first appearance is kept. */
export function mergeEnv(...lists: EnvVar[][]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) for (const e of list) map.set(e.name, e.value);
  return [...map].map(([k, v]) => `${k}=${v}`);
}
