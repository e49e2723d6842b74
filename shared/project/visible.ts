// Which projects a user sees: those where the user, or a group of theirs, holds any role.
import type { RoleBindingSpec } from '../model/kinds.ts';
import type { BerthObject } from '../model/types.ts';
import { eachOfKind } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';

/**
 * Names of the projects where `user` or one of `groups` is bound to a role.
 * @example await visibleProjects(store, 'alice', ['developers']) // Set { 'shop', 'blog' }
 */
export async function visibleProjects(store: ObjectStore, user: string, groups: readonly string[]): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const b of eachOfKind<BerthObject<RoleBindingSpec>>(store, 'RoleBinding')) {
    if (b.spec.subjects.some((s) => (s.kind === 'User' && s.name === user) || (s.kind === 'Group' && groups.includes(s.name)))) {
      names.add(b.metadata.project);
    }
  }
  return names;
}
