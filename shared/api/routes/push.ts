// Push connections (shared/push/service.ts): the tickets that open one where the client cannot
// send its token with the WebSocket handshake (a browser, the console), and, on an API served by
// Node, the push route itself: a WebSocket on which a client names the paths it watches and is
// told when they change. On Lambda, API Gateway's WebSocket API serves the same protocol
// (functions/push) and only the tickets are served here.
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import * as z from 'zod';
import { BerthError } from '../../errors.ts';
import type { LocalPush } from '../../push/local.ts';
import type { PushSubscriptions } from '../../push/subscriptions.ts';
import { PUSH_PATH } from '../../push/topics.ts';
import { bearerToken } from '../access.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema, named } from '../route.ts';

const tag = 'Watch';
const TicketOut = lazySchema(() =>
  named('PushTicket', z.object({ ticket: z.string(), expiresAt: z.string(), url: z.string().describe('the push URL with the ticket: open a WebSocket to it (relative to the API when it starts with /)') })),
);

/** `POST /api/v1/push/tickets`: a ticket for the caller, good for one connection within a minute. */
export function registerPushTicketRoute(app: Hono<ApiEnv>, deps: ApiDeps, push: { url: string; tickets: Pick<PushSubscriptions, 'issueTicket'> }): void {
  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: `${PUSH_PATH}/tickets`,
      access: { kind: 'authenticated' },
      summary: 'A ticket that opens one push connection within a minute, for a client that cannot send its token with the WebSocket handshake (a browser): open the answer\'s url',
      tag,
      status: 201,
      response: TicketOut,
    },
    async (c) => {
      const { ticket, expiresAt } = await push.tickets.issueTicket(c.get('user'));
      return c.json({ ticket, expiresAt, url: `${push.url}${push.url.includes('?') ? '&' : '?'}ticket=${ticket}` }, 201);
    },
  );
}

export function registerPushRoutes(app: Hono<ApiEnv>, deps: ApiDeps, push: LocalPush, upgrade: NonNullable<ApiDeps['streams']>['upgradeWebSocket']): void {
  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: PUSH_PATH,
      // The holder of a bearer token, or of a ticket (`?ticket=`), checked by the service below.
      access: { kind: 'public' },
      summary: 'A WebSocket that tells of changes, opened with a bearer token or `?ticket=` (POST /api/v1/push/tickets): send {"watch": PATH} (a list route of a project, its overview, or a build\'s log), get {"type":"changed","path":PATH} when it changes, then read it',
      tag,
    },
    async (c) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new BerthError(400, 'UpgradeRequired', 'push connections are WebSockets: send the request as a WebSocket upgrade');
      const connection = randomUUID();
      await push.service.connect(connection, { token: bearerToken(c.req.header('Authorization')), ticket: c.req.query('ticket') });
      // Messages are answered in the order they came.
      let queue: Promise<unknown> = Promise.resolve();
      const middleware = upgrade(() => ({
        onOpen(_event, ws) {
          push.sockets.add(connection, { send: (data) => ws.send(data) });
        },
        onMessage(event, ws) {
          const raw = typeof event.data === 'string' ? event.data : '';
          queue = queue.then(async () => ws.send(JSON.stringify(await push.service.receive(connection, raw)))).catch((err) => deps.logger?.warn({ err }, 'push: a message failed'));
        },
        onClose() {
          push.sockets.remove(connection);
          queue = queue.then(() => push.service.disconnect(connection)).catch((err) => deps.logger?.warn({ err }, 'push: forgetting a connection failed'));
        },
      }));
      const res = await middleware(c, async () => {});
      if (!res) {
        await push.service.disconnect(connection);
        throw new BerthError(400, 'UpgradeRequired', 'the WebSocket upgrade was not accepted');
      }
      return res;
    },
  );
}
