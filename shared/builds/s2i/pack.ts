// Builds tar streams from host files without following symlinks: the source upload of an S2I
// build (src/, scripts/, artifacts/ under the image's destination) and a Dockerfile context.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Owner } from './types.ts';

type Header = Parameters<tar.Pack['entry']>[0];

export type PackSource =
  /** A directory entry. */
  | { type: 'dir'; name: string; mode?: number }
  /** The contents of a host directory under `name/` (`skip` gets paths relative to `from`). */
  | { type: 'tree'; name: string; from: string; skip?: (rel: string) => boolean }
  /** One host file. */
  | { type: 'file'; name: string; from: string; mode?: number };

/** A tar stream of `sources`, in order; entries are owned by `owner` (root when absent). */
export function packTar(sources: PackSource[], owner: Owner = { uid: 0, gid: 0 }): Readable {
  const pack = tar.pack();
  const ids = { uid: owner.uid, gid: owner.gid };
  const fill = async () => {
    for (const s of sources) {
      if (s.type === 'dir') await entry(pack, { ...ids, name: `${s.name}/`, type: 'directory', mode: s.mode ?? 0o755 });
      else if (s.type === 'file') await hostEntry(pack, s.from, s.name, ids, s.mode);
      else await tree(pack, s.from, '', s.name, ids, s.skip ?? (() => false));
    }
    pack.finalize();
  };
  fill().catch((err: Error) => pack.destroy(err));
  return Readable.from(pack);
}

async function entry(pack: tar.Pack, header: Header, content?: Buffer | string): Promise<void> {
  await new Promise<void>((resolve, reject) => pack.entry(header, content ?? '', (err) => (err ? reject(err) : resolve())));
}

async function tree(pack: tar.Pack, root: string, rel: string, prefix: string, ids: Owner, skip: (rel: string) => boolean): Promise<void> {
  const names = (await readdir(join(root, rel))).sort();
  for (const n of names) {
    const r = rel ? `${rel}/${n}` : n;
    if (skip(r)) continue;
    const isDir = await hostEntry(pack, join(root, r), prefix ? `${prefix}/${r}` : r, ids);
    if (isDir) await tree(pack, root, r, prefix, ids, skip);
  }
}

/** Adds one host path (file, directory or symlink; other kinds are left out); true for a directory. */
async function hostEntry(pack: tar.Pack, path: string, name: string, ids: Owner, mode?: number): Promise<boolean> {
  const st = await lstat(path);
  const base = { ...ids, mtime: st.mtime, mode: mode ?? st.mode & 0o7777 };
  if (st.isDirectory()) {
    await entry(pack, { ...base, name: `${name}/`, type: 'directory', mode: base.mode | 0o700 });
    return true;
  }
  if (st.isSymbolicLink()) await entry(pack, { ...base, name, type: 'symlink', linkname: await readlink(path) });
  else if (st.isFile()) await fileEntry(pack, path, { ...base, name, type: 'file', size: st.size, mode: base.mode | 0o600 });
  return false;
}

async function fileEntry(pack: tar.Pack, path: string, header: Header): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    (async () => {
      for await (const chunk of createReadStream(path)) if (!sink.write(chunk as Buffer)) await once(sink as never, 'drain');
      sink.end(undefined as never);
    })().catch(reject);
  });
  await done;
}
