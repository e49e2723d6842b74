// PersistentVolumeClaim, in Kubernetes' core/v1 shape: a project asks for storage of a size and
// an access mode; the volume provisioner binds it to a filesystem of that size (status Bound)
// and pods mount it through `volumes[].persistentVolumeClaim` and `volumeMounts`.
import * as z from 'zod';
import { memoryBytes } from './quantity.ts';

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** The smallest claim: a filesystem needs room for its own bookkeeping. */
export const MIN_CLAIM_BYTES = 2 ** 20;
/** The largest claim one request may make (64 TiB). */
export const MAX_CLAIM_BYTES = 2 ** 46;

/**
 * Bytes of a storage quantity within the claim bounds, or undefined.
 * @example storageBytes('1Gi') // 1073741824
 */
export function storageBytes(q: string): number | undefined {
  const n = memoryBytes(q);
  return n !== undefined && n >= MIN_CLAIM_BYTES && n <= MAX_CLAIM_BYTES ? n : undefined;
}

export const storageQuantity = z
  .string()
  .max(32)
  .refine((q) => storageBytes(q) !== undefined, 'storage is bytes with an optional suffix ("1Gi", "500Mi"), from 1Mi to 64Ti');

export const persistentVolumeClaimSpec = z.strictObject({
  accessModes: z
    .array(z.enum(ACCESS_MODES))
    .min(1, 'give at least one access mode: ReadWriteOnce, ReadWriteMany or ReadOnlyMany')
    .max(3)
    .refine((m) => new Set(m).size === m.length, 'each access mode once'),
  resources: z.strictObject({
    requests: z.strictObject({ storage: storageQuantity }),
    limits: z.strictObject({ storage: storageQuantity.optional() }).optional(),
  }),
  /** Recorded as given; each platform has one class of storage (local disks, EFS). */
  storageClassName: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a DNS-1123 subdomain').optional(),
  volumeMode: z.literal('Filesystem').optional(),
});
export type PersistentVolumeClaimSpec = z.infer<typeof persistentVolumeClaimSpec>;

export const persistentVolumeClaimStatus = z.object({
  phase: z.enum(['Pending', 'Bound', 'Lost']).default('Pending'),
  accessModes: z.array(z.enum(ACCESS_MODES)).optional(),
  capacity: z.object({ storage: z.string() }).optional(),
  /** The volume behind the claim: `pvc-<uid>` locally, the EFS access point on AWS. */
  volumeName: z.string().optional(),
  message: z.string().optional(),
});
export type PersistentVolumeClaimStatus = z.infer<typeof persistentVolumeClaimStatus>;

/** The finalizer a claim carries while its storage exists: the provisioner removes the storage, then the claim. */
export const CLAIM_FINALIZER = 'berth.io/volume';
