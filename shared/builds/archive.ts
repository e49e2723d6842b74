// Safe extraction of an uploaded source archive (plain or gzip tar), after source-to-image's
// paranoid tar (pkg/tar): every entry is checked before it is written, nothing is ever written
// through a symlink, and the archive is refused as soon as it streams past the size limit.
// On any rejection what this call wrote is removed, so bad input changes nothing.
import { chmod, link, lstat, mkdir, open, readdir, readlink, realpath, rm, symlink } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { BerthError } from '../errors.ts';

/** An archive that cannot be accepted as it is (a client error). */
export class ArchiveRejectedError extends BerthError {
  constructor(message: string, suggestion = 'upload a tar or tar.gz of the source directory with relative paths only, no links outside it and no device files') {
    super(422, 'InvalidArchive', message, { suggestion });
  }
}

export class ArchiveTooLargeError extends BerthError {
  constructor(maxBytes: number) {
    super(413, 'ArchiveTooLarge', `the archive is larger than the limit of ${maxBytes} bytes`, {
      suggestion: 'leave build outputs, virtualenvs and VCS data out of the upload (.s2iignore), or raise the limit',
    });
  }
}

/**
 * Extracts a tar or tar.gz stream into `destDir` (created if missing).
 * Rejects absolute paths, `..` components, entries written through a symlink, symlinks or hard
 * links that resolve outside `destDir`, device files and FIFOs, and archives whose (uncompressed)
 * tar stream exceeds `opts.maxBytes`.
 * @example await extractArchive(req.body, workDir, { maxBytes: 200 * 1024 * 1024 });
 */
export async function extractArchive(input: NodeJS.ReadableStream, destDir: string, opts: { maxBytes: number }): Promise<void> {
  await mkdir(destDir, { recursive: true });
  const root = await realpath(destDir);
  const before = new Set(await readdir(root));
  const links: string[] = [];
  const source = Readable.from(limited(decompressed(input), opts.maxBytes));
  const extract = tar.extract();
  let current: { destroy(err: Error): void } | undefined;
  let failure: Error | undefined;
  source.on('error', (err) => {
    failure = err;
    current?.destroy(err);
    extract.destroy(err);
  });
  source.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      current = entry;
      await writeEntry(root, entry.header, entry as unknown as Entry, links);
    }
    if (failure) throw failure;
    for (const l of links) await checkLink(root, l);
  } catch (err) {
    source.destroy();
    for (const name of await readdir(root)) if (!before.has(name)) await rm(join(root, name), { recursive: true, force: true });
    if (failure instanceof BerthError) throw failure;
    if (err instanceof BerthError) throw err;
    throw new ArchiveRejectedError(`the archive could not be read: ${(err as Error).message}`);
  }
}

/** Yields the tar bytes, gunzipping when the stream starts with the gzip magic number. */
async function* decompressed(input: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  const source = Readable.from(input as AsyncIterable<Buffer>);
  const iter = source[Symbol.asyncIterator]();
  const first = await iter.next();
  if (first.done) return;
  const head = Buffer.from(first.value as Buffer);
  const rest = Readable.from((async function* () {
    yield head;
    for (let r = await iter.next(); !r.done; r = await iter.next()) yield r.value as Buffer;
  })());
  if (head[0] === 0x1f && head[1] === 0x8b) yield* rest.pipe(createGunzip());
  else yield* rest;
}

/** Passes the bytes through, counting them, and fails past `maxBytes`. */
async function* limited(bytes: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of bytes) {
    seen += chunk.length;
    if (seen > maxBytes) throw new ArchiveTooLargeError(maxBytes);
    yield chunk;
  }
}

/** `a/./b/` → `a/b`; throws on absolute names and `..` components; '' for the root itself. */
export function safeEntryName(name: string): string {
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) throw new ArchiveRejectedError(`the archive has an absolute path: ${name}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ArchiveRejectedError(`the archive has a path with "..": ${name}`);
  return parts.join('/');
}

type Entry = AsyncIterable<Buffer> & { resume(): unknown };

async function writeEntry(root: string, header: tar.Header, stream: Entry, links: string[]): Promise<void> {
  const name = safeEntryName(header.name);
  const type = header.type ?? 'file';
  if (!['file', 'contiguous-file', 'directory', 'symlink', 'link'].includes(type)) {
    throw new ArchiveRejectedError(`the archive has a ${type} entry (${header.name}); only files, directories and links are accepted`);
  }
  if (name === '') {
    stream.resume();
    return;
  }
  const target = join(root, name);
  await ensureParents(root, name);
  const existing = await lstat(target).catch(() => undefined);
  if (existing && !(existing.isDirectory() && type === 'directory')) await rm(target, { recursive: true, force: true });
  const mode = (header.mode ?? 0o644) & 0o777;
  if (type === 'directory') {
    if (!existing) await mkdir(target);
    await chmod(target, mode | 0o700);
    stream.resume();
  } else if (type === 'symlink') {
    const linkname = header.linkname ?? '';
    if (isAbsolute(linkname)) throw new ArchiveRejectedError(`the archive has a symlink to an absolute path: ${header.name} -> ${linkname}`);
    await resolveInside(root, `${posix.dirname(name)}/${linkname}`, header.name);
    await symlink(linkname, target);
    links.push(name);
    stream.resume();
  } else if (type === 'link') {
    const from = safeEntryName(header.linkname ?? '');
    await ensureParents(root, from);
    const st = await lstat(join(root, from)).catch(() => undefined);
    if (!st?.isFile()) throw new ArchiveRejectedError(`the archive has a hard link to something that is not a file in it: ${header.name} -> ${header.linkname}`);
    await link(join(root, from), target);
    stream.resume();
  } else {
    const fh = await open(target, 'wx', mode | 0o600);
    try {
      for await (const chunk of stream) await fh.write(chunk);
    } finally {
      await fh.close();
    }
  }
}

/** Creates the missing parent directories of `name`; refuses a parent that is a symlink or a file. */
async function ensureParents(root: string, name: string): Promise<void> {
  const parts = name.split('/').slice(0, -1);
  let at = root;
  for (const part of parts) {
    at = join(at, part);
    const st = await lstat(at).catch(() => undefined);
    if (!st) await mkdir(at, { mode: 0o755 });
    else if (!st.isDirectory()) throw new ArchiveRejectedError(`the archive writes through a ${st.isSymbolicLink() ? 'symlink' : 'file'}: ${name}`);
  }
}

/**
 * Resolves `rel` (relative to root) component by component, following symlinks already on disk,
 * and throws when any step leaves root. The tail may not exist yet (a dangling link stays inside).
 */
async function resolveInside(root: string, rel: string, entry: string, hops = 0): Promise<string> {
  let at = root;
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    const next = resolve(at, parts[i]!);
    if (next !== root && !next.startsWith(root + sep)) throw new ArchiveRejectedError(`the archive has a link that points outside it: ${entry}`);
    const st = await lstat(next).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (hops > 40) throw new ArchiveRejectedError(`the archive has a symlink loop: ${entry}`);
      const target = await readlink(next);
      if (isAbsolute(target)) throw new ArchiveRejectedError(`the archive has a link that points outside it: ${entry}`);
      const via = `${relative(root, at).split(sep).join('/')}/${target}`;
      at = await resolveInside(root, via, entry, hops + 1);
    } else {
      at = next;
    }
  }
  return at;
}

/** After extraction, once every link exists: no link may resolve outside root. */
async function checkLink(root: string, name: string): Promise<void> {
  const target = await readlink(join(root, name));
  await resolveInside(root, `${posix.dirname(name)}/${target}`, name);
}
