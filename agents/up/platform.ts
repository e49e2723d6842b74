// Starts the all-in-one platform's pieces in order and returns how to stop them, in reverse.
// A failure half-way stops what had started, so no engine is left running.
import { DEFAULT_WATCH, watchSettingsFromEnv } from '../../shared/api/watch-route.ts';
import { LoopDisks } from '../../shared/volumes/loop-disks.ts';
import { rateLimitFrom } from '../../shared/api/rate-limit.ts';
import { serve } from '@hono/node-server';
import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Identity } from '../../shared/auth/identity.ts';
import { createApi } from '../../shared/api/app.ts';
import { nodeStreams } from '../../shared/api/node-websocket.ts';
import { localPush } from '../../shared/push/local.ts';
import type { BuilderImage } from '../../shared/api/env.ts';
import { FileBuildLogs, FileSourceArchives, LocalRegistry } from '../../shared/builds/local-adapters.ts';
import { LocalProcessLauncher } from '../../shared/builds/local-launcher.ts';
import { removeStepContainers } from '../../shared/builds/s2i/docker.ts';
import { DockerPods, removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import { platformNetworkOwner } from '../../shared/fleet/project-network.ts';
import { ensureServiceProxyImage } from '../../images/build.ts';
import { platformReconcilers } from '../../shared/platform/reconcilers.ts';
import { IdleSignalTable } from '../../shared/idling/signals.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { startHostAgent } from '../host/agent.ts';
import { routerFeed, startRouterAgent } from '../router/agent.ts';
import { specCodecs } from '../../shared/secrets/codecs.ts';
import { ensureDockerd, DOCKER_SOCKET } from '../../shared/local/dockerd.ts';
import { startDynamoLocal } from '../../shared/local/dynamodb-local.ts';
import { startRegistry } from '../../shared/local/registry.ts';
import { ensureRegistryAuth, registryAuthDir } from '../../shared/local/registry-auth.ts';
import { RegistryTokenIssuer } from '../../shared/registry/token.ts';
import { PLATFORM_REGISTRY_USER, type RegistryDeps } from '../../shared/registry/types.ts';
import type { Hono } from 'hono';
import type { ApiEnv } from '../../shared/api/env.ts';
import { scheduleRegistryGc } from '../../shared/local/registry-gc.ts';
import { scheduleRegistryResync } from '../../shared/registry/resync.ts';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { ensureTable } from '../../shared/store/table.ts';
import { ensureSharedTemplates } from '../../shared/templates/shared-templates.ts';
import type { UpConfig } from './config.ts';
import { publishBuilderImages, publishSharedStreams, sharedStreams } from './builder-images.ts';
import { ensureSharedProject, SHARED_PROJECT } from '../../shared/project/openshift.ts';
import { ensureGitImage } from '../../images/git.ts';
import { buildSettings } from '../../shared/builds/settings.ts';
import { hostAgentKicks, newUnboundPod, wakesAtOnce, onBinds, onWrites, readinessWrite, startLocalReconcilers, unobservedSpec } from './reconcilers.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { formatRef, refOf, type ObjectRef } from '../../shared/model/types.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { imageCacheBudgetBytes } from '../../shared/images/cache-plan.ts';
import { packageIndexName, removeBuildNetworks, startPackageIndex } from '../../shared/builds/docker-egress.ts';
import { PACKAGE_INDEX_DIR, writeSimpleIndex } from '../../shared/builds/package-index.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** While the platform starts: the registry's routes, and 503 for everything else. */
function startingApi(registryOnly: Hono<ApiEnv>): { fetch: Hono<ApiEnv>['fetch'] } {
  return {
    fetch: (req, env) =>
      new URL(req.url).pathname.startsWith('/api/v1/registry/')
        ? registryOnly.fetch(req, env)
        : Response.json({ code: 'Starting', message: 'the platform is starting', suggestion: 'try again in a few seconds' }, { status: 503, headers: { 'Retry-After': '2' } }),
  };
}

export interface Platform {
  url: string;
  /** Set on the very first start: the cluster administrator made for it. */
  admin?: { username: string; password: string };
  stop(): Promise<void>;
}

export async function startPlatform(config: UpConfig, say: (line: string) => void, logger: Logger, onEngineExit: (what: string) => void): Promise<Platform> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => logger.error({ err }, 'stop failed'));
    stops.length = 0;
  };
  try {
    say(`state in ${config.home}`);
    // Engines in their own process groups: a Ctrl-C reaches only `up`, which stops them in order.
    const dockerd = await ensureDockerd({ say, ownProcessGroup: true });
    stops.push(() => dockerd.stop());
    const docker = new Docker({ socketPath: DOCKER_SOCKET });

    const dynamo = await startDynamoLocal({ port: config.dynamoPort, dbPath: join(config.home, 'dynamodb'), ownProcessGroup: true });
    stops.push(() => dynamo.stop());
    dynamo.process.once('exit', () => onEngineExit('DynamoDB Local'));
    say(`DynamoDB Local on ${dynamo.endpoint}`);

    // The registry wants a token from the API for every request (docker login with a Berth
    // token); the platform's own pushes and pulls log in as PLATFORM_REGISTRY_USER.
    const registryAuth = ensureRegistryAuth(registryAuthDir(config.home));
    const apiUrl = `http://127.0.0.1:${config.apiPort}`;
    const tokens = new RegistryTokenIssuer({ privateKey: registryAuth.privateKey, issuer: 'berth-api', service: 'berth-registry' });
    const registry = await startRegistry({
      port: config.registryPort,
      dir: join(config.home, 'registry'),
      ownProcessGroup: true,
      onExit: () => onEngineExit('the registry'),
      auth: { realm: `${apiUrl}/api/v1/registry/token`, service: tokens.service, issuer: tokens.issuer, rootCertBundle: registryAuth.certFile },
      notifications: { url: `${apiUrl}/api/v1/registry/events`, secret: registryAuth.eventsSecret },
    });
    stops.push(() => registry.stop());
    say(`registry on ${registry.host} (docker login with a Berth token)`);
    const platformLogin = { username: PLATFORM_REGISTRY_USER, password: registryAuth.platformPassword, serveraddress: registry.host };
    const registryDeps: RegistryDeps = { host: registry.host, tokens, platformPassword: registryAuth.platformPassword, eventsSecret: registryAuth.eventsSecret, allowPrivateSources: process.env.PAAS_ALLOW_PRIVATE_IMPORTS === '1' };

    // Every Service of a project gets a proxy at its cluster IP, made from this image (HAProxy).
    const serviceProxyImage = await ensureServiceProxyImage(docker, (line) => say(`  ${line}`));
    // Git sources are cloned in a container of this image, never in the agent's own process.
    if (config.builderVariant !== 'off') await ensureGitImage(docker, (line) => say(`  ${line}`));
    const settings = buildSettings(process.env);
    if (settings.git.allowLocal) say('PAAS_ALLOW_LOCAL_GIT=1: builds may fetch local paths, file:// and loopback git URLs (development only)');
    const buildPolicy = { git: settings.git, registry: { host: registry.host, prefix: '', shared: ['berth', SHARED_PROJECT] } };

    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    const streamArn = await ensureTable(client, config.tableName);
    // Writes wake the stream reader, Service and Route changes reach the router at once, and pods
    // bound or changed the host agent (all started below); the stream still carries every change.
    let wakeStream = () => {};
    let kickHost: (pod: { project: string; name: string }) => void = () => {};
    let kickServices: (project: string) => void = () => {};
    let toRouter: (ref: ObjectRef) => void = () => {};
    let podToRouter: (pod: Pod) => void = () => {};
    // The platform's reconcilers by name (known once they are made below), for the changes they are told of at once.
    const reconcilersByName = new Map<string, Reconciler>();
    const tell = (name: string, ref: ObjectRef) =>
      void reconcilersByName.get(name)?.reconcile(ref).catch((err) => logger.warn({ err, reconciler: name, ref: formatRef(ref) }, 'a reconcile told at once failed; the stream record tries again'));
    const store = onWrites(new DynamoObjectStore({ client, tableName: config.tableName }), (obj) => {
      wakeStream();
      if (obj && (obj.kind === 'Service' || obj.kind === 'Route')) toRouter(refOf(obj));
      // A pod's readiness written by the host agent: its Services' endpoints at once (and so the router).
      // The router passes a request it holds for a woken Service to such a pod at once, too.
      if (obj?.kind === 'Pod' && readinessWrite(obj as Pod)) {
        tell('endpoints', refOf(obj));
        podToRouter(obj as Pod);
      }
      // A DeploymentConfig whose spec changed (a user's edit, a scale, a wake): its controller at once.
      if (obj?.kind === 'DeploymentConfig' && unobservedSpec(obj)) tell('deploymentconfigs', refOf(obj));
      // A ReplicationController scaled (by its DC, a rollout step, a wake): its pods at once.
      if (obj?.kind === 'ReplicationController' && unobservedSpec(obj)) tell('replication', refOf(obj));
      // A new pod, not yet tried by the scheduler: placed at once.
      if (obj?.kind === 'Pod' && newUnboundPod(obj as Pod)) tell('scheduler', refOf(obj));
    });
    const identity = new Identity(store);
    const admin = await identity.bootstrapAdmin(config.adminPassword);
    // The API's port opens now, serving only the registry's token endpoint and notifications until
    // the whole API is made below: the platform's first pushes (its images) need tokens.
    let serving: Hono<ApiEnv> | undefined;
    const registryOnly = createApi({ store, identity, logger, registry: registryDeps });
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: (req, env) => (serving ?? startingApi(registryOnly)).fetch(req, env), port: config.apiPort, hostname: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const builderImages: BuilderImage[] = config.builderVariant === 'off' ? [] : await publishBuilderImages(docker, registry.host, config.builderVariant, say, platformLogin);
    // The shared project's templates (templates/*.yaml), which every user may instantiate.
    await ensureSharedProject(store);
    await ensureSharedTemplates(store);
    // openshift/python first, before the API: new-app builds from it. The database images are
    // made after the API is up: they take minutes the first time, and nothing else waits for them.
    const [pythonStream, ...serviceStreams] = config.builderVariant === 'off' ? [] : sharedStreams(docker, config.builderVariant);
    if (pythonStream) await publishSharedStreams(docker, store, registry.host, [pythonStream], say, platformLogin);
    const secrets = await LocalSecretBox.fromKeyFile(join(config.home, 'secrets.key'));
    const builds = { logs: new FileBuildLogs(join(config.home, 'logs')), sources: new FileSourceArchives(join(config.home, 'sources')) };

    // The offline package index builds install from: a static PEP 503 tree of the wheels in
    // PAAS_HOME/package-index/wheels, served by a container only build networks are joined to.
    const indexImage = process.env.PAAS_PACKAGE_INDEX_IMAGE || builderImages[0]?.image;
    let packageIndex: string | undefined;
    if (indexImage && process.env.PAAS_PACKAGE_INDEX !== 'off') {
      const dir = join(config.home, PACKAGE_INDEX_DIR);
      const wheels = await writeSimpleIndex(dir);
      const index = await startPackageIndex(docker, { name: packageIndexName(config.home), image: indexImage, dir });
      stops.push(() => index.stop());
      packageIndex = index.name;
      say(`package index for builds: ${wheels} wheels in ${join(dir, 'wheels')}`);
    }

    const launcher = new LocalProcessLauncher({
      command: [process.execPath, '--import', 'tsx', join(ROOT, 'agents/builder/main.ts')],
      cwd: ROOT,
      // The local engine is also the fleet's host, whose agent keeps its image cache (it knows which images its pods want).
      env: { ...process.env, TABLE_NAME: config.tableName, DYNAMODB_ENDPOINT: dynamo.endpoint, PAAS_HOME: config.home, BERTH_REGISTRY_HOST: registry.host, PAAS_BUILD_IMAGE_CACHE: 'off', ...(packageIndex ? { BERTH_PACKAGE_INDEX_CONTAINER: packageIndex } : {}) },
      onOutput: (build, text) => logger.debug({ build: build.name }, text.trimEnd()),
      // An agent that did not end on its own (killed) leaves its step container behind.
      onExit: async (build, how) => {
        if (how.signal === null && how.code === 0) return;
        const removed = await removeStepContainers(docker, build.project, build.name);
        await removeBuildNetworks(docker, build, packageIndex);
        if (removed) logger.info({ build: build.name, removed }, 'removed the step containers of a builder agent that did not finish');
      },
    });
    stops.push(() => launcher.stopAll());
    // Blobs of deleted images leave the disk: hourly, and soon after images are deleted.
    const registryGc = scheduleRegistryGc({
      registry,
      intervalMs: config.registryGcMs,
      busy: () => launcher.active > 0,
      onCollected: (out) => logger.info({ freedBytes: out.beforeBytes - out.afterBytes, removedRepositories: out.removedRepositories }, 'registry garbage collected'),
      onError: (err) => logger.warn({ err: err.message }, 'registry garbage collection failed'),
    });
    stops.push(() => registryGc.stop());
    const localRegistry = new LocalRegistry(registry.host, registryGc.request, platformLogin);

    const bindings = onBinds(new DynamoBindingStore({ client, tableName: config.tableName }), (pod) => {
      if (pod.host === config.hostName) kickHost(pod);
    });
    const idleSignals = new IdleSignalTable({ client, tableName: config.tableName });
    // The router: HAProxy on loopback, fed at once by Route and Service changes from the stream;
    // it reports requests seen and holds requests for idled Services while they are woken.
    const router = await startRouterAgent({
      // A wake the router asks for reaches the idler at once (the stream still carries it).
      idling: { signals: wakesAtOnce(idleSignals, (ref) => tell('idler', ref)), reportMs: config.idleReportMs },
      store,
      httpPort: config.routerHttpPort,
      httpsPort: config.routerHttpsPort,
      domain: config.appsDomain,
      dir: join(config.home, 'router'),
      pollMs: 5_000,
      logger,
    });
    stops.push(() => router.stop());
    toRouter = (ref) => void router.changed(ref).catch((err) => logger.warn({ err }, 'telling the router failed'));
    podToRouter = (pod) => router.podChanged(pod);
    say(`router on http://127.0.0.1:${config.routerHttpPort} and https://127.0.0.1:${config.routerHttpsPort} (*.${config.appsDomain})`);
    // Persistent volume claims: loop-mounted disks under PAAS_HOME/volumes, made by the provisioner, mounted by the hosts.
    const volumes = new LoopDisks(join(config.home, 'volumes'));
    // Push connections: the API serves them, the stream handler tells them of changes.
    const rateLimit = rateLimitFrom(process.env, client, config.tableName);
    const push = localPush({ client, tableName: config.tableName, store, identity, logger, ...(rateLimit ? { rateLimit } : {}) });
    const platform = platformReconcilers({
      watchers: push.subscriptions,
      store,
      bindings,
      builds: { launcher, ...builds },
      registry: localRegistry,
      appsDomain: config.appsDomain,
      routers: routerFeed(router),
      idling: { signals: idleSignals, idleAfterMs: config.idleAfterMs },
      hosts: { hostGraceMs: config.hostGraceMs, hostEvictionMs: config.hostEvictionMs },
      clock: config.trials.now,
      volumes,
    });
    for (const r of platform) reconcilersByName.set(r.name, r);
    const reconcilers = await startLocalReconcilers({
      reconcilers: platform.concat(hostAgentKicks((pod) => kickHost(pod), (project) => kickServices(project))),
      push: push.service,
      endpoint: dynamo.endpoint,
      streamArn,
      resyncMs: config.resyncMs,
      logger,
    });
    stops.push(() => reconcilers.stop());
    wakeStream = () => reconcilers.wake();

    // The local engine is the fleet's first host; its pods stop with the platform and start
    // again with it (they stay bound in the table).
    const owner = createHash('sha256').update(`${config.home} ${config.hostName}`).digest('hex').slice(0, 16);
    // Project networks (and the Services' proxies on them) are the platform's, shared with the host agents of agents/host/main.ts on this engine.
    const networkOwner = platformNetworkOwner(dynamo.endpoint, config.tableName);
    const hostAgent = await startHostAgent({ store, bindings, docker, hostName: config.hostName, socketPath: DOCKER_SOCKET, leaseMs: config.hostLeaseMs, owner, networkOwner, services: { image: serviceProxyImage }, warmSandboxes: true, images: buildPolicy.registry, registryAuth: platformLogin, secrets, filesDir: join(config.home, 'pod-files'), volumes, imageCache: { budgetBytes: imageCacheBudgetBytes(process.env) }, logger });
    kickHost = (pod) => hostAgent.kick(pod);
    kickServices = (project) => hostAgent.kickServices(project);
    stops.push(async () => {
      await hostAgent.stop();
      await removeOwnedContainers(docker, owner, networkOwner);
    });
    say(`host ${config.hostName}: the local Docker Engine`);
    const localPods = new DockerPods(docker, { owner, networkOwner });

    const fleet = {
      // Pod logs: the local engine directly; another local engine through its socket.
      containersFor: (host: { metadata: { name: string }; spec: { provider: string; endpoint?: string } }) =>
        host.metadata.name === config.hostName ? localPods : host.spec.provider === 'docker' && host.spec.endpoint ? new DockerPods(new Docker({ socketPath: host.spec.endpoint })) : undefined,
    };
    const ws = nodeStreams();
    const app = createApi({
      store, identity, logger, builds, builderImages, buildPolicy, fleet, streams: ws.streams,
      codecs: specCodecs(secrets),
      rateLimit,
      appsDomain: config.appsDomain,
      trials: config.trials,
      version: process.env.npm_package_version,
      router: { httpPort: config.routerHttpPort, httpsPort: config.routerHttpsPort },
      watch: watchSettingsFromEnv(process.env, DEFAULT_WATCH),
      watchPush: { url: push.url, local: push, tickets: push.subscriptions },
      registry: registryDeps,
    });
    ws.attach(app, server);
    serving = app;
    // Pushes made while the API was down were never notified: caught up now, and every few minutes.
    const registryResync = scheduleRegistryResync({
      store,
      registry: localRegistry,
      intervalMs: config.registryResyncMs,
      onMoved: (moved) => logger.info({ moved }, 'image stream tags caught up with the registry'),
      onError: (err) => logger.warn({ err: err.message }, 'registry resync failed; the next pass tries again'),
    });
    stops.push(async () => registryResync.stop());
    void publishSharedStreams(docker, store, registry.host, serviceStreams, say, platformLogin).catch((err: Error) =>
      logger.warn({ err: err.message }, 'publishing the openshift image streams failed; the next start tries again'),
    );
    return { url: `http://127.0.0.1:${config.apiPort}`, admin, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
