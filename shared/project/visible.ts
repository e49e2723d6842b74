// Which projects a user sees: those where the user, or a group of theirs, holds any role.
import type { RoleBindingSpec } from '../model/kinds.ts';
import type { BerthObject } from '../model/types.ts';
import { eachByField } from '../store/each.ts';
import { bindingsOfTerm } from '../store/lookups.ts';
import type { ObjectStore } from '../store/ports.ts';

/**
 * Names of the projects where `user` or one of `groups` is bound to a role.
 * @example await visibleProjects(store, 'alice', ['developers']) // Set { 'shop', 'blog' }
 */
export async function visibleProjects(store: ObjectStore, user: string, groups: readonly string[]): Promise<Set<string>> {
  const names = new Set<string>();
  // One query a subject (the user's and each group's bindings), never every binding of the platform.
  const subjects = [{ kind: 'User', name: user }, ...groups.map((name) => ({ kind: 'Group', name }))];
  await Promise.all(subjects.map(async (subject) => {
    for await (const b of eachByField<BerthObject<RoleBindingSpec>>(store, bindingsOfTerm(subject))) names.add(b.metadata.project);
  }));
  return names;
}
