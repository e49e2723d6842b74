// Where a pod's claims let it go: a ReadWriteOnce claim is attached to one host at a time, the
// host of the pods of its project that use it (a stopping one included: the new pod of a
// Recreate rollout waits until the old one has released the claim, or joins it on its host).
// A claim that is missing or not bound yet keeps the pod pending.
import type { Pod } from '../model/objects.ts';
import { eachObject } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import { CLAIM_KIND, claimNamesOf, holdsVolumes, isReadWriteOnce, type Claim } from './claims.ts';

/** The hosts the pod may go to (undefined: any), or why it cannot be placed yet. */
export type VolumePlacement = { onlyHosts?: string[] } | { wait: string };

/**
 * Where the pod's claims let it go, read fresh from its project.
 * @example await volumePlacement(store, pod) // { onlyHosts: ['host-2'] }
 */
export async function volumePlacement(store: ObjectStore, pod: Pod): Promise<VolumePlacement> {
  const names = claimNamesOf(pod);
  if (!names.length) return {};
  const project = pod.metadata.project;
  const exclusive: string[] = [];
  for (const name of names) {
    const claim = await store.get<Claim>({ kind: CLAIM_KIND, project, name });
    if (!claim || claim.metadata.deletionTimestamp) return { wait: `persistentvolumeclaim "${name}" not found` };
    if (claim.status?.phase !== 'Bound') return { wait: `pod has unbound immediate PersistentVolumeClaims ("${name}")` };
    if (isReadWriteOnce(claim)) exclusive.push(name);
  }
  if (!exclusive.length) return {};
  let only: Set<string> | undefined;
  for await (const other of eachObject<Pod>(store, 'Pod', project)) {
    if (other.metadata.name === pod.metadata.name || !other.spec.host || !holdsVolumes(other)) continue;
    if (!claimNamesOf(other).some((n) => exclusive.includes(n))) continue;
    only = only ? new Set([...only].filter((h) => h === other.spec.host)) : new Set([other.spec.host]);
  }
  return only ? { onlyHosts: [...only] } : {};
}
