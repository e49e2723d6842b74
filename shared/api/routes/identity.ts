// Login, logout, whoami; users and groups (cluster-admin only).
import type { Hono } from 'hono';
import * as z from 'zod';
import { dnsName } from '../../model/names.ts';
import { groupSpec, userSpec } from '../../model/kinds.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { LoginThrottle } from '../../auth/login-throttle.ts';
import { UnauthorizedError } from '../../errors.ts';
import { clientAddress } from '../client-address.ts';
import { audit } from '../../audit/record.ts';
import { defineRoute, lazySchema, named } from '../route.ts';
import { apiVersionField, CreateMeta, ListQuery, NameParam, UpdateMeta, listOut, objectOut, parseSelector, specOrEmpty } from '../schemas.ts';
import { withApiVersion } from '../../model/api-versions.ts';
import { getOr404, listResponse, replaceFromBody } from './common.ts';

const LoginBody = z.strictObject({ username: z.string().min(1).max(253), password: z.string().min(1).max(1024) });
const LoginOut = lazySchema(() => named('LoginResult', z.object({ token: z.string(), expiresAt: z.string(), user: z.string() })));
const WhoAmIOut = lazySchema(() => named('WhoAmI', z.object({ name: z.string(), groups: z.array(z.string()), clusterAdmin: z.boolean() })));
const UserOut = objectOut('User', userSpec, z.record(z.string(), z.unknown()));
const NewUserBody = z.strictObject({ name: dnsName, password: z.string().min(8, 'must be at least 8 characters').max(1024), fullName: z.string().max(256).optional() });
const GroupOut = objectOut('Group', groupSpec, z.record(z.string(), z.unknown()));
const GroupCreate = z.strictObject({ apiVersion: apiVersionField('Group'), kind: z.literal('Group').optional(), metadata: CreateMeta.omit({ project: true }), spec: specOrEmpty(groupSpec) });
const GroupReplace = z.strictObject({ apiVersion: apiVersionField('Group'), kind: z.literal('Group').optional(), metadata: UpdateMeta.omit({ project: true }), spec: specOrEmpty(groupSpec), status: z.unknown().optional() });

export function registerIdentityRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const tag = 'Identity';
  const throttle = new LoginThrottle(deps.store);
  defineRoute(
    app,
    deps,
    { method: 'post', path: '/api/v1/login', access: { kind: 'public' }, summary: 'Exchange a username and password for a bearer token (failed logins are throttled per username and address: 429 with Retry-After)', tag, body: LoginBody, response: LoginOut },
    async (c, { body }) => {
      const address = clientAddress(c);
      await throttle.check(body.username, address);
      try {
        const result = await deps.identity.login(body.username, body.password);
        await throttle.succeeded(body.username);
        return c.json(result);
      } catch (err) {
        if (err instanceof UnauthorizedError) {
          const locked = await throttle.failed(body.username, address);
          await audit(deps.store, { type: locked ? 'LoginLocked' : 'LoginFailed', user: body.username, address, message: locked ? `failed login for "${body.username}": further logins are refused for a while` : `failed login for "${body.username}"` }, undefined, (e) => deps.logger?.warn({ err: e }, 'audit event lost'));
        }
        throw err;
      }
    },
  );
  defineRoute(
    app,
    deps,
    { method: 'post', path: '/api/v1/logout', access: { kind: 'authenticated' }, summary: 'Revoke the bearer token of this request', tag, status: 204 },
    async (c) => {
      await deps.identity.logout(c.get('token'));
      return c.body(null, 204);
    },
  );
  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/whoami', access: { kind: 'authenticated' }, summary: 'Who the bearer token belongs to', tag, response: WhoAmIOut },
    async (c) => {
      const name = c.get('user');
      const [groups, clusterAdmin] = await Promise.all([deps.identity.groupsOf(name), deps.identity.isClusterAdmin(name)]);
      return c.json({ name, groups, clusterAdmin });
    },
  );

  const admin = { kind: 'cluster-admin' } as const;
  const userRef = (name: string) => ({ kind: 'User', project: '', name });
  defineRoute(app, deps, { method: 'get', path: '/api/v1/users', access: admin, summary: 'List users', tag, query: ListQuery, response: listOut('User', UserOut) }, async (c, { query }) =>
    c.json(listResponse('User', await deps.store.list('User', '', { limit: query.limit, continue: query.continue, labels: parseSelector(query.labelSelector) }))),
  );
  defineRoute(app, deps, { method: 'post', path: '/api/v1/users', access: admin, summary: 'Create a user with a password', tag, body: NewUserBody, response: UserOut, status: 201 }, async (c, { body }) =>
    c.json(await deps.identity.createUser(body.name, body.password, body.fullName), 201),
  );
  defineRoute(app, deps, { method: 'get', path: '/api/v1/users/{name}', access: admin, summary: 'Read a user', tag, params: NameParam, response: UserOut }, async (c, { params }) =>
    c.json(withApiVersion(await getOr404(deps.store, userRef(params.name)))),
  );
  defineRoute(app, deps, { method: 'delete', path: '/api/v1/users/{name}', access: admin, summary: 'Delete a user and revoke their tokens', tag, params: NameParam, status: 204 }, async (c, { params }) => {
    await deps.identity.deleteUser(params.name);
    return c.body(null, 204);
  });

  const groupRef = (name: string) => ({ kind: 'Group', project: '', name });
  defineRoute(app, deps, { method: 'get', path: '/api/v1/groups', access: admin, summary: 'List groups', tag, query: ListQuery, response: listOut('Group', GroupOut) }, async (c, { query }) =>
    c.json(listResponse('Group', await deps.store.list('Group', '', { limit: query.limit, continue: query.continue, labels: parseSelector(query.labelSelector) }))),
  );
  defineRoute(app, deps, { method: 'post', path: '/api/v1/groups', access: admin, summary: 'Create a group', tag, body: GroupCreate, response: GroupOut, status: 201 }, async (c, { body }) =>
    c.json(withApiVersion(await deps.store.create({ kind: 'Group', metadata: { name: body.metadata.name, project: '', labels: body.metadata.labels, annotations: body.metadata.annotations }, spec: body.spec }), body.apiVersion), 201),
  );
  defineRoute(app, deps, { method: 'get', path: '/api/v1/groups/{name}', access: admin, summary: 'Read a group', tag, params: NameParam, response: GroupOut }, async (c, { params }) =>
    c.json(withApiVersion(await getOr404(deps.store, groupRef(params.name)))),
  );
  defineRoute(app, deps, { method: 'put', path: '/api/v1/groups/{name}', access: admin, summary: "Replace a group's members", tag, params: NameParam, body: GroupReplace, response: GroupOut }, async (c, { params, body }) => {
    return c.json(withApiVersion(await replaceFromBody(deps, c.get('user'), groupRef(params.name), body), body.apiVersion));
  });
  defineRoute(app, deps, { method: 'delete', path: '/api/v1/groups/{name}', access: admin, summary: 'Delete a group', tag, params: NameParam, status: 204 }, async (c, { params }) => {
    await deps.store.delete(groupRef(params.name));
    return c.body(null, 204);
  });
}
