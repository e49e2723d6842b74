// The provisioner as a reconciler: a new PersistentVolumeClaim gets the finalizer, then its
// storage (ClaimStorage: a loop-mounted disk locally, an EFS access point on AWS), then status
// Bound with its capacity. A claim being deleted waits while a pod of its project still uses it
// (Kubernetes' pvc-protection), then its storage and data go, then the claim. A project being
// deleted marks its claims like every other object, so its data goes the same way; trial
// expiry deletes the project, so it does too.
import { ignoring, NotFoundError } from '../errors.ts';
import type { Pod } from '../model/objects.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import { CLAIM_FINALIZER, storageBytes } from '../model/volume-kinds.ts';
import { projectUids } from '../project/uid-blocks.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import { patchObject, patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { CLAIM_KIND, claimNamesOf, holdsVolumes, type Claim } from './claims.ts';
import type { ClaimStorage } from './ports.ts';

/** How soon a claim being deleted looks again for the pods that still use it. */
const IN_USE_RETRY_MS = 2_000;

export interface ClaimReconcilerOptions {
  /**
   * Finalizers put on a new claim together with the provisioner's, before its storage is made:
   * another component's cleanup (the claims-data function's wipe on AWS) then never misses a claim.
   */
  alsoFinalizers?: readonly string[];
}

export function claimReconciler(store: ObjectStore, storage: ClaimStorage, opts: ClaimReconcilerOptions = {}): Reconciler {
  const finalizers = [CLAIM_FINALIZER, ...(opts.alsoFinalizers ?? [])];
  const uidFor = projectUids(store);

  async function usedBy(claim: Claim): Promise<string | undefined> {
    for await (const pod of eachObject<Pod>(store, 'Pod', claim.metadata.project)) {
      if (holdsVolumes(pod) && claimNamesOf(pod).includes(claim.metadata.name)) return pod.metadata.name;
    }
    return undefined;
  }

  async function finalize(claim: Claim): Promise<Result> {
    if (!claim.metadata.finalizers?.includes(CLAIM_FINALIZER)) return {};
    if (await usedBy(claim)) return { requeueAfter: IN_USE_RETRY_MS };
    if (claim.status?.volumeName) await storage.remove(claim.status.volumeName);
    const rest = claim.metadata.finalizers.filter((f) => f !== CLAIM_FINALIZER);
    const left = await patchObject<Claim>(store, refOf(claim), (c) => ({ ...c, metadata: { ...c.metadata, finalizers: rest } }));
    // The last finalizer gone: the claim goes too (and gives its quota back in the same write).
    if (left && !left.metadata.finalizers?.length) await store.delete(refOf(left), { resourceVersion: left.metadata.resourceVersion }).catch(ignoring(NotFoundError));
    return {};
  }

  return {
    name: 'volume-claims',
    kinds: [CLAIM_KIND],
    async reconcile(ref: ObjectRef): Promise<Result> {
      if (ref.kind !== CLAIM_KIND) return {};
      let claim = await store.get<Claim>(ref);
      if (!claim) return {};
      if (claim.metadata.deletionTimestamp) return finalize(claim);
      if (claim.status?.phase === 'Bound') return {};
      // The finalizer first: storage is never made for a claim that could go without removing it.
      if (!claim.metadata.finalizers?.includes(CLAIM_FINALIZER)) {
        claim = await patchObject<Claim>(store, ref, (c) => (c.metadata.deletionTimestamp || c.metadata.finalizers?.includes(CLAIM_FINALIZER) ? undefined : { ...c, metadata: { ...c.metadata, finalizers: [...new Set([...(c.metadata.finalizers ?? []), ...finalizers])] } }));
        if (!claim || claim.metadata.deletionTimestamp) return claim ? finalize(claim) : {};
      }
      const bytes = storageBytes(claim.spec.resources.requests.storage)!;
      const { volumeName } = await storage.provision({ project: ref.project, name: ref.name, uid: claim.metadata.uid, bytes, ownerUid: await uidFor(ref.project) });
      await patchStatus<Claim>(store, ref, (c) => ({
        phase: 'Bound',
        accessModes: c.spec.accessModes,
        capacity: { storage: c.spec.resources.requests.storage },
        volumeName,
      }));
      return {};
    },
    async *resync() {
      for await (const c of eachOfKind<Claim>(store, CLAIM_KIND)) if (c.metadata.deletionTimestamp || c.status?.phase !== 'Bound') yield refOf(c);
    },
  };
}
