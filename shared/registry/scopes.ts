// What a registry token may grant. Docker asks the token endpoint for scopes such as
// `repository:demo/web:pull,push`; the answer grants the part the asker may have: pull needs a
// role in the project (view or more), push needs edit or admin, the shared `openshift` project is
// pull-only but for cluster admins, the platform's own namespaces (`berth/…`) and deleting are for
// the platform alone, the catalog for cluster admins. Repository names are exactly
// `<project>/<name>`: anything else (`victim/../x`, `a/b/c`, upper case) is granted nothing.
import { isPlatformImageNamespace } from '../model/reserved-names.ts';
import type { RegistryAccess } from './token.ts';

const PROJECT = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^(${PROJECT})/(${COMPONENT})$`);

/** `repository:demo/web:pull,push` → {type, name, actions}; undefined for what is not a scope. */
export function parseScope(scope: string): RegistryAccess | undefined {
  const parts = scope.split(':');
  if (parts.length < 3) return undefined;
  const type = parts[0]!;
  const actions = parts.at(-1)!.split(',').filter(Boolean);
  const name = parts.slice(1, -1).join(':');
  if (!type || !name || actions.length === 0) return undefined;
  return { type, name, actions: [...new Set(actions)] };
}

/** The project and image stream of a repository name, or undefined when it is not `<project>/<name>`. */
export function repositoryParts(name: string): { project: string; stream: string } | undefined {
  const m = REPOSITORY.exec(name);
  return m && name.length <= 255 ? { project: m[1]!, stream: m[2]! } : undefined;
}

/** Who asks: the platform's own components (builds, hosts, pruning) or a signed-in user. */
export type Requester = { kind: 'platform' } | { kind: 'user'; name: string; clusterAdmin: boolean };

/** Whether the user may read (`get`) or write (`create`) the project's images; from its role bindings. */
export type ProjectCheck = (project: string, verb: 'get' | 'create') => Promise<boolean>;

/**
 * The part of `requested` that `who` may have; scopes granting nothing are left out.
 * @example await grantAccess([{ type: 'repository', name: 'demo/web', actions: ['pull', 'push'] }], viewer, check)
 *          // [{ type: 'repository', name: 'demo/web', actions: ['pull'] }]
 */
export async function grantAccess(requested: RegistryAccess[], who: Requester, may: ProjectCheck): Promise<RegistryAccess[]> {
  const granted: RegistryAccess[] = [];
  for (const r of requested) {
    const actions = await grantActions(r, who, may);
    if (actions.length) granted.push({ type: r.type, name: r.name, actions });
  }
  return granted;
}

async function grantActions(r: RegistryAccess, who: Requester, may: ProjectCheck): Promise<string[]> {
  if (r.type === 'registry') {
    return r.name === 'catalog' && (who.kind === 'platform' || who.clusterAdmin) ? r.actions.filter((a) => a === '*') : [];
  }
  if (r.type !== 'repository') return [];
  const repo = repositoryParts(r.name);
  if (!repo) return [];
  if (who.kind === 'platform') return r.actions.filter((a) => ['pull', 'push', 'delete', '*'].includes(a));
  if (isPlatformImageNamespace(repo.project)) return [];
  const out: string[] = [];
  if (r.actions.includes('pull') && (await may(repo.project, 'get'))) out.push('pull');
  if (r.actions.includes('push') && (await may(repo.project, 'create'))) out.push('push');
  return out;
}
