// Makes a wheelhouse offline: `pip wheel --no-index --no-deps` of a local package, run inside
// the builder image (no network, no capabilities), the wheels copied out into a directory.
// Tests and benchmarks use it to give sample apps a `.s2i/wheelhouse`.
import { mkdtemp, readdir, rename, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { extractArchive } from '../shared/builds/archive.ts';
import { packTar } from '../shared/builds/s2i/pack.ts';

/** Builds wheels of the package in `packageDir` with `builderImage` into `intoDir`; returns their names. */
export async function makeWheels(docker: Docker, builderImage: string, packageDir: string, intoDir: string): Promise<string[]> {
  const c = await docker.createContainer({
    Image: builderImage,
    Entrypoint: [],
    Cmd: ['pip', 'wheel', '--no-index', '--no-deps', '--no-build-isolation', '-w', '/tmp/wheels', '/tmp/pkg'],
    User: '1001:0',
    HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
  });
  const work = await mkdtemp(join(tmpdir(), 'berth-wheels-'));
  try {
    await c.putArchive(packTar([{ type: 'dir', name: 'pkg' }, { type: 'tree', name: 'pkg', from: packageDir }], { uid: 1001, gid: 0 }), { path: '/tmp' });
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`pip wheel failed (${StatusCode}): ${(await c.logs({ stdout: true, stderr: true })).toString()}`);
    const tar = (await c.getArchive({ path: '/tmp/wheels' })) as NodeJS.ReadableStream;
    await extractArchive(tar.pipe(new PassThrough()), work, { maxBytes: 100 * 1024 * 1024 });
    await mkdir(intoDir, { recursive: true });
    const wheels = (await readdir(join(work, 'wheels'))).filter((f) => f.endsWith('.whl'));
    for (const w of wheels) await rename(join(work, 'wheels', w), join(intoDir, w));
    return wheels;
  } finally {
    await c.remove({ force: true });
    await rm(work, { recursive: true, force: true });
  }
}
