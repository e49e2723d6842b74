// A pod's log: the output of its container, read from the host it runs on. Served where the API
// can reach the hosts' engines (the all-in-one platform); anyone who may read the pod may read it.
import type { Hono } from 'hono';
import * as z from 'zod';
import type { Pod } from '../../model/objects.ts';
import { BerthError, ConflictError } from '../../errors.ts';
import type { HostSpec } from '../../model/deploy-kinds.ts';
import type { BerthObject } from '../../model/types.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, documented } from '../route.ts';
import { ProjectNameParam } from '../schemas.ts';
import { getOr404 } from './common.ts';

const PodLogQuery = z.object({
  tail: documented(z.coerce.number().int().min(1).max(100_000).optional(), { description: 'Only the last lines' }),
});

export function registerPodRoutes(app: Hono<ApiEnv>, deps: ApiDeps, fleet: NonNullable<ApiDeps['fleet']>): void {
  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/projects/{project}/pods/{name}/log', access: { kind: 'project', verb: 'get', resource: 'app' }, summary: "Read a pod's container output", tag: 'Pod', params: ProjectNameParam, query: PodLogQuery },
    async (c, { params, query }) => {
      const pod = await getOr404<Pod>(deps.store, { kind: 'Pod', project: params.project, name: params.name });
      if (!pod.spec.host) throw new ConflictError(`pod ${params.name} is not on a host yet`, `see why with: berth describe pod/${params.name}`);
      const host = await deps.store.get<BerthObject<HostSpec, unknown>>({ kind: 'Host', project: '', name: pod.spec.host });
      const containers = host ? fleet.containersFor(host) : undefined;
      if (!containers?.logs) throw new BerthError(501, 'LogsNotAvailable', `the log of pod ${params.name} cannot be read from its host ${pod.spec.host} here`);
      return c.text(await containers.logs(params.project, params.name, query.tail ? { tail: query.tail } : {}));
    },
  );
}
