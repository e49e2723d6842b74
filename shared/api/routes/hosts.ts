// The fleet's container hosts, read-only and for cluster-admins only (as OpenShift's nodes):
// hosts register themselves through their agents, and their capacity, readiness and the room
// promised to pods are the platform's to write.
import type { Hono } from 'hono';
import { hostSpec, hostStatus } from '../../model/deploy-kinds.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute } from '../route.ts';
import { ListQuery, NameParam, listOut, objectOut, parseSelector } from '../schemas.ts';
import { getOr404, listResponse } from './common.ts';

const HostOut = objectOut('Host', hostSpec, hostStatus.partial());

export function registerHostRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const tag = 'Hosts';
  const admin = { kind: 'cluster-admin' } as const;
  defineRoute(app, deps, { method: 'get', path: '/api/v1/hosts', access: admin, summary: 'List the container hosts', tag, query: ListQuery, response: listOut('Host', HostOut) }, async (c, { query }) =>
    c.json(listResponse('Host', await deps.store.list('Host', '', { limit: query.limit, continue: query.continue, labels: parseSelector(query.labelSelector) }))),
  );
  defineRoute(app, deps, { method: 'get', path: '/api/v1/hosts/{name}', access: admin, summary: 'Read a container host', tag, params: NameParam, response: HostOut }, async (c, { params }) =>
    c.json(await getOr404(deps.store, { kind: 'Host', project: '', name: params.name })),
  );
}

