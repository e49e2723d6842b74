// Claims on one machine's disk, for the all-in-one platform and the hosts beside it: each claim
// is a sparse file under PAAS_HOME (`volumes/disks/<volume>.img`) formatted ext4 with its root
// owned by the project's UID, loop-mounted at `volumes/mounts/<volume>`. A file system of its
// own is what enforces the size (a write past it fails with ENOSPC, whatever the tenant does)
// and keeps one claim's inodes apart from every other's; directories with XFS project quotas
// would need the state directory on XFS, which a developer's machine seldom has. The image is
// made under a temporary name and renamed into place, so a crash never leaves half a disk
// behind. Mounting is lazy and idempotent: the host mounts a volume when it starts a container
// that uses it, so volumes come back after a restart of `npm run up`, of a host agent or of the
// machine. Needs root (mount, losetup) and mkfs.ext4 (Debian's e2fsprogs).
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm, rmdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BerthError } from '../errors.ts';
import type { ClaimRequest, ClaimStorage, VolumeMounter } from './ports.ts';

const run = promisify(execFile);
const VOLUME_NAME = /^pvc-[0-9a-f-]{8,64}$/;

/** The volume name of a claim: `pvc-<uid>`, as Kubernetes names dynamically provisioned volumes. */
export const volumeNameOf = (uid: string): string => `pvc-${uid.toLowerCase()}`;

function checkName(volumeName: string): void {
  if (!VOLUME_NAME.test(volumeName)) throw new BerthError(400, 'Invalid', `"${volumeName}" is not a volume name of this platform`);
}

/** Whether `dir` is a mount point now (from the kernel's own table, not from a cache). */
export async function isMounted(dir: string): Promise<boolean> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  // Field 5 is the mount point, with spaces and the like octal-escaped.
  return table.split('\n').some((line) => line.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === dir);
}

export class LoopDisks implements ClaimStorage, VolumeMounter {
  constructor(private readonly root: string) {}

  imageOf(volumeName: string): string {
    return join(this.root, 'disks', `${volumeName}.img`);
  }

  dirOf(volumeName: string): string {
    return join(this.root, 'mounts', volumeName);
  }

  async provision(claim: ClaimRequest): Promise<{ volumeName: string }> {
    const volumeName = volumeNameOf(claim.uid);
    const image = this.imageOf(volumeName);
    if (await exists(image)) return { volumeName };
    await mkdir(join(this.root, 'disks'), { recursive: true, mode: 0o700 });
    const partial = `${image}.partial`;
    await writeFile(partial, '');
    await truncate(partial, claim.bytes);
    // No blocks reserved for root, the root directory owned by the project's UID (group 0, as
    // OpenShift's arbitrary UIDs), and no lost+found for tenants to trip over.
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${claim.ownerUid}:0`, '-L', volumeName.slice(0, 16), partial]);
    await rename(partial, image);
    return { volumeName };
  }

  async mount(volumeName: string): Promise<string> {
    checkName(volumeName);
    const image = this.imageOf(volumeName);
    const dir = this.dirOf(volumeName);
    if (await isMounted(dir)) return dir;
    if (!(await exists(image))) throw new BerthError(404, 'VolumeNotFound', `volume ${volumeName} has no disk on this host`);
    await mkdir(dir, { recursive: true, mode: 0o711 });
    await run('mount', ['-o', 'loop,nosuid,nodev', image, dir]).catch(async (err: unknown) => {
      // Another host agent of this machine mounted it meanwhile.
      if (!(await isMounted(dir))) throw err;
    });
    await rm(join(dir, 'lost+found'), { recursive: true, force: true });
    return dir;
  }

  async remove(volumeName: string): Promise<void> {
    checkName(volumeName);
    const dir = this.dirOf(volumeName);
    // Lazily: a container still stopping keeps its own view until it has gone.
    if (await isMounted(dir)) await run('umount', ['-l', dir]);
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rm(this.imageOf(volumeName), { force: true });
    await rm(`${this.imageOf(volumeName)}.partial`, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
