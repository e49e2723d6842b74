// Takes a deleted user out of every role binding, group and the cluster-admin binding, so that
// nothing they were granted passes to a later user who gets the same name. A role binding left
// with no subjects goes (the cluster-admin binding stays: its absence means "bootstrap one").
import { NotFoundError } from '../errors.ts';
import type { GroupSpec, RoleBindingSpec, Subject } from '../model/kinds.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import { retryOnConflict } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';

const isUser = (name: string) => (s: Subject) => s.kind === 'User' && s.name === name;
const refOf = (o: BerthObject): ObjectRef => ({ kind: o.kind, project: o.metadata.project, name: o.metadata.name });

/** Removes user `name` from every binding and group that names them. */
export async function forgetSubject(store: ObjectStore, name: string): Promise<void> {
  const without = (subjects: Subject[]) => subjects.filter((s) => !isUser(name)(s));
  for await (const b of eachOfKind<BerthObject<RoleBindingSpec>>(store, 'RoleBinding')) {
    if (b.spec.subjects.some(isUser(name))) await rewrite(store, refOf(b), (spec: RoleBindingSpec) => ({ ...spec, subjects: without(spec.subjects) }), (spec) => spec.subjects.length === 0);
  }
  const crb: ObjectRef = { kind: 'ClusterRoleBinding', project: '', name: 'cluster-admin' };
  await rewrite(store, crb, (spec: { subjects: Subject[] }) => ({ ...spec, subjects: without(spec.subjects) }), () => false);
  for await (const g of eachObject<BerthObject<GroupSpec>>(store, 'Group', '')) {
    if (g.spec.users.includes(name)) await rewrite(store, refOf(g), (spec: GroupSpec) => ({ ...spec, users: spec.users.filter((u) => u !== name) }), () => false);
  }
}

/** Writes `change` of the fresh spec on condition nobody wrote in between; deletes instead when it leaves the object `empty`. */
async function rewrite<S>(store: ObjectStore, ref: ObjectRef, change: (spec: S) => S, empty: (spec: S) => boolean): Promise<void> {
  await retryOnConflict(async () => {
    const current = await store.get<BerthObject<S>>(ref);
    if (!current) return;
    const spec = change(current.spec);
    if (JSON.stringify(spec) === JSON.stringify(current.spec)) return;
    if (empty(spec)) await store.delete(ref, { resourceVersion: current.metadata.resourceVersion }).catch((err) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
    else await store.update({ ...current, spec });
  });
}
