// The router agent as its own program: HAProxy plus the agent that follows admitted Routes and
// Services' endpoints in the table. Router hosts on AWS run it under systemd (the router stack's
// user data); it reads only. It learns of changes from the routers' change feed (written by the
// stream function, read twice a second) and lists every Route and Service only at start and
// every 10 minutes as a back-up. Settings from the environment:
//   TABLE_NAME, AWS_REGION (or DYNAMODB_ENDPOINT locally), BERTH_APPS_DOMAIN,
//   PAAS_ROUTER_HTTP_PORT (80), PAAS_ROUTER_HTTPS_PORT (443), BERTH_ROUTER_DIR, BERTH_ROUTER_BIND,
//   PAAS_IDLE_REPORT_MS (60000: how often requests seen are reported for the idler).
//   BERTH_ROUTER_CERT_SECRET (a Secrets Manager secret holding the routers' shared default
//   certificate and key as PEM; while it holds none, each router serves a self-signed one).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { pino } from 'pino';
import { createDynamoClient } from '../../shared/store/client.ts';
import { RouterFeedTable } from '../../shared/routing/feed.ts';
import { IdleSignalTable } from '../../shared/idling/signals.ts';
import { RouterObjectStore } from '../../shared/routing/router-store.ts';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startRouterAgent } from './agent.ts';
import { isCertificateAndKey } from './generations.ts';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${raw} is not a TCP port (1-65535)`);
  return n;
}

async function main(): Promise<void> {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) throw new Error('TABLE_NAME is not set: the router reads routes and endpoints from the state table');
  const domain = process.env.BERTH_APPS_DOMAIN;
  if (!domain) throw new Error('BERTH_APPS_DOMAIN is not set: the default certificate is made for *.<apps domain>');
  const logger = pino({ level: process.env.LOG_LEVEL || 'info' });
  const secret = process.env.BERTH_ROUTER_CERT_SECRET;
  let defaultCertificate: string | undefined;
  if (secret) {
    const out = await new SecretsManagerClient({ region: process.env.AWS_REGION }).send(new GetSecretValueCommand({ SecretId: secret }));
    if (out.SecretString && isCertificateAndKey(out.SecretString)) defaultCertificate = out.SecretString;
    else logger.warn({ secret }, 'the shared default certificate secret holds no PEM certificate and key yet: serving a self-signed one');
  }
  const client = createDynamoClient({ region: process.env.AWS_REGION, endpoint: process.env.DYNAMODB_ENDPOINT || undefined });
  const agent = await startRouterAgent({
    // Reads only the feed and, through the byKind index, Routes and Services: all its role allows.
    store: new RouterObjectStore({ client, tableName }),
    feed: new RouterFeedTable({ client, tableName }),
    // Writes only the idler's activity and wake items (F#active, F#wake).
    idling: { signals: new IdleSignalTable({ client, tableName }), reportMs: Number(process.env.PAAS_IDLE_REPORT_MS || 60_000) },
    feedMs: 500,
    pollMs: 600_000,
    httpPort: port('PAAS_ROUTER_HTTP_PORT', 80),
    httpsPort: port('PAAS_ROUTER_HTTPS_PORT', 443),
    domain,
    ...(defaultCertificate ? { defaultCertificate } : {}),
    dir: process.env.BERTH_ROUTER_DIR || '/var/lib/berth-router',
    // Behind the load balancer the router listens on every address; locally set 127.0.0.1.
    bind: process.env.BERTH_ROUTER_BIND || '0.0.0.0',
    logger,
  });
  logger.info({ domain }, 'router agent started');
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: Error) => {
  console.error(`router agent: ${err.message}`);
  process.exit(2);
});
