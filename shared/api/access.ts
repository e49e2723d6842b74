// Who may call a route. Every route declares its Access; the middleware made here enforces it
// before any validation or handler runs, and the table of declarations is what the
// authorisation walk test goes through.
import type { Context, MiddlewareHandler } from 'hono';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { BerthObject } from '../model/types.ts';
import type { RoleBindingSpec } from '../model/kinds.ts';
import { AUTHENTICATED_GROUP, allowed, rolesOf, type Resource, type Verb } from '../auth/rbac.ts';
import { collect, eachObject } from '../store/each.ts';
import type { ApiDeps, ApiEnv } from './env.ts';
import { trialHeaders } from '../trials/warning.ts';
import { TooManyRequestsError } from './rate-limit.ts';

export type Access =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'cluster-admin' }
  | { kind: 'project'; verb: Verb; resource: Resource };

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** What a route reads about its target beside the authorisation of its caller (RouteDef's `prefetch`). */
export type Prefetch = (c: Context<ApiEnv>) => Promise<unknown>;

export function accessMiddleware(deps: ApiDeps, access: Access, prefetch?: Prefetch): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (access.kind === 'public') return next();
    const token = bearerToken(c.req.header('Authorization'));
    if (!token) throw new UnauthorizedError('this request needs a bearer token');
    const { user, trialExpires } = await deps.identity.holderOf(token);
    if (trialExpires) trialHeaders(trialExpires, deps.trials?.now() ?? new Date(), (name, value) => c.header(name, value));
    // Counted per user, before any authorisation work: a flood costs the flooder, not the others.
    const wait = deps.rateLimit ? await deps.rateLimit.take(user) : 0;
    if (wait > 0) throw new TooManyRequestsError(wait, deps.rateLimit!.perMinute);
    c.set('user', user);
    c.set('token', token);
    // Started for a caller with a valid token only, and handed on only once the caller is
    // authorised: a refused caller gets the refusal, never what the read found (a 404 would tell
    // a stranger the pod does not exist). A failed read is the handler's to report.
    const read = prefetch?.(c);
    read?.catch(() => {});
    if (access.kind === 'cluster-admin') {
      if (!(await deps.identity.isClusterAdmin(user))) throw new ForbiddenError(`user "${user}" is not a cluster administrator`, 'ask a cluster administrator to do this');
    } else if (access.kind === 'project') {
      await authorizeProject(deps, user, c.req.param('project') ?? '', access.verb, access.resource);
    }
    if (read) c.set('prefetched', read);
    return next();
  };
}

const LABEL: Record<Resource, string> = { app: 'objects', policy: 'role bindings', event: 'events', quota: 'quotas and limit ranges (cluster admins write them)', project: 'the project', secret: 'secrets' };

/**
 * Throws ForbiddenError unless `user` may `verb` the resource in `project`. A user without any
 * binding gets the same answer whether or not the project exists, so nothing leaks.
 */
export async function authorizeProject(deps: Pick<ApiDeps, 'store' | 'identity'>, user: string, project: string, verb: Verb, resource: Resource): Promise<void> {
  const bindings = await projectBindings(deps, project);
  const needsGroups = bindings.some((b) => b.subjects.some((s) => s.kind === 'Group' && s.name !== AUTHENTICATED_GROUP));
  const principal = { name: user, groups: [AUTHENTICATED_GROUP, ...(needsGroups ? await deps.identity.groupsOf(user) : [])], clusterAdmin: false };
  if (allowed(principal, rolesOf(principal, bindings), verb, resource)) return;
  if (await deps.identity.isClusterAdmin(user)) return;
  throw new ForbiddenError(`user "${user}" cannot ${verb} ${LABEL[resource]} in project "${project}"`);
}

async function projectBindings(deps: Pick<ApiDeps, 'store'>, project: string): Promise<RoleBindingSpec[]> {
  return (await collect(eachObject<BerthObject<RoleBindingSpec>>(deps.store, 'RoleBinding', project))).map((b) => b.spec);
}
