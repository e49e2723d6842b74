// `npm run up`: the whole platform on this machine, on real local engines: Docker Engine, DynamoDB
// Local (persisting under PAAS_HOME), the registry, the builder images, the API on
// 127.0.0.1, the reconcilers and the builder agents. Ctrl-C or SIGTERM stops every child
// process, and a restart keeps all data.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { pino } from 'pino';
import { portOpen } from '../../shared/local/ports.ts';
import { loadConfig } from './config.ts';
import { startPlatform, type Platform } from './platform.ts';
import { DOCKER, E2FSPROGS, HAPROXY, JAVA, MMDEBSTRAP, OPENSSL, REGISTRY, ensurePrerequisites } from './prerequisites.ts';

const say = (line: string) => console.log(`[berth] ${line}`);
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

async function main(): Promise<void> {
  const config = loadConfig();
  // mmdebstrap even with the builder off: every Service's proxy image is made with it.
  ensurePrerequisites([JAVA, DOCKER, REGISTRY, HAPROXY, E2FSPROGS, OPENSSL, MMDEBSTRAP], say);
  const ports = [
    ['API', config.apiPort],
    ['DynamoDB Local', config.dynamoPort],
    ['registry', config.registryPort],
    ['router HTTP', config.routerHttpPort],
    ['router HTTPS', config.routerHttpsPort],
  ] as const;
  for (const [what, port] of ports) {
    if (await portOpen(port)) throw new Error(`port ${port} (${what}) is already in use; is another \`npm run up\` running? Set another port with the PAAS_* variables.`);
  }

  let stopping = false;
  // A signal during start-up waits for the start to finish (or fail), then stops what started.
  let starting: Promise<Platform> | undefined;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping`);
    await (await starting?.catch(() => undefined))?.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  let started = false;
  starting = startPlatform(config, say, logger, (what) => {
    // While starting, a failure stops the engines itself and is reported as the failure.
    if (started && !stopping) void shutdown(`${what} exited`);
  });
  const platform = await starting;
  started = true;
  if (stopping) return;
  say(`API on ${platform.url}`);
  if (platform.admin) {
    say(`first start: cluster administrator "${platform.admin.username}" with password "${platform.admin.password}"`);
    say(`log in with: berth login ${platform.url} --username ${platform.admin.username} --password '${platform.admin.password}'`);
  }
  say('ready (Ctrl-C stops everything)');
}

main().catch((err: Error) => {
  console.error(`[berth] up failed: ${err.message}`);
  process.exit(1);
});
