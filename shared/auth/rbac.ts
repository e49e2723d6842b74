// Role-based access, with OpenShift's role meanings. Pure: callers gather the bindings and the
// user's groups; these functions decide.
import type { Category, RoleBindingSpec, RoleName } from '../model/kinds.ts';

export type Verb = 'get' | 'list' | 'create' | 'update' | 'delete' | 'updateStatus';

/** The project itself: reading it needs any role; changing or deleting it needs admin. */
export type Resource = Category | 'project';

const READ: ReadonlySet<Verb> = new Set(['get', 'list']);
const WRITE: ReadonlySet<Verb> = new Set(['create', 'update', 'delete']);

/** What each role may do to each resource category. Status writes are for controllers only. */
export function roleAllows(role: RoleName, verb: Verb, resource: Resource): boolean {
  if (verb === 'updateStatus') return false;
  switch (resource) {
    case 'app':
      return READ.has(verb) || (WRITE.has(verb) && role !== 'view');
    case 'secret':
      return role !== 'view';
    case 'event':
    case 'quota':
      return READ.has(verb);
    case 'policy':
      return role === 'admin';
    case 'project':
      return READ.has(verb) || role === 'admin';
  }
}

/**
 * The group every signed-in user is in, as in OpenShift: a binding to it reaches everybody (the
 * shared `openshift` project's view binding). Groups made by cluster-admins cannot hold users
 * under this name in any sense that matters, since everybody is in it anyway.
 */
export const AUTHENTICATED_GROUP = 'system:authenticated';

export interface Principal {
  name: string;
  groups: string[];
  clusterAdmin: boolean;
}

/** The roles a principal holds through these bindings (directly or through a group). */
export function rolesOf(principal: Principal, bindings: RoleBindingSpec[]): RoleName[] {
  const roles = new Set<RoleName>();
  for (const b of bindings) {
    const bound = b.subjects.some(
      (s) => (s.kind === 'User' && s.name === principal.name) || (s.kind === 'Group' && principal.groups.includes(s.name)),
    );
    if (bound) roles.add(b.role);
  }
  return [...roles];
}

export function allowed(principal: Principal, roles: RoleName[], verb: Verb, resource: Resource): boolean {
  return principal.clusterAdmin || roles.some((r) => roleAllows(r, verb, resource));
}
