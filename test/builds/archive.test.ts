// extractArchive refuses hostile or oversized uploads before anything lands outside its
// directory, and leaves nothing of them behind; good archives (plain or gzip) come out whole.
import { lstat, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveRejectedError, ArchiveTooLargeError, extractArchive } from '../../shared/builds/archive.ts';
import { chunked, makeTar, type Entry } from './tar-fixtures.ts';

let outer: string;
let dest: string;

beforeEach(async () => {
  outer = await mkdtemp(join(tmpdir(), 'berth-archive-'));
  dest = join(outer, 'dest');
  await writeFile(join(outer, 'sentinel'), 'untouched');
});
afterEach(async () => {
  await rm(outer, { recursive: true, force: true });
});

async function assertNothingWritten(): Promise<void> {
  expect((await readdir(outer)).sort()).toEqual(['dest', 'sentinel']);
  expect(await readFile(join(outer, 'sentinel'), 'utf8')).toBe('untouched');
  expect(await readdir(dest)).toEqual([]);
  expect(await readdir(tmpdir())).not.toContain('evil');
}

describe('extractArchive accepts', () => {
  it.each([{ gzip: false }, { gzip: true }])('a source tree (gzip: $gzip) with modes and inside links', async ({ gzip }) => {
    const tarball = await makeTar(
      [
        { name: './', type: 'directory', mode: 0o755 },
        { name: 'app.py', body: 'print(1)\n', mode: 0o644 },
        { name: 'bin/run.sh', body: '#!/bin/sh\n', mode: 0o755 },
        { name: 'lib/', type: 'directory', mode: 0o755 },
        { name: 'lib/current', type: 'symlink', linkname: '../bin' },
        { name: 'copy.py', type: 'link', linkname: 'app.py' },
      ],
      { gzip },
    );
    await extractArchive(chunked(tarball), dest, { maxBytes: 1 << 20 });
    expect(await readFile(join(dest, 'app.py'), 'utf8')).toBe('print(1)\n');
    expect((await lstat(join(dest, 'bin/run.sh'))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(dest, 'lib/current'))).toBe('../bin');
    expect(await readFile(join(dest, 'copy.py'), 'utf8')).toBe('print(1)\n');
  });
});

const hostile: [string, Entry[]][] = [
  ['an absolute path', [{ name: '/tmp/evil', body: 'x' }]],
  ['a ".." path', [{ name: '../evil', body: 'x' }]],
  ['a ".." inside a path', [{ name: 'a/../../evil', body: 'x' }]],
  ['a symlink leaving the directory', [{ name: 'up', type: 'symlink', linkname: '../../evil' }]],
  ['an absolute symlink', [{ name: 'etc', type: 'symlink', linkname: '/etc' }]],
  ['a file written through a symlink', [{ name: 'here', type: 'symlink', linkname: '.' }, { name: 'here/x', body: 'x' }]],
  ['a link chain that leaves through an earlier link', [{ name: 'l', type: 'symlink', linkname: '.' }, { name: 'l/m', type: 'symlink', linkname: '..' }]],
  ['a link made to escape by a later link', [{ name: 't', type: 'symlink', linkname: 'a/..' }, { name: 'a', type: 'symlink', linkname: '.' }]],
  ['a hard link to an absolute path', [{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }]],
  ['a hard link with ".."', [{ name: 'sentinel', type: 'link', linkname: '../sentinel' }]],
  ['a character device', [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }]],
  ['a FIFO', [{ name: 'pipe', type: 'fifo' }]],
];

describe('extractArchive rejects, writing nothing outside and leaving nothing inside,', () => {
  it.each(hostile)('%s', async (_what, entries) => {
    const tarball = await makeTar([{ name: 'ok.txt', body: 'fine' }, ...entries]);
    await expect(extractArchive(chunked(tarball), dest, { maxBytes: 1 << 20 })).rejects.toBeInstanceOf(ArchiveRejectedError);
    await assertNothingWritten();
  });

  it('an archive past the size limit, counted as it streams', async () => {
    const tarball = await makeTar([{ name: 'big.bin', body: Buffer.alloc(512 * 1024, 7) }]);
    const err = await extractArchive(chunked(tarball), dest, { maxBytes: 100 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveTooLargeError);
    expect(err).toMatchObject({ status: 413, code: 'ArchiveTooLarge' });
    await assertNothingWritten();
  });

  it('a small gzip that unpacks past the limit', async () => {
    const bomb = await makeTar([{ name: 'zeros', body: Buffer.alloc(8 * 1024 * 1024) }], { gzip: true });
    expect(bomb.length).toBeLessThan(100 * 1024);
    await expect(extractArchive(chunked(bomb), dest, { maxBytes: 1024 * 1024 })).rejects.toBeInstanceOf(ArchiveTooLargeError);
    await assertNothingWritten();
  });

  it('something that is not a tar, as a 422 with a suggestion', async () => {
    const err = await extractArchive(chunked(Buffer.from('hello, not a tar at all'.repeat(40))), dest, { maxBytes: 1 << 20 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 422, code: 'InvalidArchive' });
    expect((err as ArchiveRejectedError).suggestion).toMatch(/tar/);
  });
});
