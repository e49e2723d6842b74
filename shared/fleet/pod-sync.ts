// The host side of pods (what a kubelet does), over the PodContainers port so that every fleet
// adapter is driven the same way. Each pass over one host:
// - runs the pods bound to it, made from their spec, as the project's UID;
// - restarts containers that exit (restartPolicy Always, or OnFailure after a failure) with
//   exponential back-off, showing CrashLoopBackOff while it waits; records how a Never pod
//   ended (Succeeded or Failed, with the exit code);
// - runs readiness probes (Ready condition, readySince) and liveness probes (a container that
//   fails its liveness probe is restarted); where the fleet runs a probe as the container's own
//   health check (ECS), reads its verdict instead (readiness, or liveness without a readiness probe);
// - stops pods that are being deleted after a drain: the drain time since the deletion, and a
//   little while after no Service of the project lists the pod any more (a busy controller may
//   take longer than the drain to drop it, and routers and clients need a moment to hear of it),
//   and then gives their room back with them (releasePod);
// - removes containers of pods that are not bound here (a host that comes back after it was
//   declared lost finds its pods replaced elsewhere), so that no pod runs twice.
// Status is written only when it changed.
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostVolumeMounts } from '../volumes/pod-volumes.ts';
import { NotFoundError, ignoring } from '../errors.ts';
import type { Container, PodStatus, Probe } from '../model/deploy-kinds.ts';
import { DC_LABEL, RC_LABEL, REVISION_ANNOTATION } from '../model/deploy-kinds.ts';
import { refOf } from '../model/types.ts';
import type { Pod } from '../model/objects.ts';
import { isTerminating, podLimits, setPodCondition } from '../model/pods.ts';
import { releasePod } from '../deploy/pods.ts';
import { podsOnHost } from '../deploy/host-lifecycle.ts';
import type { BindingStore } from '../scheduler/ports.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { PodContainers } from './ports.ts';
import { eachLimited } from './each-limited.ts';
import { healthCheckProbe, healthIsReadiness } from './health-check.ts';
import { runProbe, type ProbeResult, type ProbeTarget } from './probes.ts';
import type { PodSpecForHost, RunningPod } from './types.ts';
import type { Service } from '../model/objects.ts';
import { collect, eachObject } from '../store/each.ts';
import { recordEvent } from '../events/record.ts';
import type { SecretBox } from '../secrets/ports.ts';
import { searchDomainEnv } from '../services/discovery.ts';
import { PodConfigError, resolvePodConfig } from '../secrets/pod-config.ts';
import { serviceEnv } from './service-env.ts';

export interface BackoffOptions {
  /** The first wait after a container exits (Kubernetes: 10 s). */
  initialMs: number;
  /** The longest wait (Kubernetes: 5 min). */
  maxMs: number;
  /** A container that ran this long before exiting starts the back-off afresh (Kubernetes: 10 min). */
  resetMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

export interface PodSyncDeps {
  store: ObjectStore;
  bindings: BindingStore;
  hostName: string;
  /** The address pods' published ports are reached at (the Host's spec.address). */
  address: string;
  containers: PodContainers;
  /** The UID a project's pods run as. */
  uidFor(project: string): Promise<number>;
  backoff?: BackoffOptions;
  /** How long a pod being deleted keeps running after it left its Services' endpoints. */
  drainMs?: number;
  now?: () => number;
  probe?: (probe: Probe, target: ProbeTarget) => Promise<ProbeResult>;
  /**
   * Probes are run by the fleet itself rather than from here (ECS runs one probe as the
   * container's health check, fleet/health-check.ts): the pod sync runs no probes and reads the
   * container's reported health on every pass, as readiness when it stands for the readiness
   * probe, else as liveness (unhealthy restarts the pod). A container with both probes has its
   * liveness probe run nowhere.
   */
  reportedReadiness?: boolean;
  onError?: (pod: string, err: unknown) => void;
  /**
   * How long a container's start-up CPU boost (where the fleet gives one: DockerPods'
   * `startupCpuMilli`) lasts at most, from its start (default 10 s); a pod with a readiness probe
   * loses it as soon as the probe passes.
   */
  startupBoostMs?: number;
  /** How many pods of the host are synced at once (ECS throttles bursts of StartTask); all at once by default. */
  concurrency?: number;
  /** Opens the sealed values of Secrets that pods use; without it, a pod using a sealed Secret does not start. */
  secrets?: SecretBox;
  /**
   * Services are found by name in a name service (Cloud Map on AWS) rather than at cluster IPs
   * held by proxies on the host: pods get the names in their variables and their project's
   * namespace as their search domain.
   */
  serviceNames?: boolean;
}

interface ProbeState {
  successes: number;
  failures: number;
  lastRun: number;
  /** The container passed this probe at least once. */
  passed?: boolean;
}

/**
 * How often a readiness probe runs until the container first passes it (then: at its period). A
 * new pod is ready as soon as its app answers, not a whole period later; failures before the
 * first pass change nothing (the pod is not ready yet either way).
 */
export const STARTING_PROBE_MS = 200;

/** What the host remembers of one pod between passes (probe counters only: restart state is in the pod's status). */
interface PodMemory {
  containerId?: string;
  ready: boolean;
  readiness: ProbeState;
  liveness: ProbeState;
  /** When this host first saw the pod, being deleted, in no Service's endpoints. */
  unlistedAt?: number;
}

/** The longest a deleted pod waits for its Services to drop it. */
const MAX_DRAIN_MS = 60_000;
/** How long a deleted pod keeps running after it left every Service's endpoints (at most the drain). */
const UNLISTED_GRACE_MS = 2_000;

const freshProbe = (): ProbeState => ({ successes: 0, failures: 0, lastRun: 0 });

/** What the host found for the pod in its project when it started it: the environment and files. */
export interface StartConfig {
  env: PodSpecForHost['env'];
  volumes?: PodSpecForHost['volumes'];
  mounts?: PodSpecForHost['mounts'];
}

/**
 * The environment and files of a pod's container: its project's Services' variables (first, so
 * that the pod's own win), its Secrets and ConfigMaps. Throws PodConfigError
 * when a referenced object or key is missing.
 */
export async function startConfigOf(store: ObjectStore, box: SecretBox | undefined, pod: Pod, opts: { serviceNames?: boolean } = {}): Promise<StartConfig> {
  const project = pod.metadata.project;
  // Independent reads, made at once: each is a round trip to the table before the container starts.
  const [services, config, mounts] = await Promise.all([collect(eachObject<Service>(store, 'Service', project)), resolvePodConfig(store, box, pod), hostVolumeMounts(store, pod)]);
  // Services found by name (AWS): the pod's resolver also searches its project's namespace, for short names.
  const names = opts.serviceNames ? [searchDomainEnv(pod)] : [];
  return { env: [...names, ...serviceEnv(services, { byName: opts.serviceNames }), ...config.env], volumes: config.volumes, mounts };
}

/** The spec of the pod's one container as the host runs it (with `config`, as startConfigOf resolved it). */
export function specForHost(pod: Pod, uid: number, config?: StartConfig): PodSpecForHost {
  const c: Container = pod.spec.containers[0]!;
  const labels = pod.metadata.labels ?? {};
  const command = c.command || c.args ? [...(c.command ?? []), ...(c.args ?? [])] : undefined;
  const revision = Number(pod.metadata.annotations?.[REVISION_ANNOTATION] ?? /-(\d+)$/.exec(labels[RC_LABEL] ?? '')?.[1] ?? 0);
  return {
    project: pod.metadata.project,
    deployment: labels[DC_LABEL] ?? '',
    revision,
    pod: pod.metadata.name,
    image: c.image,
    // Pods written without the API's defaults (controllers, tests) may lack the empty lists.
    env: config?.env ?? (c.env ?? []).filter((e) => !e.valueFrom).map((e) => ({ name: e.name, value: e.value ?? '' })),
    ...(config?.volumes?.length ? { volumes: config.volumes } : {}),
    ...(config?.mounts?.length ? { mounts: config.mounts } : {}),
    ports: (c.ports ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol })),
    resources: podLimits(pod),
    ...(command ? { command } : {}),
    ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
    ...(c.livenessProbe ? { livenessProbe: c.livenessProbe } : {}),
    uid,
  };
}

/**
 * Readiness where the fleet checks the container's health itself. For a pod with a readiness
 * probe: healthy is ready, unhealthy and undecided (the health check's start period, or its
 * first runs) are not. For a pod without one, running is ready: its health check, if any, is its
 * liveness probe, which says nothing of readiness. Without any reported health, the Ready
 * condition stays as the fleet's events last set it.
 */
export function reportedReadiness(pod: Pod, running: RunningPod): { ready: boolean; detail?: string } {
  const probed = healthIsReadiness(pod.spec.containers[0]);
  if (running.state !== 'running') return { ready: false };
  // The health check of a container without a readiness probe is its liveness probe (or none):
  // running is ready, whatever the check says (reportedLiveness acts on it).
  if (!probed && running.health) return { ready: true };
  switch (running.health) {
    case 'healthy':
      return { ready: true };
    case 'unhealthy':
      return { ready: false, detail: 'the readiness probe (the container\'s health check) fails' };
    case 'unknown':
      return { ready: false, detail: 'the readiness probe (the container\'s health check) has not passed yet' };
    default: {
      const cond = pod.status?.conditions?.find((x) => x.type === 'Ready');
      return { ready: cond?.status === 'True', ...(cond?.message ? { detail: cond.message } : {}) };
    }
  }
}

/** Why the host stops a container whose liveness probe failed, where the host records a reason (ECS: StopTask's). */
export const LIVENESS_STOP_REASON = 'the liveness probe failed; the pod is restarted';

/**
 * The liveness verdict where the fleet runs the liveness probe as the container's health check
 * (a container with a liveness probe and no readiness probe, fleet/health-check.ts): failed when
 * the running container is reported unhealthy (ECS counted `failureThreshold` failures in a
 * row), else undecided. ECS itself leaves a task it did not start for a service running whatever
 * its health (ECS Developer Guide, "Determine Amazon ECS task health using container health
 * checks"), so the pod sync restarts it.
 */
export function reportedLiveness(pod: Pod, running: RunningPod): { ok?: false; detail?: string } {
  if (healthCheckProbe(pod.spec.containers[0])?.role !== 'liveness' || running.state !== 'running' || running.health !== 'unhealthy') return {};
  return { ok: false, detail: 'the container\'s health check reports it unhealthy' };
}

/**
 * The back-off a crash starts (pure): the first wait after a container that ran long enough
 * (or a first crash), else double the last one, up to the longest; recorded with the termination.
 */
export function crashBackoff(status: PodStatus, running: RunningPod, exitCode: number, t: number, backoff: BackoffOptions): Pick<PodStatus, 'lastTermination' | 'backoffSeconds' | 'backoffUntil'> {
  const ranFor = running.startedAt ? t - Date.parse(running.startedAt) : 0;
  const last = status.backoffSeconds === undefined || ranFor >= backoff.resetMs ? undefined : status.backoffSeconds * 1000;
  const wait = last === undefined ? backoff.initialMs : Math.min(last * 2, backoff.maxMs);
  return {
    lastTermination: { exitCode, finishedAt: new Date(t).toISOString(), containerID: running.containerId },
    backoffSeconds: wait / 1000,
    backoffUntil: new Date(t + wait).toISOString(),
  };
}

/** CrashLoopBackOff while the back-off lasts. */
function waiting(status: PodStatus, container: string, exitCode: number, restartAt: number, t: number): PodStatus {
  const secs = Math.ceil((restartAt - t) / 1000);
  const next: PodStatus = { ...status, phase: status.phase === 'Pending' ? 'Pending' : 'Running', reason: 'CrashLoopBackOff', message: `back-off ${secs}s restarting the failed container (exit code ${exitCode})`, exitCode };
  return setPodCondition(next, 'Ready', 'False', 'ContainersNotReady', `container ${container} is waiting to start again`);
}

/** A pod's status without the transition times, to tell whether anything changed. */
const comparable = (s: PodStatus | undefined) => JSON.stringify({ ...s, conditions: (s?.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: undefined })) });

export function createPodSync(deps: PodSyncDeps) {
  const { store, containers, hostName } = deps;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const drainMs = deps.drainMs ?? 5_000;
  const startupBoostMs = deps.startupBoostMs ?? 10_000;
  const now = deps.now ?? Date.now;
  const probe = deps.probe ?? runProbe;
  const memory = new Map<string, PodMemory>();
  /** The soonest probe due in this pass's pods (epoch ms), so the host can come back for it. */
  let nextProbe = Infinity;
  /** The probe times due found by the sync of one pod (kept apart from the pass's while syncs of several pods interleave). */
  const podDue = new AsyncLocalStorage<{ at: number }>();
  /** A probe (or a drain, or the end of a start-up boost) is due at `at`: come back for it then. */
  const due = (at: number) => {
    nextProbe = Math.min(nextProbe, at);
    const mine = podDue.getStore();
    if (mine) mine.at = Math.min(mine.at, at);
  };
  const keyOf = (project: string, pod: string) => `${project}/${pod}`;

  function remember(pod: Pod): PodMemory {
    const key = keyOf(pod.metadata.project, pod.metadata.name);
    let m = memory.get(key);
    if (!m) {
      m = { ready: false, readiness: freshProbe(), liveness: freshProbe() };
      memory.set(key, m);
    }
    return m;
  }

  async function writeStatus(pod: Pod, next: PodStatus): Promise<void> {
    if (comparable(pod.status) === comparable(next)) return;
    await patchStatus<Pod>(store, refOf(pod), (cur) => (cur.spec.host === hostName ? next : undefined)).catch(ignoring(NotFoundError));
  }

  function targetOf(pod: Pod, running: RunningPod): ProbeTarget {
    const exec = containers.exec?.bind(containers);
    return {
      hostPorts: running.hostPorts.map((p) => ({ ...p, hostIp: running.podIP ?? deps.address })),
      ...(exec ? { exec: (command: string[], timeoutMs: number) => exec(pod.metadata.project, pod.metadata.name, command, timeoutMs) } : {}),
    };
  }

  /** Runs a probe if it is due; returns the pass/fail verdict so far (thresholds applied), or undefined when not yet decided. */
  async function probeIfDue(p: Probe, state: ProbeState, startedAt: number, target: ProbeTarget, starting = false): Promise<{ ok?: boolean; detail?: string }> {
    const t = now();
    const period = p.periodSeconds * 1000;
    const periodMs = starting && !state.passed ? Math.min(period, STARTING_PROBE_MS) : period;
    const firstAt = startedAt + p.initialDelaySeconds * 1000;
    if (t < firstAt) {
      due(firstAt);
      return {};
    }
    if (state.lastRun && t < state.lastRun + periodMs) {
      due(state.lastRun + periodMs);
      return {};
    }
    state.lastRun = t;
    const r = await probe(p, target);
    if (r.ok) state.passed = true;
    due(t + (state.passed ? period : periodMs));
    if (r.ok) {
      state.successes++;
      state.failures = 0;
      return state.successes >= p.successThreshold ? { ok: true } : {};
    }
    state.failures++;
    state.successes = 0;
    return state.failures >= p.failureThreshold ? { ok: false, detail: r.detail } : { detail: r.detail };
  }

  /** Whether a pod being deleted has been out of every Service's endpoints long enough to stop. */
  async function drained(pod: Pod, m: PodMemory, t: number, deletedAt: number): Promise<boolean> {
    if (drainMs === 0 || t >= deletedAt + MAX_DRAIN_MS) return true;
    const services = await collect(eachObject<Service>(store, 'Service', pod.metadata.project));
    if (services.some((s) => s.status?.endpoints?.some((e) => e.pod === pod.metadata.name))) {
      m.unlistedAt = undefined;
      return false;
    }
    m.unlistedAt ??= t;
    return t >= m.unlistedAt + Math.min(drainMs, UNLISTED_GRACE_MS);
  }

  async function start(pod: Pod, m: PodMemory): Promise<RunningPod> {
    const [config, uid] = await Promise.all([startConfigOf(store, deps.secrets, pod, { serviceNames: deps.serviceNames }), deps.uidFor(pod.metadata.project)]);
    const running = await containers.ensurePod(specForHost(pod, uid, config));
    m.containerId = running.containerId;
    m.readiness = freshProbe();
    m.liveness = freshProbe();
    m.ready = false;
    return running;
  }

  /**
   * A container that cannot be made as its spec says (a Secret or key missing) waits, Pending,
   * with Kubernetes' reason and a Warning event when the reason first shows; the next pass tries
   * again. Returns false for any other error.
   */
  async function held(pod: Pod, base: PodStatus, err: unknown): Promise<boolean> {
    if (!(err instanceof PodConfigError)) return false;
    if (pod.status?.reason !== err.code || pod.status?.message !== err.message) {
      await recordEvent(store, refOf(pod), { type: 'Warning', reason: 'Failed', message: `Error: ${err.message}` }, now()).catch(ignoring(Error));
    }
    const { backoffUntil: _b, ...rest } = base;
    await writeStatus(pod, setPodCondition({ ...rest, phase: pod.status?.phase === 'Running' ? 'Running' : 'Pending', reason: err.code, message: err.message }, 'Ready', 'False', 'ContainersNotReady', err.message));
    return true;
  }

  /**
   * A container started above its CPU limit (the start-up boost) is held to the limit once its
   * start is over: its readiness probe passed, or the boost's time is up (the pass comes back
   * then). Whatever started it, a container over its limit is never left so.
   */
  async function endBoost(pod: Pod, running: RunningPod, startedAt: number, t: number, probedReady: boolean): Promise<void> {
    const limit = podLimits(pod).cpuMilli;
    if (!containers.limitCpu || running.cpuMilli === undefined || running.cpuMilli <= limit) return;
    if (probedReady || t >= startedAt + startupBoostMs) await containers.limitCpu(pod.metadata.project, pod.metadata.name, limit);
    else due(startedAt + startupBoostMs);
  }

  /** Each pod's turn: a sync of a pod kicked beside a timed pass, and the pass's, never work on one pod at once. */
  const turns = new Map<string, Promise<unknown>>();
  function inTurn<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (turns.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    turns.set(key, run);
    void run.then(
      () => turns.get(key) === run && turns.delete(key),
      () => turns.get(key) === run && turns.delete(key),
    );
    return run;
  }
  /** The resourceVersion of the newest copy of each pod synced here. */
  const syncedVersion = new Map<string, string>();
  /** A copy read before one already synced (a pass's, read before a kick's sync): nothing to do that the newer one did not. */
  const olderThanSynced = (key: string, rv: string | undefined) => {
    const last = syncedVersion.get(key);
    return rv !== undefined && last !== undefined && /^\d+$/.test(rv) && /^\d+$/.test(last) && rv.length === last.length && rv < last;
  };

  /** Syncs the pod in its turn, unless a newer copy of it was synced meanwhile; when it wants looking at again (a probe due). */
  function syncPod(pod: Pod): Promise<{ nextProbeAt?: number }> {
    const key = keyOf(pod.metadata.project, pod.metadata.name);
    return inTurn(key, async () => {
      if (olderThanSynced(key, pod.metadata.resourceVersion)) return {};
      if (pod.metadata.resourceVersion !== undefined) syncedVersion.set(key, pod.metadata.resourceVersion);
      const mine = { at: Infinity };
      await podDue.run(mine, () => syncPodNow(pod));
      return mine.at < Infinity ? { nextProbeAt: mine.at } : {};
    });
  }

  async function syncPodNow(pod: Pod): Promise<void> {
    const m = remember(pod);
    const c = pod.spec.containers[0]!;
    const policy = pod.spec.restartPolicy ?? 'Always';
    const base: PodStatus = { ...pod.status, hostIP: deps.address, conditions: pod.status?.conditions ?? [], restartCount: pod.status?.restartCount ?? 0 };
    const t = now();

    if (isTerminating(pod)) {
      const deletedAt = Date.parse(pod.metadata.deletionTimestamp!);
      const left = await drained(pod, m, t, deletedAt);
      if (t < deletedAt + drainMs || !left) {
        await writeStatus(pod, setPodCondition(base, 'Ready', 'False', 'Terminating', 'the pod is being deleted'));
        due(left ? deletedAt + drainMs : t + 500);
        return;
      }
      await containers.removePod(pod.metadata.project, pod.metadata.name);
      memory.delete(keyOf(pod.metadata.project, pod.metadata.name));
      // Its last synced version stays: a pass's copy read before the deletion must not start it again.
      await releasePod(store, deps.bindings, pod);
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;

    let running = await containers.inspectPod(pod.metadata.project, pod.metadata.name);
    let status = base;
    if (running && running.state === 'exited') {
      const exitCode = running.exitCode ?? -1;
      if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) {
        const phase = exitCode === 0 ? 'Succeeded' : 'Failed';
        await writeStatus(pod, setPodCondition({ ...base, phase, exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', message: `the container exited with code ${exitCode}` }, 'Ready', 'False', 'PodCompleted'));
        return;
      }
      // It exited and should run: back off (from the status, so any pass continues it), then start it again.
      const crashed = base.lastTermination?.containerID === running.containerId && base.backoffUntil ? base : { ...base, ...crashBackoff(base, running, exitCode, t, backoff) };
      const restartAt = Date.parse(crashed.backoffUntil!);
      if (t < restartAt) {
        await writeStatus(pod, waiting(crashed, c.name, exitCode, restartAt, t));
        return;
      }
      try {
        running = await start(pod, m);
      } catch (err) {
        if (await held(pod, crashed, err)) return;
        throw err;
      }
      const { backoffUntil: _b, ...started } = crashed;
      status = { ...started, restartCount: base.restartCount + 1 };
    } else if (!running && base.backoffUntil && t < Date.parse(base.backoffUntil)) {
      // The exited container is gone (ECS forgets stopped tasks): the back-off still holds.
      await writeStatus(pod, waiting(base, c.name, base.lastTermination?.exitCode ?? -1, Date.parse(base.backoffUntil), t));
      return;
    } else if (!running) {
      try {
        running = await start(pod, m);
      } catch (err) {
        if (await held(pod, base, err)) return;
        await writeStatus(pod, setPodCondition({ ...base, phase: 'Pending', reason: 'ContainerCreating', message: (err as Error).message }, 'Ready', 'False', 'ContainersNotReady'));
        throw err;
      }
    }

    // Running (or just created): probes.
    const startedAt = running.startedAt ? Date.parse(running.startedAt) : t;
    const target = targetOf(pod, running);
    // A failed liveness probe (probed here, or the container's health check where the fleet runs
    // it) restarts the container at once, without back-off: it did not crash.
    const liveness = deps.reportedReadiness ? reportedLiveness(pod, running) : c.livenessProbe ? await probeIfDue(c.livenessProbe, m.liveness, startedAt, target) : {};
    if (liveness.ok === false) {
      await containers.removePod(pod.metadata.project, pod.metadata.name, LIVENESS_STOP_REASON);
      status = { ...status, restartCount: status.restartCount + 1, reason: 'Unhealthy', message: `the liveness probe failed: ${liveness.detail ?? ''}`.trim() };
      try {
        running = await start(pod, m);
      } catch (err) {
        // The restart is counted and shown even when the new container does not start: the next
        // pass finds none and starts it.
        if (await held(pod, status, err)) return;
        const { readySince: _s, ...stopped } = status;
        await writeStatus(pod, setPodCondition(stopped, 'Ready', 'False', 'ContainersNotReady', status.message));
        throw err;
      }
    }
    let readyDetail: string | undefined;
    if (deps.reportedReadiness) {
      const verdict = reportedReadiness(pod, running);
      m.ready = verdict.ready;
      readyDetail = verdict.detail;
    } else if (c.readinessProbe) {
      const verdict = await probeIfDue(c.readinessProbe, m.readiness, startedAt, targetOf(pod, running), true);
      if (verdict.ok !== undefined) m.ready = verdict.ok;
      readyDetail = verdict.detail;
    } else {
      m.ready = running.state === 'running';
    }
    await endBoost(pod, running, startedAt, t, Boolean(c.readinessProbe) && m.ready);
    const { reason: _r, message: _m, exitCode: _e, backoffUntil: _b, ...rest } = status;
    const wasReady = pod.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
    const next: PodStatus = {
      ...rest,
      ...(status.reason === 'Unhealthy' ? { reason: status.reason, message: status.message } : {}),
      phase: 'Running',
      hostIP: deps.address,
      ...(running.podIP ? { podIP: running.podIP } : {}),
      ports: running.hostPorts.map((p) => ({ containerPort: p.containerPort, hostIP: running.podIP ?? deps.address, hostPort: p.hostPort })),
      containerID: running.containerId,
      image: c.image,
      startTime: pod.status?.startTime ?? new Date(t).toISOString(),
      ...(m.ready ? { readySince: wasReady && pod.status.readySince ? pod.status.readySince : new Date(t).toISOString() } : { readySince: undefined }),
    };
    if (!m.ready) delete next.readySince;
    await writeStatus(pod, setPodCondition(next, 'Ready', m.ready ? 'True' : 'False', m.ready ? undefined : 'ContainersNotReady', m.ready ? undefined : readyDetail));
  }

  /** One pass over the host; `bound` are its pods when the caller has read them already (one read of all pods for every host). */
  async function syncHost(bound?: Pod[]): Promise<{ pods: number; removed: number; nextProbeAt?: number }> {
    nextProbe = Infinity;
    const mine: Pod[] = bound ? [...bound] : [];
    if (!bound) for await (const p of podsOnHost(store, hostName)) mine.push(p);
    const wanted = new Set(mine.map((p) => keyOf(p.metadata.project, p.metadata.name)));
    let removed = 0;
    for (const c of await containers.listPods()) {
      const key = keyOf(c.project, c.pod);
      if (wanted.has(key)) continue;
      const gone = await inTurn(key, async () => {
        // Bound here after this pass read its pods (a kicked start beside the pass): not a stray.
        const now = await store.get<Pod>({ kind: 'Pod', project: c.project, name: c.pod });
        if (now?.spec.host === hostName) return false;
        await containers.removePod(c.project, c.pod);
        memory.delete(key);
        syncedVersion.delete(key);
        return true;
      }).catch((err) => {
        deps.onError?.(c.pod, err);
        return false;
      });
      if (gone) removed++;
    }
    for (const kept of [memory, syncedVersion]) for (const key of [...kept.keys()]) if (!wanted.has(key) && !turns.has(key)) kept.delete(key);
    await eachLimited(mine, deps.concurrency ?? mine.length, (p) => syncPod(p).catch((err) => deps.onError?.(p.metadata.name, err)));
    // Networks a crash left behind: looked for on the first pass and after removals, not every second.
    if (containers.pruneNetworks && (removed > 0 || !prunedOnce)) {
      prunedOnce = true;
      await containers.pruneNetworks().catch((err) => deps.onError?.('(networks)', err));
    }
    return { pods: mine.length, removed, ...(nextProbe < Infinity ? { nextProbeAt: nextProbe } : {}) };
  }
  let prunedOnce = false;

  return { syncPod, syncHost };
}

export type PodSync = ReturnType<typeof createPodSync>;
