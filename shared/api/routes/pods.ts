// Streams into a pod's container, served where the API can reach the hosts' engines (the
// all-in-one platform): its log (read, or followed as a chunked response; `view` may), and a
// command with its streams over WebSocket (exec and rsh; `edit` may). A pod is named within its
// project only: another project's pod is a 404 like any object. Each session is audited.
import { type Duplex, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { WSContext } from 'hono/ws';
import type { WebSocket } from 'ws';
import * as z from 'zod';
import type { Pod } from '../../model/objects.ts';
import { BerthError, ConflictError } from '../../errors.ts';
import type { HostSpec } from '../../model/deploy-kinds.ts';
import type { BerthObject } from '../../model/types.ts';
import type { ExecSession, PodContainers } from '../../fleet/ports.ts';
import { auditPodSession, openAudited } from '../../events/audit.ts';
import { TUNNEL_REFUSED, joinTunnel } from '../../streams/tunnel.ts';
import { CHANNEL, frame, parseResize, unframe, type StreamStatus } from '../../streams/channels.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, documented } from '../route.ts';
import { ProjectNameParam } from '../schemas.ts';
import { getOr404 } from './common.ts';

const flag = z
  .enum(['1', '0', 'true', 'false'])
  .optional()
  .transform((v) => v === '1' || v === 'true');

const PodLogQuery = z.object({
  tail: documented(z.coerce.number().int().min(0).max(100_000).optional(), { description: 'Only the last lines' }),
  follow: documented(flag, { description: 'Keep streaming new lines until the container stops or the client goes' }),
  sinceSeconds: documented(z.coerce.number().int().min(1).max(10 * 365 * 86_400).optional(), { description: 'Only lines of the last seconds' }),
  previous: documented(flag, { description: 'The container before the last restart' }),
  cursor: documented(z.string().min(1).max(4096).optional(), {
    description: 'Where a polled follow reads on from: the X-Log-Cursor of the previous answer (where answers are not streamed; X-Log-Ended says the container has stopped)',
  }),
});

const PortForwardQuery = z.object({
  port: documented(z.coerce.number().int().min(1).max(65_535), { description: "The pod's TCP port to reach" }),
});

const ExecQuery = z.object({
  command: documented(
    z.union([z.string().min(1), z.array(z.string()).min(1)]).transform((c) => (Array.isArray(c) ? c : [c])),
    { description: 'The command and its arguments, one `command=` each' },
  ),
  stdin: documented(flag, { description: 'Attach the command’s stdin (channel 0)' }),
  tty: documented(flag, { description: 'Give the command a terminal (resize on channel 4)' }),
});

type Fleet = NonNullable<ApiDeps['fleet']>;

/** The pod's containers on its host, or the reason they cannot be reached from here. */
async function hostOf(deps: ApiDeps, fleet: Fleet, project: string, name: string): Promise<PodContainers> {
  const pod = await getOr404<Pod>(deps.store, { kind: 'Pod', project, name });
  if (!pod.spec.host) throw new ConflictError(`pod ${name} is not on a host yet`, `see why with: berth describe pod/${name}`);
  const host = await deps.store.get<BerthObject<HostSpec, unknown>>({ kind: 'Host', project: '', name: pod.spec.host });
  const containers = host ? fleet.containersFor(host) : undefined;
  if (!containers) throw new BerthError(501, 'StreamsNotAvailable', `pod ${name}'s host ${pod.spec.host} cannot be reached from this API`);
  return containers;
}

export function registerPodRoutes(app: Hono<ApiEnv>, deps: ApiDeps, fleet: Fleet): void {
  // The pod and its host are read beside the caller's authorisation (RouteDef's prefetch), not after it.
  const prefetch = (c: Context<ApiEnv>) => hostOf(deps, fleet, c.req.param('project') ?? '', c.req.param('name') ?? '');
  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/projects/{project}/pods/{name}/log', access: { kind: 'project', verb: 'get', resource: 'app' }, summary: "Read or follow a pod's container output", tag: 'Pod', params: ProjectNameParam, query: PodLogQuery, prefetch },
    async (c, { params, query, prefetched }) => {
      const containers = await prefetched;
      if (!containers.streamLogs) throw new BerthError(501, 'LogsNotAvailable', `the log of pod ${params.name} cannot be read from its host here`);
      const opts = { follow: query.follow, previous: query.previous, ...(query.tail !== undefined ? { tail: query.tail } : {}), ...(query.sinceSeconds ? { sinceSeconds: query.sinceSeconds } : {}) };
      c.header('Cache-Control', 'no-store');
      if (containers.pollLogs && (query.follow || query.cursor)) {
        // Answers are not streamed here: the client polls on from the cursor. The follow is audited once, at its first read.
        const page = await containers.pollLogs(params.project, params.name, { ...opts, ...(query.cursor ? { cursor: query.cursor } : {}) });
        if (!query.cursor) await auditPodSession(deps.store, { project: params.project, pod: params.name, user: c.get('user'), action: 'logs', detail: 'followed the log' });
        if (page.cursor) c.header('X-Log-Cursor', page.cursor);
        c.header('X-Log-Ended', String(page.ended));
        c.header('Content-Type', 'text/plain; charset=utf-8');
        return c.body(page.text);
      }
      if (query.cursor) throw new BerthError(400, 'BadCursor', 'a log cursor is only taken where the log is followed by polling', { suggestion: 'read the log with follow=1' });
      const log = await containers.streamLogs(params.project, params.name, opts);
      if (query.follow) await auditPodSession(deps.store, { project: params.project, pod: params.name, user: c.get('user'), action: 'logs', detail: 'followed the log' });
      c.header('Content-Type', 'text/plain; charset=utf-8');
      return c.body(Readable.toWeb(log) as ReadableStream);
    },
  );

  const upgrade = deps.streams?.upgradeWebSocket;
  if (!upgrade) return;
  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: '/api/v1/projects/{project}/pods/{name}/exec',
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: "Run a command in a pod's container, its streams over a WebSocket (channels: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize)",
      tag: 'Pod',
      params: ProjectNameParam,
      query: ExecQuery,
      prefetch,
    },
    async (c, { params, query, prefetched }) => {
      // Checked before the upgrade: a plain GET gets the reason a refused upgrade does not carry.
      const containers = await prefetched;
      if (!containers.openExec) throw new BerthError(501, 'ExecNotAvailable', `commands cannot be run in pod ${params.name} from here`);
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new BerthError(400, 'UpgradeRequired', 'exec streams over a WebSocket: send the request as a WebSocket upgrade', { suggestion: 'use `berth exec` or `berth rsh`' });
      const session = await openAudited(
        containers.openExec(params.project, params.name, { command: query.command, stdin: query.stdin, tty: query.tty }),
        auditPodSession(deps.store, { project: params.project, pod: params.name, user: c.get('user'), action: 'exec', detail: query.command.join(' ') }),
        (s) => s.close(),
      );
      return serveSession(c, upgrade, session);
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: '/api/v1/projects/{project}/pods/{name}/portforward',
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: "One TCP connection to a pod's port, its bytes as binary WebSocket messages both ways; without an upgrade, checks that the pod's port may be reached from here",
      tag: 'Pod',
      params: ProjectNameParam,
      query: PortForwardQuery,
      prefetch,
    },
    async (c, { params, query, prefetched }) => {
      const containers = await prefetched;
      if (!containers.connectPort) throw new BerthError(501, 'PortForwardNotAvailable', `the ports of pod ${params.name} cannot be reached from here`);
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return c.json({ pod: params.name, port: query.port });
      let socket: Duplex;
      try {
        socket = await containers.connectPort(params.project, params.name, query.port);
      } catch (err) {
        // A refused upgrade carries no body: the reason goes as the close of an accepted one.
        if (err instanceof BerthError) return refuseTunnel(c, upgrade, err);
        throw err;
      }
      await auditPodSession(deps.store, { project: params.project, pod: params.name, user: c.get('user'), action: 'port-forward', detail: `port ${query.port}` }).catch((err) => {
        socket.destroy();
        throw err;
      });
      return serveTunnel(c, upgrade, socket);
    },
  );
}

/** Accepts the upgrade and closes at once with TUNNEL_REFUSED and the error's message (cut to the 123 bytes a close reason holds). */
async function refuseTunnel(c: Context<ApiEnv>, upgrade: Upgrade, err: BerthError): Promise<Response> {
  const reason = Buffer.from(err.message).subarray(0, 123).toString('utf8').replace(/\uFFFD$/, '');
  const res = await upgrade(() => ({ onOpen: (_event, ws) => ws.close(TUNNEL_REFUSED, reason) }))(c, async () => {});
  if (!res) throw err;
  return res;
}

/** Joins the pod's TCP connection to the WebSocket (shared/streams/tunnel.ts). */
async function serveTunnel(c: Context<ApiEnv>, upgrade: Upgrade, socket: Duplex): Promise<Response> {
  const middleware = upgrade(() => ({
    onOpen(_event, ws) {
      joinTunnel(socket, ws.raw as WebSocket);
    },
    onClose() {
      socket.destroy();
    },
  }));
  return accept(c, middleware, () => socket.destroy());
}

type Upgrade = NonNullable<ApiDeps['streams']>['upgradeWebSocket'];

/** Joins a running command to the WebSocket: output out as channels 1 and 2, then the status; input in. */
async function serveSession(c: Context<ApiEnv>, upgrade: Upgrade, session: ExecSession): Promise<Response> {
  const middleware = upgrade(() => ({
    onOpen(_event, ws) {
      session.stdout.on('data', (d: Buffer) => ws.send(frame(CHANNEL.stdout, d)));
      session.stderr.on('data', (d: Buffer) => ws.send(frame(CHANNEL.stderr, d)));
      // The status goes last: after the output has gone, all of it.
      Promise.all([session.exitCode, finished(session.stdout), finished(session.stderr)]).then(
        ([exitCode]) => finish(ws, { exitCode }),
        (err: Error) => finish(ws, { error: err.message }),
      );
    },
    onMessage(event) {
      if (typeof event.data === 'string') return;
      const m = unframe(new Uint8Array(event.data as ArrayBuffer));
      if (m?.channel === CHANNEL.stdin) {
        // An empty stdin message is the end of input.
        if (m.data.byteLength === 0) session.endInput();
        else session.write(m.data);
      } else if (m?.channel === CHANNEL.resize) {
        const size = parseResize(m.data);
        if (size) void session.resize(size);
      }
    },
    onClose() {
      session.close();
    },
  }));
  return accept(c, middleware, () => session.close());
}

/** The upgrade's 101 answer; when the upgrade is not accepted, `drop` lets go of what was opened for it, and the answer is a 400. */
async function accept(c: Context<ApiEnv>, middleware: MiddlewareHandler<any, string, { outputFormat: 'ws' }>, drop: () => void): Promise<Response> {
  const res = await middleware(c, async () => {});
  if (!res) {
    drop();
    throw new BerthError(400, 'UpgradeRequired', 'the WebSocket upgrade was not accepted');
  }
  return res;
}

function finish(ws: WSContext, status: StreamStatus): void {
  ws.send(frame(CHANNEL.status, JSON.stringify(status)));
  ws.close(1000);
}
