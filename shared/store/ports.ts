// The object store port. One adapter today (DynamoDB, run against DynamoDB Local in tests and
// on `npm run up`); everything above it speaks only this interface.
import type { Counter } from '../quota/admission.ts';
import type { BerthObject, Labels, NewObject, ObjectList, ObjectRef } from '../model/types.ts';

export interface ListOptions {
  /** Page size; the store caps it at MAX_PAGE. */
  limit?: number;
  /** The `continue` token of the previous page. */
  continue?: string;
  /** Only objects carrying every one of these labels (found through the first one's lookups: one query a page). */
  labels?: Labels;
}

export interface Replacement {
  resourceVersion: string;
  labels?: Labels;
  annotations?: Labels;
  spec: unknown;
}

export const DEFAULT_PAGE = 500;
export const MAX_PAGE = 1000;

export interface ObjectStore {
  /** The object, or undefined when there is none. */
  get<T extends BerthObject = BerthObject>(ref: ObjectRef): Promise<T | undefined>;
  /** Objects of one kind in one project ("" for cluster-scoped kinds), by name. */
  list<T extends BerthObject = BerthObject>(kind: string, project: string, opts?: ListOptions): Promise<ObjectList<T>>;
  /** Objects of one kind across every project, for controllers. */
  listAll<T extends BerthObject = BerthObject>(kind: string, opts?: ListOptions): Promise<ObjectList<T>>;
  /**
   * Objects across projects by a field term of store/lookups.ts (the pods on a host, the pods
   * waiting for one, a subject's role bindings): one query a page, whatever the kind's size.
   */
  listByField<T extends BerthObject = BerthObject>(term: string, opts?: ListOptions): Promise<ObjectList<T>>;
  /** Every object in a project, whatever its kind (used to finalise a project). */
  listProject(project: string, opts?: ListOptions): Promise<ObjectList>;
  /**
   * Creates an object. A namespaced object can be created only in a project that exists and
   * is not being deleted. Throws AlreadyExistsError, NotFoundError (project) or ConflictError.
   * `uncheckedProject`: the project is not checked in the same write; the caller checks it after
   * (recordEvent: an Event is a third of the price without the transaction).
   */
  create<T extends BerthObject = BerthObject>(obj: NewObject, opts?: { uncheckedProject?: boolean }): Promise<T>;
  /** Creates several objects in one all-or-nothing write (at most 25, and 100 items with their labels' lookups). */
  createMany(objs: NewObject[]): Promise<BerthObject[]>;
  /**
   * Writes metadata (labels, annotations, finalizers, deletionTimestamp, expiresAt) and spec,
   * on condition that the stored resourceVersion is still `obj.metadata.resourceVersion`.
   * `generation` increases when spec changed. Status is left as stored, or with `status: true`
   * written too (a controller changing both at once, in one write).
   */
  update<T extends BerthObject = BerthObject>(obj: T, opts?: { status?: boolean }): Promise<T>;
  /**
   * What a user's PUT does: replaces labels, annotations and spec, keeping every field the
   * system owns (status, finalizers, deletionTimestamp, expiresAt), on the same condition.
   */
  replace<T extends BerthObject = BerthObject>(ref: ObjectRef, change: Replacement): Promise<T>;
  /** Writes only status, on the same resourceVersion condition. */
  updateStatus<T extends BerthObject = BerthObject>(obj: T): Promise<T>;
  /** A project's usage counter: what its counted objects use and its quotas' hard limits (quota/). */
  usage(project: string): Promise<Counter>;
  /** Removes the object, optionally only if its resourceVersion matches; an object a quota counts gives its usage back in the same write. */
  delete(ref: ObjectRef, opts?: { resourceVersion?: string }): Promise<void>;
}
