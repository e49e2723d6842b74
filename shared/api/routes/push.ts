// The push route of an API served by Node: a WebSocket on which a client names the paths it
// watches and is told when they change (shared/push/service.ts). On Lambda, API Gateway's
// WebSocket API serves the same protocol (functions/push) and this route is not served.
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { BerthError } from '../../errors.ts';
import type { LocalPush } from '../../push/local.ts';
import { PUSH_PATH } from '../../push/topics.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute } from '../route.ts';

export function registerPushRoutes(app: Hono<ApiEnv>, deps: ApiDeps, push: LocalPush, upgrade: NonNullable<ApiDeps['streams']>['upgradeWebSocket']): void {
  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: PUSH_PATH,
      access: { kind: 'authenticated' },
      summary: 'A WebSocket that tells of changes: send {"watch": PATH} (a list route of a project, or a build\'s log), get {"type":"changed","path":PATH} when it changes, then read it',
      tag: 'Watch',
    },
    async (c) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new BerthError(400, 'UpgradeRequired', 'push connections are WebSockets: send the request as a WebSocket upgrade');
      const connection = randomUUID();
      // The route's access check has already found whose token this is.
      await push.service.open(connection, c.get('user'));
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
