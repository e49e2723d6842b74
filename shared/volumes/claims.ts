// Which claims a pod uses, and which pods use a claim: pure helpers shared by the provisioner
// (a claim in use is not deleted), the scheduler (ReadWriteOnce) and the hosts (mounts).
import type { Pod } from '../model/objects.ts';
import type { BerthObject } from '../model/types.ts';
import type { PersistentVolumeClaimSpec, PersistentVolumeClaimStatus } from '../model/volume-kinds.ts';

export type Claim = BerthObject<PersistentVolumeClaimSpec, PersistentVolumeClaimStatus>;
export const CLAIM_KIND = 'PersistentVolumeClaim';

/** The names of the claims a pod's volumes use, each once. */
export function claimNamesOf(pod: Pick<Pod, 'spec'>): string[] {
  return [...new Set((pod.spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [])))];
}

/** Whether a pod still holds its volumes: bound or waiting, not finished (a stopping pod still holds them). */
export const holdsVolumes = (pod: Pod): boolean => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

/** Whether only one host at a time may mount the claim. */
export const isReadWriteOnce = (claim: Claim): boolean => claim.spec.accessModes.includes('ReadWriteOnce') && !claim.spec.accessModes.includes('ReadWriteMany');
