// A pod's claims and scratch directories as its host mounts them: each volumeMount of a
// `persistentVolumeClaim` volume names a Bound claim of the pod's own project (whatever a name
// says, it is looked up there only); each of an `emptyDir` one gets a fresh tmpfs. A claim that
// is missing, not bound yet or being deleted keeps the container from starting (PodConfigError,
// retried by the pod sync).
import { lstat, mkdir, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { memoryBytes } from '../model/quantity.ts';
import type { Pod } from '../model/objects.ts';
import { PodConfigError } from '../secrets/pod-config.ts';
import type { ObjectStore } from '../store/ports.ts';
import { CLAIM_KIND, type Claim } from './claims.ts';

/** One mount of a claim's volume or of a scratch directory, as a host makes it. */
export interface HostVolumeMount {
  target: string;
  readOnly: boolean;
  /** A claim's volume (status.volumeName) and the directory inside it to mount. */
  claim?: { name: string; volumeName: string; subPath?: string };
  /** A scratch directory of at most this many bytes. */
  emptyDir?: { sizeBytes: number };
}

/** What a scratch directory gets when its volume names no sizeLimit. */
export const DEFAULT_EMPTY_DIR_BYTES = 64 * 2 ** 20;

/**
 * The claim and scratch mounts of a pod's container, its claims read from its own project.
 * @example await hostVolumeMounts(store, pod) // [{ target: '/data', readOnly: false, claim: { name: 'db', volumeName: 'pvc-…' } }]
 */
export async function hostVolumeMounts(store: ObjectStore, pod: Pod): Promise<HostVolumeMount[]> {
  const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const out: HostVolumeMount[] = [];
  for (const m of pod.spec.containers[0]?.volumeMounts ?? []) {
    const v = byName.get(m.name);
    if (v?.emptyDir) {
      out.push({ target: m.mountPath, readOnly: m.readOnly === true, emptyDir: { sizeBytes: memoryBytes(v.emptyDir.sizeLimit ?? '') ?? DEFAULT_EMPTY_DIR_BYTES } });
      continue;
    }
    const ref = v?.persistentVolumeClaim;
    if (!ref) continue;
    const claim = await store.get<Claim>({ kind: CLAIM_KIND, project: pod.metadata.project, name: ref.claimName });
    if (!claim || claim.metadata.deletionTimestamp) throw new PodConfigError(`persistentvolumeclaim "${ref.claimName}" not found (for the volume ${m.name})`);
    if (claim.status?.phase !== 'Bound' || !claim.status.volumeName) throw new PodConfigError(`persistentvolumeclaim "${ref.claimName}" is not bound yet (for the volume ${m.name})`);
    const readOnly = m.readOnly === true || ref.readOnly === true || (claim.spec.accessModes.length === 1 && claim.spec.accessModes[0] === 'ReadOnlyMany');
    out.push({ target: m.mountPath, readOnly, claim: { name: ref.claimName, volumeName: claim.status.volumeName, ...(m.subPath ? { subPath: m.subPath } : {}) } });
  }
  return out;
}

/**
 * The directory `subPath` names inside a mounted volume, made (owned by `uid`) where missing.
 * Every step is checked without following links: a tenant's symbolic link inside its volume
 * (`data -> /etc`) must never make the engine bind-mount a directory of the host.
 */
export async function subPathDir(volumeDir: string, subPath: string, uid: number): Promise<string> {
  let dir = volumeDir;
  for (const part of subPath.split('/').filter((p) => p && p !== '.')) {
    if (part === '..') throw new BerthError(422, 'Invalid', `subPath ${subPath} leaves the volume`);
    dir = join(dir, part);
    const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!st) {
      await mkdir(dir, { mode: 0o770 });
      await chown(dir, uid, 0);
      continue;
    }
    if (!st.isDirectory()) throw new PodConfigError(`subPath ${subPath}: ${part} is not a directory in the volume${st.isSymbolicLink() ? ' (links are not followed)' : ''}`);
  }
  return dir;
}
