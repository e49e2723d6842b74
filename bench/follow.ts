// `npm run bench -- follow [--log-seconds=N] [--quiet-seconds=N] [--steps=N]`: what it costs to
// follow a build and a rollout where the API answers at once (Lambda's settings: a held second is
// billed), the CLI polling every second against the CLI told by a push connection.
//
// On DynamoDB Local, the API over one table as on Lambda (watches answered at once, a build's
// log follow answered with what is there, the log in the table), served by Node with its
// WebSocket push route; the table's stream read as Lambda's trigger reads it (STREAM_FILTER,
// STREAM_SETTINGS) and handed to the stream handler, which tells the push connections. A build
// prints a line a second for --log-seconds, is quiet for --quiet-seconds (an image pushed), then
// completes, while `berth logs -f` follows it; then a rollout takes --steps changes of its
// replication controller, two seconds apart, while `berth rollout status` follows it. Counted for
// each way of following: the CLI's API requests, the API's DynamoDB units, and with push the
// connection's messages both ways, the notices, the stream function's extra invocations (batches
// of log records only) and the DynamoDB units of telling.
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { serve, type ServerType } from '@hono/node-server';
import { STREAM_SETTINGS } from '../infra/stacks/control-plane-stack.ts';
import { createApi } from '../shared/api/app.ts';
import { DynamoRateLimiter } from '../shared/api/rate-limit.ts';
import { nodeStreams } from '../shared/api/node-websocket.ts';
import { LAMBDA_WATCH } from '../shared/api/watch-route.ts';
import { Identity } from '../shared/auth/identity.ts';
import { DynamoBuildLogs } from '../shared/builds/dynamo-logs.ts';
import { FileSourceArchives } from '../shared/builds/local-adapters.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import { localPush } from '../shared/push/local.ts';
import { createStreamHandler } from '../shared/reconcile/stream.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { patchStatus } from '../shared/store/patch.ts';
import { ensureTable } from '../shared/store/table.ts';
import { runCli } from '../test/cli/harness.ts';
import { Meter, metered } from './_metering.ts';
import { LambdaStreamTrigger, PRICES } from './cost.ts';
import type { BenchResult } from './run.ts';

const PROJECT = 'shop';
const PASSWORD = 'bench-password-1';

/** What following cost, one way. */
export interface Following {
  how: 'polling' | 'push';
  /** API requests of the CLI while following the build's log, and the rollout. */
  buildRequests: number;
  rolloutRequests: number;
  /** The API's DynamoDB units for them (authentication, authorisation and the reads). */
  apiRru: number;
  apiWru: number;
  /** Push only: connections opened, messages the client sent, notices it was sent. */
  connections: number;
  sent: number;
  notices: number;
  /** Push only: the stream function's invocations for batches of build log records alone, and the units telling took. */
  logInvocations: number;
  pushRru: number;
  pushWru: number;
  /** Lines the CLI printed of those the build wrote (all of them, or the run is void). */
  linesSeen: number;
}

async function follow(endpoint: string, how: 'polling' | 'push', opts: { logSeconds: number; quietSeconds: number; steps: number }): Promise<Following> {
  const tableName = `follow-${how}`;
  const streamArn = await ensureTable(createDynamoClient({ endpoint }), tableName);
  const apiMeter = new Meter();
  const pushMeter = new Meter();
  const apiClient = metered(createDynamoClient({ endpoint }), apiMeter);
  const pushClient = metered(createDynamoClient({ endpoint }), pushMeter);
  const setup = new DynamoObjectStore({ client: createDynamoClient({ endpoint }), tableName });
  const store = new DynamoObjectStore({ client: apiClient, tableName });
  const identity = new Identity(store);
  const pushStore = new DynamoObjectStore({ client: pushClient, tableName });
  const push = localPush({ client: pushClient, tableName, store: pushStore, identity: new Identity(pushStore), rateLimit: new DynamoRateLimiter({ client: pushClient, tableName }) });
  let notices = 0;
  let sent = 0;
  let connections = 0;
  const send = push.sockets.send.bind(push.sockets);
  push.sockets.send = async (c, m) => (notices++, send(c, m));
  const receive = push.service.receive.bind(push.service);
  push.service.receive = async (c, raw) => (sent++, receive(c, raw));
  // Counted where every connection is opened: the API's own route calls open(), and so does connect() (the AWS push function).
  const open = push.service.open.bind(push.service);
  push.service.open = async (c, u) => (connections++, open(c, u));
  const ws = nodeStreams();
  // The API reads the log through its metered client; the builder writes it through its own.
  const logs = new DynamoBuildLogs({ client: apiClient, tableName });
  const builderLogs = new DynamoBuildLogs({ client: createDynamoClient({ endpoint }), tableName });
  const app = createApi({
    store, identity, fleet: { containersFor: () => undefined },
    builds: { logs, sources: new FileSourceArchives(mkdtempSync(join(tmpdir(), 'berth-bench-follow-'))), followMs: 0 },
    watch: LAMBDA_WATCH,
    // Counted per request as on AWS: one write unit each.
    rateLimit: new DynamoRateLimiter({ client: apiClient, tableName }),
    streams: ws.streams,
    ...(how === 'push' ? { watchPush: { url: push.url, local: push } } : {}),
  });
  let requests = 0;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (req, ...rest) => (requests++, app.fetch(req, ...rest)), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  ws.attach(app, server);
  const streams = new DynamoDBStreamsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const handler = createStreamHandler([], how === 'push' ? { push: push.service } : {});
  let logInvocations = 0;
  const trigger = new LambdaStreamTrigger(streams, streamArn, async (event) => {
    if (event.Records.every((r) => r.dynamodb?.Keys?.pk?.S?.startsWith('L#'))) logInvocations++;
    return handler(event);
  }, STREAM_SETTINGS.maxBatchingWindow!.toMilliseconds(), STREAM_SETTINGS.batchSize);
  await trigger.start();
  try {
    await identity.createUser('dev', PASSWORD);
    const home = mkdtempSync(join(tmpdir(), 'berth-bench-follow-home-'));
    const env = { BERTH_CONFIG: join(home, 'config.json'), HOME: home };
    const cli = (...argv: string[]) => runCli(argv, env);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if ((await cli('login', url, '-u', 'dev', '-p', PASSWORD)).code !== 0) throw new Error('login failed');
    if ((await cli('new-project', PROJECT)).code !== 0) throw new Error('new-project failed');
    const build = { kind: 'Build', project: PROJECT, name: 'web-1' };
    await setup.create({ kind: 'Build', metadata: { name: 'web-1', project: PROJECT, labels: { buildconfig: 'web' } }, spec: { strategy: { type: 'Source' } }, status: { phase: 'Running' } } as never);

    // The build: a line a second, a quiet spell, Complete; `berth logs -f` follows it.
    apiMeter.reset();
    requests = 0;
    const following = cli('logs', '-f', 'build/web-1', '-n', PROJECT);
    for (let i = 0; i < opts.logSeconds; i++) {
      await sleep(1000);
      await builderLogs.append(build, `line ${i}\n`);
    }
    await sleep(opts.quietSeconds * 1000);
    await patchStatus(setup, build, (b: any) => ({ ...b.status, phase: 'Complete' }));
    const followed = await following;
    if (followed.code !== 0) throw new Error(`logs -f: ${followed.stderr}`);
    const buildRequests = requests;
    const linesSeen = followed.stdout.split('\n').filter((l) => l.startsWith('line ')).length;

    // The rollout: its RC changes --steps times, two seconds apart, then completes.
    await setup.create({ kind: 'DeploymentConfig', metadata: { name: 'web', project: PROJECT }, spec: { replicas: opts.steps, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/shop/web@sha256:1' }] } } }, status: { latestVersion: 1 } } as never);
    const rc = { kind: 'ReplicationController', project: PROJECT, name: 'web-1' };
    // As the rollout's first write leaves it: Running, with the count it heads for (status.desiredReplicas).
    await setup.create({ kind: 'ReplicationController', metadata: { name: 'web-1', project: PROJECT, labels: { deploymentconfig: 'web' }, annotations: { 'openshift.io/deployment-config.latest-version': '1' } }, spec: { replicas: opts.steps, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x' }] } } }, status: { phase: 'Running', availableReplicas: 0, desiredReplicas: opts.steps } } as never);
    requests = 0;
    const rolling = cli('rollout', 'status', 'dc/web', '-n', PROJECT);
    for (let i = 1; i <= opts.steps; i++) {
      await sleep(2000);
      await patchStatus(setup, rc, (r: any) => ({ ...r.status, availableReplicas: i, ...(i === opts.steps ? { phase: 'Complete' } : {}) }));
    }
    const rolled = await rolling;
    if (rolled.code !== 0) throw new Error(`rollout status: ${rolled.stderr}`);
    const rolloutRequests = requests;
    await sleep(2 * STREAM_SETTINGS.maxBatchingWindow!.toMilliseconds() + 500);
    return {
      how, buildRequests, rolloutRequests, apiRru: apiMeter.rru, apiWru: apiMeter.wru,
      connections, sent, notices, logInvocations, pushRru: pushMeter.rru, pushWru: pushMeter.wru, linesSeen,
    };
  } finally {
    await trigger.stop();
    streams.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Dollars per 1,000 followings at the prices of docs/cost.md: each API request through API
 * Gateway's HTTP API ($1.00/M) to the API function (a request, and 40 ms at 1 GB: assumed) with
 * the units it took (measured); with push, each message either way on the WebSocket API
 * ($1.00/M), a connection-minute per connection ($0.25/M), the push function's invocations
 * (connect, each message sent, disconnect; 256 MB, 30 ms assumed), the stream function's extra
 * invocations (512 MB, 30 ms assumed) and the units telling took (measured).
 */
export function dollarsPer1000(f: Following): number {
  const apiRequest = 1 / 1e6 + PRICES.lambdaRequest + 0.04 * 1 * PRICES.gbSecond;
  const requests = f.buildRequests + f.rolloutRequests;
  const api = requests * apiRequest + f.apiRru * PRICES.rru + f.apiWru * PRICES.wru;
  const pushInvocations = f.connections * 2 + f.sent;
  const push = (f.sent + f.notices) * (1 / 1e6) + f.connections * (0.25 / 1e6)
    + pushInvocations * (PRICES.lambdaRequest + 0.03 * 0.25 * PRICES.gbSecond)
    + f.logInvocations * (PRICES.lambdaRequest + 0.03 * 0.5 * PRICES.gbSecond)
    + f.pushRru * PRICES.rru + f.pushWru * PRICES.wru;
  return 1000 * (api + push);
}

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  const opts = { logSeconds: arg('log-seconds', 10), quietSeconds: arg('quiet-seconds', 10), steps: arg('steps', 4) };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const engine = await startDynamoLocal({ port: await freePort() });
  try {
    const results = [await follow(engine.endpoint, 'polling', opts), await follow(engine.endpoint, 'push', opts)];
    const seconds = opts.logSeconds + opts.quietSeconds;
    const rows = results.map((f) => ({
      following: f.how,
      'build: API requests': f.buildRequests,
      'rollout: API requests': f.rolloutRequests,
      'API RRU / WRU': `${Math.round(f.apiRru)} / ${Math.round(f.apiWru)}`,
      'push: connections, sent, notices': f.how === 'push' ? `${f.connections}, ${f.sent}, ${f.notices}` : '',
      'push: log-only invocations, RRU / WRU': f.how === 'push' ? `${f.logInvocations}, ${Math.round(f.pushRru)} / ${Math.round(f.pushWru)}` : '',
      'lines seen': `${f.linesSeen} of ${opts.logSeconds}`,
      '$ per 1,000': dollarsPer1000(f).toFixed(4),
    }));
    const [poll, pushed] = results as [Following, Following];
    return {
      notes: [
        `A build printing a line a second for ${opts.logSeconds} s then quiet for ${opts.quietSeconds} s (${seconds} s followed with \`berth logs -f\`), then a rollout of ${opts.steps} steps 2 s apart followed with \`berth rollout status\`; the API as on Lambda (watches and log follows answered at once), DynamoDB Local, the stream read as Lambda's trigger reads it.`,
        `$ per 1,000 at docs/cost.md's prices: API Gateway $1.00/M requests or messages, Lambda $${PRICES.lambdaRequest * 1e6}/M and $${PRICES.gbSecond}/GB-s (the API 40 ms at 1 GB, the push and stream functions 30 ms: assumed), DynamoDB units as measured.`,
      ],
      rows,
      figures: {
        logSeconds: opts.logSeconds, quietSeconds: opts.quietSeconds, steps: opts.steps,
        pollingRequests: poll.buildRequests + poll.rolloutRequests, pushRequests: pushed.buildRequests + pushed.rolloutRequests,
        pushNotices: pushed.notices, pushSent: pushed.sent, pushLogInvocations: pushed.logInvocations,
        pollingDollarsPer1000: Number(dollarsPer1000(poll).toFixed(4)), pushDollarsPer1000: Number(dollarsPer1000(pushed).toFixed(4)),
      },
    };
  } finally {
    await engine.stop();
  }
}
