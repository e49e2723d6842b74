// A local directory packed for a binary build (`start-build --from-dir`, `new-app python~./src`):
// everything but `.git`, as a gzip'd tar streamed from disk, with file modes kept — S2I scripts
// and app.sh must stay executable. Links stay when they are relative and point inside the
// directory and are left out, with a warning, otherwise: the platform would refuse the archive.
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CliError } from './errors.ts';
import { formatBytes } from './output.ts';

/** The platform refuses larger archives (shared/builds/upload-limit.ts MAX_ARCHIVE_BYTES); say so before uploading. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

export interface SourceScan {
  /** The directory as the user named it, for messages. */
  dir: string;
  root: string;
  files: number;
  /** The size of the tar stream before compression, header blocks included. */
  tarBytes: number;
  /** Paths (relative, "/"-separated) left out of the archive. */
  excluded: Set<string>;
  /** Why some paths were left out, one line each. */
  warnings: string[];
}

const BLOCK = 512;
const blocks = (bytes: number) => Math.ceil(bytes / BLOCK) * BLOCK;
/** tar-stream writes a PAX header before names that do not fit the ustar fields. */
const headerBytes = (name: string, linkname = '') => BLOCK + (Buffer.byteLength(name) > 100 || Buffer.byteLength(linkname) > 100 ? 3 * BLOCK : 0);

/** Walks `dir` to size the archive and find what to leave out; refuses a tree too large to upload. */
export async function scanDirectory(dir: string, maxBytes = MAX_UPLOAD_BYTES): Promise<SourceScan> {
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await lstat(root)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new CliError(`"${dir}" is not a directory`, 'give the directory that holds the source, e.g. --from-dir .');
  }
  const scan: SourceScan = { dir, root, files: 0, tarBytes: 2 * BLOCK, excluded: new Set(), warnings: [] };
  await walk(scan, root);
  if (scan.tarBytes > maxBytes) {
    throw new CliError(
      `"${dir}" holds ${formatBytes(scan.tarBytes)}, more than the ${formatBytes(maxBytes)} a build may upload`,
      'move virtualenvs, data and build outputs out of the directory, or build from a git repository instead',
    );
  }
  return scan;
}

async function walk(scan: SourceScan, dir: string): Promise<void> {
  for (const base of await readdir(dir)) {
    const path = join(dir, base);
    const name = relative(scan.root, path).split(sep).join('/');
    const leaveOut = (why?: string) => {
      scan.excluded.add(name);
      if (why) scan.warnings.push(`leaving out "${name}": ${why}`);
    };
    if (base === '.git') {
      leaveOut();
      continue;
    }
    const st = await lstat(path);
    if (st.isDirectory()) {
      scan.tarBytes += headerBytes(`${name}/`);
      await walk(scan, path);
    } else if (st.isFile()) {
      scan.files++;
      scan.tarBytes += headerBytes(name) + blocks(st.size);
    } else if (st.isSymbolicLink()) {
      const target = await readlink(path);
      if (pointsInside(scan.root, path, target)) scan.tarBytes += headerBytes(name, target);
      else leaveOut('a link is uploaded only when it is relative and points inside the directory');
    } else {
      leaveOut('only files, directories and links are uploaded');
    }
  }
}

function pointsInside(root: string, path: string, target: string): boolean {
  if (isAbsolute(target)) return false;
  const fromRoot = relative(root, resolve(dirname(path), target));
  return !fromRoot.startsWith('..') && !isAbsolute(fromRoot);
}

/**
 * The scanned tree as a gzip'd tar stream. `onTarBytes` hears of every chunk of tar (before
 * compression), for progress against `scan.tarBytes`. A file that cannot be read, or that
 * changed size since the scan, fails the stream.
 */
export async function packDirectory(scan: SourceScan, onTarBytes: (n: number) => void = () => {}): Promise<Readable> {
  // The tar packer is only needed for uploads; loaded here so other commands start without it.
  const { packTar } = await import('../shared/builds/s2i/pack.ts');
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onTarBytes(chunk.length);
      done(null, chunk);
    },
  });
  const out = new PassThrough();
  pipeline(packTar([{ type: 'tree', name: '', from: scan.root, skip: (rel) => scan.excluded.has(rel) }]), count, createGzip(), out).catch(() => {
    // pipeline has destroyed `out` with the error: the reader (the upload) hears of it there.
  });
  return out;
}
