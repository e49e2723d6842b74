// Takes a deleted user out of every role binding, group and the cluster-admin binding, so that
// nothing they were granted passes to a later user who gets the same name. A binding left with
// no subjects goes (the cluster-admin binding stays: its absence means "bootstrap one").
import { ConflictError, NotFoundError } from '../errors.ts';
import type { GroupSpec, RoleBindingSpec, Subject } from '../model/kinds.ts';
import type { BerthObject } from '../model/types.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';

/** Writers racing on one binding or group retry this often before the error goes to the caller. */
const ATTEMPTS = 5;

const isUser = (name: string) => (s: Subject) => s.kind === 'User' && s.name === name;

/** Removes user `name` from every binding and group that names them. */
export async function forgetSubject(store: ObjectStore, name: string): Promise<void> {
  for await (const b of eachOfKind<BerthObject<RoleBindingSpec>>(store, 'RoleBinding')) {
    if (b.spec.subjects.some(isUser(name))) await rewrite(store, b, (o) => ({ ...o.spec, subjects: o.spec.subjects.filter((s) => !isUser(name)(s)) }), (spec) => spec.subjects.length === 0);
  }
  const crb = await store.get<BerthObject<{ subjects: Subject[] }>>({ kind: 'ClusterRoleBinding', project: '', name: 'cluster-admin' });
  if (crb?.spec.subjects.some(isUser(name))) await rewrite(store, crb, (o) => ({ ...o.spec, subjects: o.spec.subjects.filter((s) => !isUser(name)(s)) }), () => false);
  for await (const g of eachObject<BerthObject<GroupSpec>>(store, 'Group', '')) {
    if (g.spec.users.includes(name)) await rewrite(store, g, (o) => ({ ...o.spec, users: o.spec.users.filter((u) => u !== name) }), () => false);
  }
}

/** Writes `change(fresh)` on condition nobody wrote in between, retrying; deletes instead when `empty`. */
async function rewrite<S>(store: ObjectStore, first: BerthObject<S>, change: (o: BerthObject<S>) => S, empty: (spec: S) => boolean): Promise<void> {
  let current: BerthObject<S> | undefined = first;
  for (let i = 0; current; i++) {
    const spec = change(current);
    try {
      if (empty(spec)) await store.delete({ kind: current.kind, project: current.metadata.project, name: current.metadata.name }, { resourceVersion: current.metadata.resourceVersion });
      else await store.update({ ...current, spec });
      return;
    } catch (err) {
      if (err instanceof NotFoundError) return;
      if (!(err instanceof ConflictError) || i + 1 >= ATTEMPTS) throw err;
    }
    current = await store.get<BerthObject<S>>({ kind: first.kind, project: first.metadata.project, name: first.metadata.name });
  }
}
