// The host agent of one Docker Engine: registers the engine as a fleet Host (capacity from the
// engine), renews the host's lease while the engine answers, and runs the pod sync over the
// engine's pod containers. `npm run up` runs one for the local engine; more engines join by
// running `agents/host/main.ts` next to them.
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { registerHost, renewLease } from '../../shared/deploy/host-lifecycle.ts';
import { ignoring } from '../../shared/errors.ts';
import { DockerPods, type DockerPodsOptions } from '../../shared/fleet/docker-pods.ts';
import { DockerImageCache } from '../../shared/images/docker-cache.ts';
import { podsOnHost } from '../../shared/deploy/host-lifecycle.ts';
import { createPodSync, type BackoffOptions } from '../../shared/fleet/pod-sync.ts';
import { DockerServiceProxies } from '../../shared/fleet/docker-service-proxies.ts';
import { syncServiceProxies } from '../../shared/fleet/service-proxy-sync.ts';
import { projectAddressings } from '../../shared/services/cluster-ips.ts';
import { projectUids } from '../../shared/project/uid-blocks.ts';
import { keepsIdledNetwork } from '../../shared/idling/kept-networks.ts';
import type { HostSpec } from '../../shared/model/deploy-kinds.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { cpuMillis, memoryBytes } from '../../shared/model/quantity.ts';
import type { BindingStore } from '../../shared/scheduler/ports.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import type { SecretBox } from '../../shared/secrets/ports.ts';

export interface HostAgentOptions {
  store: ObjectStore;
  bindings: BindingStore;
  docker: Docker;
  hostName: string;
  /** Where the engine listens (its socket path), recorded as the Host's endpoint. */
  socketPath: string;
  /** The address the engine publishes pod ports on. */
  address?: string;
  leaseMs?: number;
  syncMs?: number;
  /** How long a deleted pod keeps running after it left its Services' endpoints. */
  drainMs?: number;
  /** Overrides what the engine reports (e.g. to leave room for the platform itself). */
  capacity?: { cpu: string; memory: string };
  /** Restart back-off of exited containers (default 10 s doubling to 5 min, reset after 10 min of running). */
  backoff?: BackoffOptions;
  /** Credentials for pulling pod images from the platform registry (none for the local one). */
  registryAuth?: DockerPodsOptions['registryAuth'];
  /** The platform registry's layout, so that a pod runs no other project's image. */
  images?: DockerPodsOptions['images'];
  /** Opens sealed Secret values for the pods that use them. */
  secrets?: SecretBox;
  /** Where pods' Secret and ConfigMap files are written (PAAS_HOME/pod-files). */
  filesDir?: string;
  /** Mounts persistent volume claims' disks (PAAS_HOME/volumes). */
  volumes?: DockerPodsOptions['volumes'];
  /**
   * Keeps the engine's cache of platform images within a budget (least recently used first, never
   * an image a pod here uses or wants); needs `images` to know which images are the platform's.
   */
  imageCache?: { budgetBytes: number; intervalMs?: number; keepRecentMs?: number };
  /** Labels this agent's containers, so that platforms sharing one engine leave each other's alone (default: the host name). */
  owner?: string;
  /**
   * Whose project networks the pods join (default: `owner`): the platform's, so that host agents
   * of one platform sharing an engine share each project's network and its Services' proxies.
   */
  networkOwner?: string;
  /**
   * Runs the Services' proxies on this engine (shared/fleet/service-proxy-sync.ts) from `image`
   * (images/build.ts's berth/service-proxy). With `clusterIPs` (the default), project networks
   * are each project's own /25 and a proxy holds its Service's cluster IP; without, for a second
   * engine on a machine whose main engine holds them, networks come from the engine's pool and
   * the proxies are reached by name only.
   */
  services?: { image: string; clusterIPs?: boolean };
  /**
   * The start-up boost: the CPU (millicores) a pod's container may use while it starts, when its
   * limit is lower (default 1000, never more than the engine has; 0 turns it off). It ends when
   * the pod's readiness probe passes, or `startupBoostMs` (default 10 s) after the start.
   */
  startupCpuMilli?: number;
  startupBoostMs?: number;
  /**
   * Warm sandboxes on project networks (shared/fleet/docker-sandboxes.ts; needs `services`, whose
   * image they run): a project's next pod (a rollout's, a scale-up's, a wake's) joins one and
   * starts faster. Such pods are reached at their own addresses on the project network, so only
   * for an engine whose bridges the router and probes reach (the all-in-one platform's).
   */
  warmSandboxes?: boolean;
  logger?: Logger;
}

export interface HostAgent {
  host: string;
  /** Runs one pass of the pod sync now. */
  sync(): Promise<void>;
  /**
   * Asks to look again soon: at `pod` (just bound here, changed, being deleted) at once, beside a
   * timed pass under way (each pod's syncs take turns, and a pass's copy of a pod older than one
   * already synced is skipped), then at its project's proxies; or, without one, at every pod of
   * the host (gathered into one pass after the running one). The timed pass stays as the safety net.
   */
  kick(pod?: { project: string; name: string }): void;
  /** Asks to bring the project's Services' proxies up to date soon (a Service or its endpoints changed). */
  kickServices(project: string): void;
  /** Trims the engine's image cache now (a no-op without `imageCache`). */
  collectImages(): Promise<void>;
  stop(): Promise<void>;
}

/** The Host's spec from what the engine reports: every cpu and all memory. */
export async function engineCapacity(docker: Docker): Promise<{ cpu: string; memory: string }> {
  const info = (await docker.info()) as { NCPU: number; MemTotal: number };
  return { cpu: String(info.NCPU), memory: String(info.MemTotal) };
}


/** One core for a starting container: an interpreter's start is mostly CPU. */
const DEFAULT_STARTUP_CPU_MILLI = 1000;

export async function startHostAgent(opts: HostAgentOptions): Promise<HostAgent> {
  const { store, docker, hostName, logger } = opts;
  const leaseMs = opts.leaseMs ?? 2_000;
  const syncMs = opts.syncMs ?? 1_000;
  const address = opts.address ?? '127.0.0.1';
  const capacity = opts.capacity ?? (await engineCapacity(docker));
  const spec: HostSpec = { provider: 'docker', endpoint: opts.socketPath, address, capacity, unschedulable: false };
  await registerHost(store, { name: hostName, spec, allocatable: { cpuMilli: cpuMillis(capacity.cpu)!, memoryBytes: memoryBytes(capacity.memory)! }, ready: true });

  const pinned = Boolean(opts.services) && opts.services?.clusterIPs !== false;
  const networkOwner = opts.networkOwner ?? opts.owner ?? hostName;
  const containers = new DockerPods(docker, {
    owner: opts.owner ?? hostName,
    networkOwner,
    registryAuth: opts.registryAuth,
    images: opts.images,
    filesDir: opts.filesDir,
    volumes: opts.volumes,
    ...(pinned ? { addressing: projectAddressings(store) } : {}),
    // An idled project keeps its network (and its Services' proxies): its wake starts the pods at once.
    keepNetwork: (project) => keepsIdledNetwork(store, project),
    startupCpuMilli: Math.min(opts.startupCpuMilli ?? DEFAULT_STARTUP_CPU_MILLI, cpuMillis(capacity.cpu)!),
    ...(opts.warmSandboxes && opts.services ? { sandboxes: { image: opts.services.image } } : {}),
  });
  const proxies = opts.services ? new DockerServiceProxies(docker, containers.networks, { image: opts.services.image, networkOwner }) : undefined;
  const syncProxies = (only?: string) =>
    proxies ? syncServiceProxies({ store, proxies, networks: containers.networks, pinned, onError: (project, err) => logger?.warn({ host: hostName, project, err: (err as Error).message }, 'service proxies') }, only) : Promise.resolve();
  const podSync = createPodSync({
    store,
    bindings: opts.bindings,
    hostName,
    address,
    containers,
    secrets: opts.secrets,
    drainMs: opts.drainMs,
    backoff: opts.backoff,
    startupBoostMs: opts.startupBoostMs,
    uidFor: projectUids(store),
    onError: (pod, err) => logger?.warn({ host: hostName, pod, err: (err as Error).message }, 'pod sync'),
  });

  // The lease is renewed only while the engine answers: a host whose engine is gone goes NotReady.
  const renew = async () => {
    const alive = await docker.ping().then(() => true, () => false);
    if (alive) await renewLease(store, hostName, Math.ceil((leaseMs * 3) / 1000), new Date()).catch((err) => logger?.warn({ err: err.message }, 'lease renewal failed'));
  };
  await renew();

  const cache = opts.imageCache && opts.images ? new DockerImageCache(docker, { registry: opts.images, budgetBytes: opts.imageCache.budgetBytes, keepRecentMs: opts.imageCache.keepRecentMs }) : undefined;
  const collectImages = async () => {
    if (!cache) return;
    const wanted: string[] = [];
    for await (const pod of podsOnHost(store, hostName)) for (const c of pod.spec.containers) if (c.image) wanted.push(c.image);
    const out = await cache.collect(wanted);
    if (out.removed.length) logger?.info({ host: hostName, removed: out.removed.map((r) => r.refs[0]), freedBytes: out.beforeBytes - out.afterBytes }, 'image cache');
  };

  let syncing: Promise<void> = Promise.resolve();
  let stopped = false;
  let kicked = false;
  let kickedAll = false;
  let probeTimer: NodeJS.Timeout | undefined;
  const pass = async () => {
    if (stopped) return;
    const out = await podSync.syncHost().catch((err) => logger?.warn({ host: hostName, err: (err as Error).message }, 'host sync failed'));
    await syncProxies().catch((err) => logger?.warn({ host: hostName, err: (err as Error).message }, 'service proxies'));
    // Without proxies (whose sync looks at every network), a kept network whose project is no longer idled (woken, deleted, expired) goes here.
    if (!proxies && containers.networks.keeping) await containers.networks.prune().catch((err) => logger?.warn({ host: hostName, err: (err as Error).message }, 'project networks'));
    // A probe due before the next timed pass (a starting pod's readiness): come back for it then.
    if (out?.nextProbeAt !== undefined) probeAt(out.nextProbeAt, true);
  };
  /** A pass when a probe is due: at `at`, or earlier if one is due earlier (a pass's own answer replaces the last). */
  let probeDueAt: number | undefined;
  const probeAt = (at: number, fromPass = false) => {
    if (stopped || (!fromPass && probeDueAt !== undefined && probeDueAt <= at)) return;
    clearTimeout(probeTimer);
    probeDueAt = at;
    probeTimer = setTimeout(() => {
      probeDueAt = undefined;
      kick();
    }, Math.max(0, at - Date.now()));
  };
  const sync = () => (syncing = syncing.then(pass));
  /** One pod alone, read fresh: started, probed or stopped at once if it is bound here. */
  const syncOne = async (ref: { project: string; name: string }): Promise<number | undefined> => {
    const pod = await store.get<Pod>({ kind: 'Pod', ...ref });
    // A starting pod's readiness probe is due again soon: the pass that runs it is not a second away.
    if (pod?.spec.host === hostName) return (await podSync.syncPod(pod)).nextProbeAt;
    return undefined;
  };
  const kickedProjects = new Set<string>();
  /** What was kicked since the last look, in one look: every pod, or the pods and projects named. */
  const runKicked = async () => {
    kicked = false;
    const all = kickedAll;
    const projects = [...kickedProjects];
    kickedAll = false;
    kickedProjects.clear();
    if (all) return pass();
    if (!proxies) return;
    for (const project of projects) await syncProxies(project).catch((err) => logger?.warn({ host: hostName, project, err: (err as Error).message }, 'service proxies'));
  };
  const schedule = () => {
    if (kicked) return;
    kicked = true;
    syncing = syncing.then(runKicked);
  };
  /** Kicked pods' syncs under way (stop waits for them). */
  const kickedSyncs = new Set<Promise<void>>();
  const kick = (pod?: { project: string; name: string }) => {
    if (stopped) return;
    if (!pod) {
      kickedAll = true;
      return schedule();
    }
    // At once, beside a timed pass under way (the pod sync gives each pod its turn); then, in
    // line with the passes, its project's proxies (a pod started or removed changes its network).
    const run = syncOne(pod)
      .then((due) => due !== undefined && probeAt(due))
      .catch((err) => logger?.warn({ host: hostName, pod: pod.name, err: (err as Error).message }, 'pod sync'))
      .then(() => kickServices(pod.project));
    kickedSyncs.add(run);
    void run.finally(() => kickedSyncs.delete(run));
  };
  const kickServices = (project: string) => {
    if (stopped || !proxies) return;
    kickedProjects.add(project);
    schedule();
  };
  const leaseTimer = setInterval(() => void renew(), leaseMs);
  let syncTimer: NodeJS.Timeout | undefined;
  const loop = () => {
    syncTimer = setTimeout(() => void sync().then(() => !stopped && loop()), syncMs);
  };
  loop();
  const cacheTimer = cache ? setInterval(() => void (syncing = syncing.then(() => (stopped ? undefined : collectImages().catch((err) => logger?.warn({ host: hostName, err: (err as Error).message }, 'image cache collection failed'))))), opts.imageCache!.intervalMs ?? 5 * 60_000) : undefined;
  logger?.info({ host: hostName, capacity }, 'host agent started');
  return {
    host: hostName,
    sync,
    kick,
    kickServices,
    collectImages: () => (syncing = syncing.then(collectImages)),
    async stop() {
      stopped = true;
      clearInterval(cacheTimer);
      clearInterval(leaseTimer);
      clearTimeout(syncTimer);
      clearTimeout(probeTimer);
      await Promise.all(kickedSyncs);
      await syncing.catch(ignoring(Error));
      await containers.networks.sandboxes?.stop();
    },
  };
}
