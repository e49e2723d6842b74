// Sessions into pods brokered by the platform's cloud, where the API holds no streams itself (the
// Lambda API on AWS): `POST .../exec` and `POST .../portforward` authorise as the WebSocket routes
// do (`edit`; a pod of another project is a 404 like any object, found before any call to the
// cloud), record the audit event, and answer with the session the client joins (ECS Exec through
// Session Manager: its stream URL and token). The WebSocket routes stay the all-in-one's.
import type { Hono } from 'hono';
import * as z from 'zod';
import type { Pod } from '../../model/objects.ts';
import type { PodSessionBroker } from '../../fleet/ports.ts';
import { ConflictError } from '../../errors.ts';
import { auditPodSession } from '../../events/audit.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, documented, named } from '../route.ts';
import { ProjectNameParam } from '../schemas.ts';
import { getOr404 } from './common.ts';

const ExecBody = named(
  'PodExecSessionRequest',
  z.strictObject({
    command: documented(z.array(z.string().min(1).max(4096).regex(/^[^\0]*$/, 'an argument cannot hold a NUL character')).min(1).max(256), { description: 'The command and its arguments' }),
    stdin: documented(z.boolean().optional(), { description: 'The client will send input (a session always takes it; kept for the CLI’s symmetry)' }),
    tty: documented(z.boolean().optional(), { description: 'Give the command a terminal; without one, terminal echo is turned off' }),
  }),
);

const PortForwardBody = named(
  'PodPortForwardSessionRequest',
  z.strictObject({ port: documented(z.number().int().min(1).max(65_535), { description: "The pod's TCP port to reach" }) }),
);

/** The pod, found in its project (a 404 otherwise), and placed on a host. */
async function placedPod(deps: ApiDeps, project: string, name: string): Promise<Pod> {
  const pod = await getOr404<Pod>(deps.store, { kind: 'Pod', project, name });
  if (!pod.spec.host) throw new ConflictError(`pod ${name} is not on a host yet`, `see why with: berth describe pod/${name}`);
  return pod;
}

/** What a GET of the exec or portforward path answers where sessions are brokered: the client then POSTs for its session. */
export const BROKERED = 'brokered';

export function registerPodSessionRoutes(app: Hono<ApiEnv>, deps: ApiDeps, broker: PodSessionBroker): void {
  // Where the API holds no WebSockets, a GET of either path (what the CLI tries first) says how
  // sessions are had here, after the same checks: `edit`, the pod in this project and placed.
  if (!deps.streams) {
    for (const kind of ['exec', 'portforward'] as const) {
      defineRoute(
        app,
        deps,
        {
          method: 'get',
          path: `/api/v1/projects/{project}/pods/{name}/${kind}`,
          access: { kind: 'project', verb: 'create', resource: 'app' },
          summary: `Whether a ${kind} session into the pod may be had, and how: {transport: "brokered"} means POST to this path for one`,
          tag: 'Pod',
          params: ProjectNameParam,
        },
        async (c, { params }) => {
          await placedPod(deps, params.project, params.name);
          return c.json({ pod: params.name, transport: BROKERED });
        },
      );
    }
  }
  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/projects/{project}/pods/{name}/exec',
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: "Open a command session in a pod's container through the platform's cloud (ECS Exec): the client joins it at streamUrl with tokenValue",
      tag: 'Pod',
      params: ProjectNameParam,
      body: ExecBody,
      status: 201,
    },
    async (c, { params, body }) => {
      await placedPod(deps, params.project, params.name);
      const session = await broker.exec(params.project, params.name, { command: body.command, tty: body.tty ?? false });
      await auditPodSession(deps.store, { project: params.project, pod: params.name, user: c.get('user'), action: 'exec', detail: `${body.command.join(' ')} (session ${session.sessionId})` });
      return c.json(session, 201);
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/projects/{project}/pods/{name}/portforward',
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: "Open a session forwarding one TCP connection to a pod's port through the platform's cloud (Session Manager)",
      tag: 'Pod',
      params: ProjectNameParam,
      body: PortForwardBody,
      status: 201,
    },
    async (c, { params, body }) => {
      await placedPod(deps, params.project, params.name);
      const session = await broker.portForward(params.project, params.name, body.port);
      await auditPodSession(deps.store, { project: params.project, pod: params.name, user: c.get('user'), action: 'port-forward', detail: `port ${body.port} (session ${session.sessionId})` });
      return c.json(session, 201);
    },
  );
}
