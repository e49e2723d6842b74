// The shape every Berth object shares, in the Kubernetes mould: users write `spec`,
// controllers write `status`, and `metadata` is mostly owned by the store.

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  /** The project the object lives in; "" for cluster-scoped kinds (Project, User, Group, …). */
  project: string;
  uid: string;
  /** Opaque; changes on every write. Updates must carry the one they read. */
  resourceVersion: string;
  /** Increases whenever `spec` changes. */
  generation: number;
  creationTimestamp: string;
  labels: Labels;
  annotations: Labels;
  /** Set when deletion has been asked for and finalizers still have work to do. */
  deletionTimestamp?: string;
  finalizers?: string[];
  /** When set, the object is removed after this instant (DynamoDB TTL plus the expiry reconciler). */
  expiresAt?: string;
}

export interface BerthObject<Spec = unknown, Status = unknown> {
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status: Status;
}

/** What a caller supplies to create an object; the store fills in the rest of metadata. */
export interface NewObject<Spec = unknown, Status = unknown> {
  kind: string;
  metadata: {
    name: string;
    project: string;
    labels?: Labels;
    annotations?: Labels;
    finalizers?: string[];
    expiresAt?: string;
  };
  spec: Spec;
  status?: Status;
}

/** A reference to one object: all a reconciler is given. */
export interface ObjectRef {
  kind: string;
  project: string;
  name: string;
}

export interface ObjectList<T extends BerthObject = BerthObject> {
  items: T[];
  /** Opaque token for the next page; absent on the last page. */
  continue?: string;
}

export const refOf = (o: { kind: string; metadata: { project: string; name: string } }): ObjectRef => ({
  kind: o.kind,
  project: o.metadata.project,
  name: o.metadata.name,
});

export const formatRef = (r: ObjectRef): string => (r.project ? `${r.kind} ${r.project}/${r.name}` : `${r.kind} ${r.name}`);
