// A claim's data on a shared file system (EFS on AWS), wiped when the claim goes. Removing an EFS
// access point leaves its directory and files in place, so claims there carry a second finalizer,
// put on with the provisioner's (claimReconciler alsoFinalizers): once the provisioner has removed
// the access point (after the last pod using the claim is gone, so none can mount it again), this
// reconciler removes the claim's directory, then its finalizer; the last finalizer gone, the claim
// goes. A project's or an expired trial's claims are deleted like any, so their data goes too.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ignoring, NotFoundError } from '../errors.ts';
import { DNS1123_LABEL } from '../model/dns1123.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import { CLAIM_FINALIZER } from '../model/volume-kinds.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachOfKind } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { CLAIM_KIND, type Claim } from './claims.ts';

/** The finalizer a claim carries while its data is on the shared file system. */
export const CLAIM_DATA_FINALIZER = 'berth.io/volume-data';

const UID = /^[0-9a-f][0-9a-f-]{7,63}$/;

/**
 * Where a claim's directory is under `root` (the file system's /berth, mounted): `<project>/<claim>-<uid>`,
 * as the access point made it (shared/aws/efs-claims.ts claimDirectory). Refuses names that could leave `root`.
 * @example claimDataPath('/mnt/claims', { project: 'shop', name: 'db', uid: '7f1c…' }) // '/mnt/claims/shop/db-7f1c…'
 */
export function claimDataPath(root: string, c: { project: string; name: string; uid: string }): string {
  const uid = c.uid.toLowerCase();
  if (!DNS1123_LABEL.test(c.project) || !DNS1123_LABEL.test(c.name) || !UID.test(uid)) throw new Error(`not a claim's directory: ${c.project}/${c.name}-${uid}`);
  return join(root, c.project, `${c.name}-${uid}`);
}

/** Removes a claim's directory and everything in it under `root`; one already gone is fine. */
export const wipeUnder = (root: string) => async (c: { project: string; name: string; uid: string }): Promise<void> => {
  await rm(claimDataPath(root, c), { recursive: true, force: true, maxRetries: 3 });
};

export function claimDataReconciler(store: ObjectStore, wipe: (claim: { project: string; name: string; uid: string }) => Promise<void>): Reconciler {
  async function reconcile(ref: ObjectRef): Promise<Result> {
    if (ref.kind !== CLAIM_KIND) return {};
    const claim = await store.get<Claim>(ref);
    const f = claim?.metadata.finalizers ?? [];
    // Only once the provisioner is done: its access point gone, no pod can write there again.
    if (!claim?.metadata.deletionTimestamp || !f.includes(CLAIM_DATA_FINALIZER) || f.includes(CLAIM_FINALIZER)) return {};
    await wipe({ project: ref.project, name: ref.name, uid: claim.metadata.uid });
    const left = await patchObject<Claim>(store, ref, (c) => ({ ...c, metadata: { ...c.metadata, finalizers: (c.metadata.finalizers ?? []).filter((x) => x !== CLAIM_DATA_FINALIZER) } }));
    if (left && !left.metadata.finalizers?.length) await store.delete(refOf(left), { resourceVersion: left.metadata.resourceVersion }).catch(ignoring(NotFoundError));
    return {};
  }
  return {
    name: 'volume-claim-data',
    kinds: [CLAIM_KIND],
    reconcile,
    async *resync() {
      for await (const c of eachOfKind<Claim>(store, CLAIM_KIND)) if (c.metadata.deletionTimestamp && c.metadata.finalizers?.includes(CLAIM_DATA_FINALIZER)) yield refOf(c);
    },
  };
}
