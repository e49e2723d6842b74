// The volumes capability's ports: where a claim's storage is made and removed (the provisioner,
// run by the claim reconciler) and where a host finds it to mount into a pod's container.

/** What the provisioner needs to make a claim's storage. */
export interface ClaimRequest {
  project: string;
  name: string;
  /** The claim's metadata.uid: a claim made again under the same name gets new, empty storage. */
  uid: string;
  bytes: number;
  /** The UID the project's pods run as; it owns the volume's root. */
  ownerUid: number;
}

/** Makes and removes the storage behind claims (loop-mounted disks locally, EFS access points on AWS). */
export interface ClaimStorage {
  /** Makes the claim's storage unless it exists; idempotent. Returns the volume's name (status.volumeName). */
  provision(claim: ClaimRequest): Promise<{ volumeName: string }>;
  /** Removes the volume and its data; idempotent (a volume already gone is fine). */
  remove(volumeName: string): Promise<void>;
}

/** A host's side: the directory where a volume is mounted on this host, mounting it first when needed. */
export interface VolumeMounter {
  mount(volumeName: string): Promise<string>;
}
