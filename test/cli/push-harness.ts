// The CLI against an API served as on Lambda: watches answered at once, a followed build log
// answered with what is there (no stream), build logs in the table (DynamoBuildLogs) — and, when
// asked, push connections at the API's own WebSocket route, told of changes the real way: the
// table's DynamoDB Local stream read by the StreamPoller into the stream handler.
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { createApi } from '../../shared/api/app.ts';
import { nodeStreams } from '../../shared/api/node-websocket.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { StreamPoller } from '../../shared/local/stream-poller.ts';
import { localPush, type LocalPush } from '../../shared/push/local.ts';
import type { Watcher } from '../../shared/push/subscriptions.ts';
import type { PushMessage } from '../../shared/push/topics.ts';
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import { PYTHON } from './build-harness.ts';
import { startCli, type CliHarness } from './harness.ts';

export interface PushCli extends CliHarness {
  /** Every HTTP request served, as `METHOD path?query`. */
  requests: string[];
  /** WebSocket upgrades asked for, by path. */
  upgrades: string[];
  logs: DynamoBuildLogs;
  push: LocalPush;
  /** Every notice sent on a push connection, as sent. */
  notices: PushMessage[];
  /** The connections watching something in `project`, as the table has them. */
  watchers(project: string): Promise<Watcher[]>;
  stop(): Promise<void>;
}

/**
 * `pushAt`: what X-Berth-Push says (PUSH_PATH where the route is), or nothing: no push offered.
 * `pathOnly`: lists' notices are sent without the objects they carry, as the platform sends a
 * notice too large for one message or of a kind it does not carry.
 */
export async function startPushCli(pushAt?: string, opts: { pathOnly?: boolean } = {}): Promise<PushCli> {
  const requests: string[] = [];
  const upgrades: string[] = [];
  const ws = nodeStreams();
  let push!: LocalPush;
  let logs!: DynamoBuildLogs;
  let app!: ReturnType<typeof createApi>;
  const h = await startCli(
    (api) => {
      push = localPush({ client: api.client, tableName: api.tableName, store: api.store, identity: api.identity });
      logs = new DynamoBuildLogs({ client: api.client, tableName: api.tableName });
      app = createApi({
        store: api.store,
        identity: api.identity,
        builds: { logs, sources: api.builds.sources, followMs: 0 },
        builderImages: [PYTHON],
        buildPolicy: { git: { allowLocal: true } },
        watch: { maxSeconds: 0, pollMs: 50 },
        streams: ws.streams,
        ...(pushAt ? { watchPush: { url: pushAt, local: push } } : {}),
      });
      return {
        fetch: (request: Request) => {
          const url = new URL(request.url);
          requests.push(`${request.method} ${url.pathname}${url.search}`);
          return app.fetch(request);
        },
      };
    },
    {},
    (server) =>
      ws.attach(
        {
          request: (input, ...rest) => {
            upgrades.push(new URL(String(input)).pathname);
            return app.request(input, ...rest);
          },
        },
        server,
      ),
  );
  const notices: PushMessage[] = [];
  const send = push.sockets.send.bind(push.sockets);
  push.sockets.send = (connection, message) => {
    const sent = opts.pathOnly && message.type === 'changed' && message.objects ? { type: 'changed' as const, path: message.path } : message;
    notices.push(sent);
    return send(connection, sent);
  };
  const streamsClient = new DynamoDBStreamsClient({ endpoint: h.api.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const poller = new StreamPoller({ client: streamsClient, streamArn: h.api.streamArn, handler: createStreamHandler([], { push: push.service }) });
  await poller.start();
  return Object.assign(h, {
    requests,
    upgrades,
    notices,
    logs,
    push,
    watchers: (project: string) => push.subscriptions.watchersOf(project),
    async stop() {
      await poller.stop();
      streamsClient.destroy();
      await h.close();
    },
  });
}
