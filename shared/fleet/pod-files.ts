// The files of a pod's Secret and ConfigMap volumes on a Docker host: one directory per pod
// under the host's state directory (`PAAS_HOME/pod-files/<container>/<volume>/…`), owned by the
// project's UID and readable by it alone, bind-mounted read-only into the container. Written
// afresh whenever the container is made, removed with the pod.
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { BerthError } from '../errors.ts';
import type { PodFileVolume } from '../secrets/pod-config.ts';

export class PodFiles {
  constructor(private readonly root: string) {}

  /** The pod's directory (by its container name, unique per project and pod). */
  dirOf(container: string): string {
    return join(this.root, container);
  }

  /**
   * Writes the volumes' files for a container running as `uid` (group 0) and returns the mounts.
   * Everything is owned by `uid`; the directories are 0500, so no other user of the host (nor
   * another project's UID) reads them.
   */
  async write(container: string, uid: number, volumes: PodFileVolume[]): Promise<{ source: string; target: string }[]> {
    const dir = this.dirOf(container);
    await rm(dir, { recursive: true, force: true });
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    await mkdir(dir, { mode: 0o700 });
    const mounts: { source: string; target: string }[] = [];
    const dirs = new Set<string>([dir]);
    for (const v of volumes) {
      const base = join(dir, v.name);
      await mkdir(base, { mode: 0o700 });
      dirs.add(base);
      for (const f of v.files) {
        const path = resolve(base, f.path);
        if (!path.startsWith(base + sep)) throw new BerthError(422, 'Invalid', `volume ${v.name}: the path ${f.path} leaves the volume`);
        for (let d = dirname(path); d !== base && !dirs.has(d); d = dirname(d)) dirs.add(d);
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await writeFile(path, f.content, { mode: f.mode & 0o777 });
        await chmod(path, f.mode & 0o777);
        await chown(path, uid, 0);
      }
      mounts.push({ source: base, target: v.mountPath });
    }
    for (const d of dirs) {
      await chown(d, uid, 0);
      await chmod(d, 0o500);
    }
    return mounts;
  }

  async remove(container: string): Promise<void> {
    await rm(this.dirOf(container), { recursive: true, force: true });
  }
}
