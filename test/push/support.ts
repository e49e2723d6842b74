// A test API served as on Lambda (watches answered at once) with push connections: a real HTTP
// server taking WebSocket upgrades, the table's DynamoDB Local stream read by the stream handler
// that tells the connections, and clients that connect with a token and collect what they are sent.
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { serve, type ServerType } from '@hono/node-server';
import WebSocket from 'ws';
import { DynamoRateLimiter } from '../../shared/api/rate-limit.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { createApi } from '../../shared/api/app.ts';
import { nodeStreams } from '../../shared/api/node-websocket.ts';
import { StreamPoller } from '../../shared/local/stream-poller.ts';
import { localPush, type LocalPush } from '../../shared/push/local.ts';
import { PUSH_PATH, type PushMessage } from '../../shared/push/topics.ts';
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import { testApi, type TestApi } from '../support/api.ts';

export interface PushClient {
  /** Every message received so far. */
  received: PushMessage[];
  /** Sends a request and resolves with the next reply to it (a message that is not a `changed` notice). */
  ask(body: unknown): Promise<PushMessage>;
  /** Waits until a `changed` notice for `path` has arrived; false if none came within `ms`. */
  told(path: string, ms?: number): Promise<boolean>;
  close(): void;
}

export interface PushApi {
  api: TestApi;
  /** The app served, with push connections (api.app and api.call are the same API without them). */
  app: ReturnType<typeof createApi>;
  push: LocalPush;
  /** The WebSocket URL of the push route. */
  url: string;
  /** Opens a push connection with this token (or ticket, in the query string as a browser sends it); rejects with the HTTP status when refused. */
  connect(auth: string | undefined | { ticket: string }): Promise<PushClient>;
  close(): Promise<void>;
}

/**
 * `perMinute`: the API's rate limit per user, which push messages count against too (none when
 * not given). `tableLogs`: builds' logs in the table, followed as on Lambda (answered at once), so
 * that their appends are told.
 */
export async function startPushApi(opts: { perMinute?: number; tableLogs?: boolean } = {}): Promise<PushApi> {
  const ws = nodeStreams();
  const api = await testApi({ watch: { maxSeconds: 0, pollMs: 50 }, streams: ws.streams });
  const rateLimit = opts.perMinute ? new DynamoRateLimiter({ client: api.client, tableName: api.tableName, perMinute: opts.perMinute }) : undefined;
  const push = localPush({ client: api.client, tableName: api.tableName, store: api.store, identity: api.identity, ...(rateLimit ? { rateLimit } : {}) });
  // The app made again with the push service, over the same table and identity.
  const builds = opts.tableLogs ? { ...api.builds, logs: new DynamoBuildLogs({ client: api.client, tableName: api.tableName }), followMs: 0 } : api.builds;
  const app = createApi({ store: api.store, identity: api.identity, builds, fleet: { containersFor: () => undefined }, watch: { maxSeconds: 0, pollMs: 50 }, streams: ws.streams, watchPush: { url: push.url, local: push, tickets: push.subscriptions } });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (req, ...rest) => app.fetch(req, ...rest), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  ws.attach(app, server);
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${PUSH_PATH}`;
  const streams = new DynamoDBStreamsClient({ endpoint: api.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const poller = new StreamPoller({ client: streams, streamArn: api.streamArn, handler: createStreamHandler([], { push: push.service }) });
  await poller.start();
  const clients: WebSocket[] = [];
  return {
    api,
    app,
    push,
    url,
    connect: (auth) =>
      new Promise((resolve, reject) => {
        const socket = typeof auth === 'object' ? new WebSocket(`${url}?ticket=${encodeURIComponent(auth.ticket)}`) : new WebSocket(url, { headers: auth ? { Authorization: `Bearer ${auth}` } : {} });
        clients.push(socket);
        const received: PushMessage[] = [];
        const replies: ((m: PushMessage) => void)[] = [];
        socket.on('message', (data) => {
          const m = JSON.parse(String(data)) as PushMessage;
          received.push(m);
          if (m.type !== 'changed') replies.shift()?.(m);
        });
        socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
        socket.once('error', reject);
        socket.once('open', () =>
          resolve({
            received,
            ask: (body) => new Promise((r) => (replies.push(r), socket.send(JSON.stringify(body)))),
            async told(path, ms = 10_000) {
              const until = Date.now() + ms;
              while (Date.now() < until) {
                if (received.some((m) => m.type === 'changed' && m.path === path)) return true;
                await sleep(20);
              }
              return false;
            },
            close: () => socket.close(),
          }),
        );
      }),
    async close() {
      for (const c of clients) c.terminate();
      await poller.stop();
      streams.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A push API with a user "owner" who made `project`; the owner's token beside it. */
export async function startPushApiWithProject(project: string, opts: Parameters<typeof startPushApi>[0] = {}): Promise<{ p: PushApi; owner: string }> {
  const p = await startPushApi(opts);
  const owner = await p.api.user('owner');
  const made = await p.api.call('POST', '/api/v1/projects', owner, { metadata: { name: project }, spec: {} });
  if (made.status !== 201) throw new Error(`project ${project}: ${made.status} ${JSON.stringify(made.body)}`);
  return { p, owner };
}
