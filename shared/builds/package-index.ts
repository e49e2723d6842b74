// The platform's offline package index: a PEP 503 "simple" repository made from a directory of
// wheels, as static files, so that any plain HTTP server serves it and pip installs from it
// exactly as from the real index. `simpleIndexFiles` is pure; `writeSimpleIndex` does the I/O.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The index's directory under PAAS_HOME; the wheels go in its wheels/, the simple/ tree is written beside them. */
export const PACKAGE_INDEX_DIR = 'package-index';
export const WHEELS_DIR = 'wheels';
export const SIMPLE_DIR = 'simple';

export interface Wheel {
  file: string;
  sha256: string;
}

/**
 * A project name as PEP 503 normalises it: lower case, runs of `-`, `_` and `.` as one `-`.
 * @example normalizeProjectName('Foo.Bar__baz') // 'foo-bar-baz'
 */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * The project a wheel belongs to, from its file name (`{name}-{version}(-{build})?-{py}-{abi}-{plat}.whl`,
 * PEP 427); undefined for a name that is not a wheel's.
 * @example wheelProject('Tiny_Pkg-1.0-py3-none-any.whl') // 'tiny-pkg'
 */
export function wheelProject(file: string): string | undefined {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-[^-]+(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/.exec(file);
  return m ? normalizeProjectName(m[1]!) : undefined;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const page = (title: string, links: string[]) =>
  `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>${escape(title)}</title></head><body>\n${links.join('\n')}\n</body></html>\n`;

/**
 * The files of the simple/ tree, by path below it: `index.html` listing the projects and
 * `<project>/index.html` linking each of its wheels as `../../wheels/<file>#sha256=<hex>`.
 * Files that are not wheels are left out.
 */
export function simpleIndexFiles(wheels: Wheel[]): Map<string, string> {
  const byProject = new Map<string, Wheel[]>();
  for (const w of wheels) {
    const project = wheelProject(w.file);
    if (project) byProject.set(project, [...(byProject.get(project) ?? []), w]);
  }
  const projects = [...byProject.keys()].sort();
  const out = new Map<string, string>();
  out.set('index.html', page('Simple index', projects.map((p) => `<a href="${escape(p)}/">${escape(p)}</a>`)));
  for (const p of projects) {
    const files = byProject.get(p)!.sort((a, b) => a.file.localeCompare(b.file));
    out.set(`${p}/index.html`, page(`Links for ${p}`, files.map((w) => `<a href="../../${WHEELS_DIR}/${encodeURIComponent(w.file)}#sha256=${w.sha256}">${escape(w.file)}</a>`)));
  }
  return out;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Writes `<dir>/simple/` for the wheels in `<dir>/wheels/` (made when missing). Each page is
 * replaced by a rename, so a server reading the tree while it is rewritten never sees half a
 * page; projects whose wheels are gone lose their page. Returns how many wheels it lists.
 */
export async function writeSimpleIndex(dir: string): Promise<number> {
  const wheelsDir = join(dir, WHEELS_DIR);
  const simple = join(dir, SIMPLE_DIR);
  await mkdir(wheelsDir, { recursive: true });
  await mkdir(simple, { recursive: true });
  // The index server runs as an unprivileged user: everything it serves is world-readable.
  for (const d of [dir, wheelsDir, simple]) await chmod(d, 0o755);
  const names = (await readdir(wheelsDir, { withFileTypes: true })).filter((e) => e.isFile() && wheelProject(e.name)).map((e) => e.name);
  const wheels = await Promise.all(
    names.map(async (file) => {
      await chmod(join(wheelsDir, file), 0o644);
      return { file, sha256: await sha256Of(join(wheelsDir, file)) };
    }),
  );
  const files = simpleIndexFiles(wheels);
  for (const [path, html] of files) {
    const target = join(simple, path);
    await mkdir(join(target, '..'), { recursive: true });
    const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, html, { mode: 0o644 });
    await rename(tmp, target);
  }
  const wanted = new Set([...files.keys()].filter((p) => p.includes('/')).map((p) => p.split('/')[0]));
  for (const e of await readdir(simple, { withFileTypes: true })) {
    if (e.isDirectory() && !wanted.has(e.name)) await rm(join(simple, e.name), { recursive: true, force: true });
  }
  return wheels.length;
}
