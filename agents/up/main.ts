// `npm run up`: the whole platform on this machine, on real local engines. Starts DynamoDB
// Local (persisting under PAAS_HOME), the API and console on 127.0.0.1, and the reconcilers;
// Ctrl-C or SIGTERM stops every child process, and a restart keeps all data.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { serve } from '@hono/node-server';
import { join } from 'node:path';
import { pino } from 'pino';
import { Identity } from '../../shared/auth/identity.ts';
import { createApi } from '../../shared/api/app.ts';
import { startDynamoLocal } from '../../shared/local/dynamodb-local.ts';
import { portOpen } from '../../shared/local/ports.ts';
import { foundationReconcilers } from '../../shared/reconcile/foundation.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { ensureTable } from '../../shared/store/table.ts';
import { loadConfig } from './config.ts';
import { JAVA, ensurePrerequisites } from './prerequisites.ts';
import { startLocalReconcilers } from './reconcilers.ts';

const say = (line: string) => console.log(`[berth] ${line}`);
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

async function main(): Promise<void> {
  const config = loadConfig();
  ensurePrerequisites([JAVA], say);
  for (const [what, port] of [['API', config.apiPort], ['DynamoDB Local', config.dynamoPort]] as const) {
    if (await portOpen(port)) throw new Error(`port ${port} (${what}) is already in use; is another \`npm run up\` running? Set another port with the PAAS_* variables.`);
  }

  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'stop failed'));
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  say(`state in ${config.home}`);
  const dynamo = await startDynamoLocal({ port: config.dynamoPort, dbPath: join(config.home, 'dynamodb') });
  stops.push(() => dynamo.stop());
  dynamo.process.once('exit', (code) => {
    if (!stopping) {
      say(`DynamoDB Local exited (code ${code}); stopping`);
      void shutdown('engine exit');
    }
  });
  say(`DynamoDB Local on ${dynamo.endpoint}`);

  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  const streamArn = await ensureTable(client, config.tableName);
  const store = new DynamoObjectStore({ client, tableName: config.tableName });
  const identity = new Identity(store);
  const created = await identity.bootstrapAdmin(config.adminPassword);

  const reconcilers = await startLocalReconcilers({ reconcilers: foundationReconcilers(store), endpoint: dynamo.endpoint, streamArn, resyncMs: config.resyncMs, logger });
  stops.push(() => reconcilers.stop());

  const app = createApi({ store, identity, logger, version: process.env.npm_package_version });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.apiPort, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${config.apiPort}`;
  say(`API and console on ${url}`);
  if (created) {
    say(`first start: cluster administrator "${created.username}" with password "${created.password}"`);
    say(`log in with: berth login ${url} --username ${created.username} --password '${created.password}'`);
  }
  say('ready (Ctrl-C stops everything)');
}

main().catch((err: Error) => {
  console.error(`[berth] up failed: ${err.message}`);
  process.exit(1);
});
