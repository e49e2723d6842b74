// The local Docker adapter of the fleet's pod containers: one Docker Engine is one host.
// Ensures, inspects, lists and removes pod containers; it touches only containers that carry
// `berth.io/managed=true` (STYLE 7: check ownership labels before touching a container). Each
// project's pods join the project's own network on the engine (docker-networks.ts), made with
// its first pod and removed with its last (kept while the project is idled: keepNetwork).
import { pullAuthFor } from '../builds/pull-auth.ts';
import { imageProblem, type PlatformRegistry } from '../images/access.ts';
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError, ConflictError } from '../errors.ts';
import { LABELS, podContainerName, podContainerSpec, projectUid } from './pod-container.ts';
import { ProjectNetworks, type KeepNetwork } from './docker-networks.ts';
import { SANDBOX_LABEL, WarmSandboxes, type Sandbox } from './docker-sandboxes.ts';
import { PodFiles } from './pod-files.ts';
import type { VolumeMounter } from '../volumes/ports.ts';
import { subPathDir } from '../volumes/pod-volumes.ts';
import { connectTcp, logStream, startExec } from './docker-streams.ts';
import { SERVICE_PROXY_LABEL, projectNetworkName } from './project-network.ts';
import type { ProjectAddressing } from '../services/addressing.ts';
import type { ExecRequest, ExecSession, LogOptions, PodContainers } from './ports.ts';
import type { HostPort, ListedPod, PodSpecForHost, RunningPod } from './types.ts';

/** Refused: the named container exists but Berth did not create it. */
export class UnmanagedContainerError extends BerthError {
  constructor(name: string) {
    super(409, 'UnmanagedContainer', `container "${name}" is not managed by Berth`, {
      suggestion: `remove or rename it yourself (docker rm -f ${name}) if it is in the way`,
    });
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/** The engine's 404 for a container's network that is gone (removed with a project's last pod meanwhile). */
function isNetworkNotFound(err: unknown): boolean {
  return isNotFound(err) && /network .* not found/i.test(String((err as { json?: { message?: string } }).json?.message ?? (err as Error).message));
}

function hostPortsOf(ports: Docker.ContainerInspectInfo['NetworkSettings']['Ports'] | undefined): HostPort[] {
  const out: HostPort[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const containerPort = Number(key.split('/')[0]);
    for (const b of bindings ?? []) out.push({ containerPort, hostIp: b.HostIp, hostPort: Number(b.HostPort) });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort);
}

/** The text of a non-TTY container's log stream: 8-byte frame headers removed. */
export function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length && (raw[i] === 1 || raw[i] === 2 || raw[i] === 0) && raw[i + 1] === 0 && raw[i + 2] === 0 && raw[i + 3] === 0) {
    const size = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i < raw.length) parts.push(raw.subarray(i));
  return Buffer.concat(parts).toString('utf8');
}

function stateOf(status: string): RunningPod['state'] {
  return status === 'running' || status === 'created' ? status : 'exited';
}

/** A pod that joined a sandbox is reached at its own address, on each container port (nothing is published). */
function joinedPorts(labels: Record<string, string> | undefined): { podIP: string; hostPorts: HostPort[] } | undefined {
  const podIP = labels?.[LABELS.podIP];
  if (!podIP) return undefined;
  const ports = (labels[LABELS.podPorts] ?? '').split(',').filter(Boolean).map(Number);
  return { podIP, hostPorts: ports.map((p) => ({ containerPort: p, hostIp: podIP, hostPort: p })) };
}

function runningPodOf(info: Docker.ContainerInspectInfo): RunningPod {
  const joined = joinedPorts(info.Config.Labels);
  const pod: RunningPod = {
    containerId: info.Id,
    hostPorts: joined?.hostPorts ?? hostPortsOf(info.NetworkSettings.Ports),
    ...(joined ? { podIP: joined.podIP } : {}),
    state: stateOf(info.State.Status),
    restartCount: info.RestartCount,
  };
  if (pod.state === 'exited') pod.exitCode = info.State.ExitCode;
  if (info.State.StartedAt && !info.State.StartedAt.startsWith('0001-')) pod.startedAt = info.State.StartedAt;
  if (info.HostConfig?.NanoCpus) pod.cpuMilli = info.HostConfig.NanoCpus / 1_000_000;
  return pod;
}

export interface DockerPodsOptions {
  /** The UID a project's pods run as when the spec names none; defaults to `projectUid`. */
  uidFor?: (project: string) => number;
  /** Credentials for pulling pod images from the platform registry (none for the local one). */
  registryAuth?: { username: string; password: string; serveraddress: string };
  /**
   * Marks the containers as this host agent's and leaves every other container alone, so that two
   * platforms (or two hosts) sharing one engine never touch each other's pods.
   */
  owner?: string;
  /**
   * The platform registry's layout: a pod may run only its project's own images, the shared ones
   * and public ones (checked here too, since this engine would pull any image, and may hold
   * another project's in its cache).
   */
  images?: PlatformRegistry;
  /** Where the files of pods' Secret and ConfigMap volumes are written (under PAAS_HOME); a pod with such volumes needs it. */
  filesDir?: string;
  /** Mounts claims' volumes on this host (loop-mounted disks under PAAS_HOME); a pod with claims needs it. */
  volumes?: VolumeMounter;
  /**
   * Whose project networks the pods join: the platform's, so that host agents of one platform
   * sharing an engine share each project's network (and its Services' proxies). Defaults to `owner`.
   */
  networkOwner?: string;
  /**
   * Each project's addresses (services/addressing.ts): its network's subnet, its pods' range and
   * its Services' range. Without it, networks take their subnet from the engine's pool.
   */
  addressing?: (project: string) => Promise<ProjectAddressing>;
  /** Whether a project keeps its network when its last pod here goes (an idled project: shared/idling/kept-networks.ts). */
  keepNetwork?: KeepNetwork;
  /**
   * The start-up boost: a container starts allowed this much CPU (millicores) when its limit is
   * lower, so that the app's start (an interpreter loading its modules) is not throttled to the
   * limit; the pod sync sets the limit once the start is over (`limitCpu`). None by default.
   */
  startupCpuMilli?: number;
  /**
   * Warm sandboxes from this image (the Services' proxy image: anything with `sleep`): a project's
   * network holds a started container whose network namespace the project's next pod joins, for a
   * faster start (docker-sandboxes.ts). None by default.
   */
  sandboxes?: { image: string };
}

export class DockerPods implements PodContainers {
  private readonly uidFor: (project: string) => number;
  private readonly registryAuth: DockerPodsOptions['registryAuth'];

  constructor(
    private readonly docker: Docker,
    opts: DockerPodsOptions = {},
  ) {
    this.uidFor = opts.uidFor ?? projectUid;
    this.registryAuth = opts.registryAuth;
    this.owner = opts.owner;
    this.networkOwner = opts.networkOwner ?? opts.owner;
    this.networks = new ProjectNetworks(docker, this.networkOwner, opts.keepNetwork, opts.sandboxes ? new WarmSandboxes(docker, { image: opts.sandboxes.image, owner: this.networkOwner }) : undefined);
    this.addressing = opts.addressing;
    this.images = opts.images;
    this.files = opts.filesDir ? new PodFiles(opts.filesDir) : undefined;
    this.volumes = opts.volumes;
    this.startupCpuMilli = opts.startupCpuMilli ?? 0;
  }

  private readonly startupCpuMilli: number;

  private readonly volumes: VolumeMounter | undefined;

  private readonly files: PodFiles | undefined;

  private readonly images: PlatformRegistry | undefined;

  private readonly owner: string | undefined;
  private readonly networkOwner: string | undefined;
  private readonly addressing: DockerPodsOptions['addressing'];
  /** The engine's project networks of this owner. */
  readonly networks: ProjectNetworks;

  /** Managed by Berth and, when this adapter has an owner, by this owner. */
  private mine(labels: Record<string, string> | undefined): boolean {
    return labels?.[LABELS.managed] === 'true' && (this.owner === undefined || labels[LABELS.owner] === this.owner);
  }

  /**
   * Runs the pod unless its container already runs the same image; idempotent.
   * A stopped or outdated managed container of the same name is replaced.
   */
  async ensurePod(spec: PodSpecForHost): Promise<RunningPod> {
    const name = podContainerName(spec.project, spec.pod);
    const problem = this.images ? imageProblem(spec.image, spec.project, this.images) : undefined;
    if (problem) throw new BerthError(403, 'ImageNotAllowed', `pod ${spec.project}/${spec.pod}: the image ${spec.image} ${problem}`);
    // The project's network is made ready while the pod's container is looked for (both are
    // round trips to the engine); a running container that is already the pod's is kept.
    const addressed = (async () => {
      const addressing = await this.addressing?.(spec.project);
      return { addressing, network: await this.networks.ensure(spec.project, addressing) };
    })();
    addressed.catch(() => undefined);
    const existing = await this.inspectByName(name);
    if (existing) {
      if (!this.mine(existing.Config.Labels)) throw new UnmanagedContainerError(name);
      if (existing.State.Running && existing.Config.Image === spec.image) return runningPodOf(existing);
      await this.replace(existing, name);
    }
    const { addressing, network } = await addressed;
    // A sandbox to join: the pod's own from before a restart, or a warm one of its project's network.
    const sandbox: Sandbox | undefined = await this.networks.sandboxes?.claim(spec.project, name, network);
    const uid = spec.uid ?? this.uidFor(spec.project);
    if (spec.volumes?.length && !this.files) throw new BerthError(501, 'NoPodFiles', `pod ${spec.project}/${spec.pod} mounts Secret or ConfigMap files, and this host keeps none`);
    const files = spec.volumes?.length ? await this.files!.write(name, uid, spec.volumes) : [];
    const volumes = await this.claimMounts(spec, uid);
    const options = podContainerSpec(spec, { uid, network, sandbox, files, volumes, startupCpuMilli: this.startupCpuMilli });
    if (this.owner !== undefined) options.Labels = { ...options.Labels, [LABELS.owner]: this.owner };
    const create = () =>
      this.docker.createContainer(options).catch(async (err: unknown) => {
        if ((err as { statusCode?: number }).statusCode === 409) throw new ConflictError(`container "${name}" is being created by someone else`, 'retry');
        // The project's last pod went meanwhile and took the network with it: make it again, once.
        if (!isNetworkNotFound(err)) throw err;
        await this.networks.ensure(spec.project, addressing);
        return this.docker.createContainer(options);
      });
    const created = await create().catch(async (err: unknown) => {
      // An image this engine does not have yet is pulled (from the platform registry), once.
      if (!isNotFound(err) || isNetworkNotFound(err)) throw err;
      await this.pull(spec.image);
      return create();
    });
    await created.start().catch(async (err: unknown) => {
      // Not started (the sandbox it was to join went meanwhile, say): nothing of this try is
      // left behind, so that the next sync starts the pod afresh instead of finding a container
      // that never ran.
      await created.remove({ force: true }).catch(() => undefined);
      if (sandbox) await this.networks.sandboxes?.release(spec.project, name).catch(() => undefined);
      throw err;
    });
    // The project's next pod finds a warm sandbox too (made a moment later, not beside this start).
    this.networks.sandboxes?.rewarm(spec.project, network);
    return runningPodOf(await created.inspect());
  }

  /** The host directories of the pod's claims (each volume mounted here first, its subPath made). */
  private async claimMounts(spec: PodSpecForHost, uid: number): Promise<{ source: string; target: string; readOnly: boolean }[]> {
    const claims = (spec.mounts ?? []).filter((m) => m.claim);
    if (claims.length && !this.volumes) throw new BerthError(501, 'NoVolumes', `pod ${spec.project}/${spec.pod} mounts persistent volume claims, and this host mounts none`);
    const out: { source: string; target: string; readOnly: boolean }[] = [];
    for (const m of claims) {
      const dir = await this.volumes!.mount(m.claim!.volumeName);
      out.push({ source: m.claim!.subPath ? await subPathDir(dir, m.claim!.subPath, uid) : dir, target: m.target, readOnly: m.readOnly });
    }
    return out;
  }

  /**
   * Out of the way of the pod's new container: a container that exited is kept, stopped, as the
   * pod's previous one (for `logs --previous`), replacing any older one; a running one, or one
   * that never started, is removed.
   */
  private async replace(existing: Docker.ContainerInspectInfo, name: string): Promise<void> {
    // Running, or made and never started (it has no run to keep): removed.
    if (existing.State.Running || existing.State.Status === 'created') {
      await this.docker.getContainer(existing.Id).remove({ force: true });
      return;
    }
    await this.removeByName(previousName(name));
    await this.docker.getContainer(existing.Id).rename({ name: previousName(name) });
  }

  private async removeByName(name: string): Promise<void> {
    const info = await this.inspectByName(name);
    if (!info) return;
    if (!this.mine(info.Config.Labels)) throw new UnmanagedContainerError(name);
    await this.docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }

  /**
   * The pod's container on this host, or undefined when there is none Berth manages, or only
   * one that was made and never started (an agent stopped between the two): on an engine that
   * state does not move by itself, so the pod is to be started (ensurePod replaces it).
   */
  async inspectPod(project: string, pod: string): Promise<RunningPod | undefined> {
    const info = await this.inspectByName(podContainerName(project, pod));
    const labels = info?.Config.Labels ?? {};
    if (!info || !this.mine(labels) || labels[LABELS.project] !== project || labels[LABELS.pod] !== pod || info.State.Status === 'created') return undefined;
    return runningPodOf(info);
  }

  /**
   * Removes the pod's container (running or not), and the project's network with its last pod
   * unless the project keeps it; refuses containers Berth did not create.
   */
  async removePod(project: string, pod: string): Promise<void> {
    const name = podContainerName(project, pod);
    await this.removeByName(name);
    await this.removeByName(previousName(name));
    await this.networks.sandboxes?.release(project, name);
    await this.files?.remove(name);
    // The pod is gone whatever happens to its network: one the engine will not remove now is
    // removed later (pruneNetworks).
    await this.networks.releaseIfUnused(project).catch(() => false);
  }

  /** Removes this owner's project networks that no pod uses any more (a crash between a pod's removal and its network's). */
  async pruneNetworks(): Promise<number> {
    return this.networks.prune();
  }

  async limitCpu(project: string, pod: string, cpuMilli: number): Promise<void> {
    const info = await this.ownContainer(project, pod);
    await this.docker.getContainer(info.Id).update({ NanoCpus: cpuMilli * 1_000_000 });
  }

  async exec(project: string, pod: string, command: string[], timeoutMs: number): Promise<{ exitCode: number }> {
    const info = await this.ownContainer(project, pod);
    const exec = await this.docker.getContainer(info.Id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, User: info.Config.User });
    const stream = await exec.start({ hijack: true, stdin: false });
    stream.resume();
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    const timedOut = await Promise.race([ended.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref())]);
    stream.destroy();
    if (timedOut) return { exitCode: -1 };
    return { exitCode: (await exec.inspect()).ExitCode ?? -1 };
  }

  async logs(project: string, pod: string, opts: { tail?: number } = {}): Promise<string> {
    const info = await this.ownContainer(project, pod);
    const raw = (await this.docker.getContainer(info.Id).logs({ stdout: true, stderr: true, follow: false, ...(opts.tail ? { tail: opts.tail } : {}) })) as unknown as Buffer;
    return demultiplex(raw);
  }

  async openExec(project: string, pod: string, req: ExecRequest): Promise<ExecSession> {
    const info = await this.ownContainer(project, pod);
    if (!info.State.Running) throw new ConflictError(`pod ${project}/${pod} is not running`, `see why with: berth describe pod/${pod}`);
    return startExec(this.docker, info, req);
  }

  async streamLogs(project: string, pod: string, opts: LogOptions): Promise<Readable> {
    const info = await this.ownContainer(project, pod, opts.previous);
    return logStream(this.docker, info.Id, opts);
  }

  /**
   * A connection to the pod's port at its address on the project's network, which the host
   * reaches (and no other project's pod does); a port nothing listens on is a 502 that says so.
   */
  async connectPort(project: string, pod: string, port: number): Promise<Duplex> {
    const info = await this.ownContainer(project, pod);
    if (!info.State.Running) throw new ConflictError(`pod ${project}/${pod} is not running`, `see why with: berth describe pod/${pod}`);
    const address = joinedPorts(info.Config.Labels)?.podIP ?? info.NetworkSettings.Networks?.[projectNetworkName(project, this.networkOwner)]?.IPAddress;
    if (!address) throw new ConflictError(`pod ${project}/${pod} has no address on its project's network`, 'it may be starting; try again');
    return connectTcp(address, port, `pod ${pod}`);
  }

  /** The pod's container (or the one before its last restart) on this host, when it is this adapter's and the pod's; else a 404 that says so. */
  private async ownContainer(project: string, pod: string, previous = false): Promise<Docker.ContainerInspectInfo> {
    const name = podContainerName(project, pod);
    const info = await this.inspectByName(previous ? previousName(name) : name);
    const labels = info?.Config.Labels;
    if (!info || !this.mine(labels) || labels?.[LABELS.project] !== project || labels[LABELS.pod] !== pod) {
      const what = previous ? 'no previous container (it has not restarted here)' : 'no container on this host';
      throw new BerthError(404, 'NotFound', `pod ${project}/${pod} has ${what}`, { suggestion: 'it may not have started yet, or may have been replaced' });
    }
    return info;
  }

  private async pull(image: string): Promise<void> {
    // The platform's login goes to the platform registry only, never to a public one.
    const auth = pullAuthFor(image, this.registryAuth);
    const stream = await this.docker.pull(image, auth ? { authconfig: auth } : {});
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
        const failed = err?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(new BerthError(502, 'ImagePullFailed', `pulling ${image} failed: ${failed}`));
        else resolve();
      }),
    );
  }

  /** Every managed pod container on this host, running or not. */
  async listPods(): Promise<ListedPod[]> {
    const label = [`${LABELS.managed}=true`, ...(this.owner !== undefined ? [`${LABELS.owner}=${this.owner}`] : [])];
    const list = await this.docker.listContainers({ all: true, filters: { label } });
    // A pod's previous container goes with the pod (removePod), not as a pod of its own.
    return list.filter((c) => !c.Names.some((n) => n.endsWith(PREVIOUS_SUFFIX))).map((c) => {
      const labels = c.Labels ?? {};
      const joined = joinedPorts(labels);
      const hostPorts =
        joined?.hostPorts ??
        c.Ports.filter((p) => p.PublicPort !== undefined)
          .map((p) => ({ containerPort: p.PrivatePort, hostIp: p.IP ?? '', hostPort: p.PublicPort }))
          .sort((a, b) => a.containerPort - b.containerPort);
      return {
        containerId: c.Id,
        hostPorts,
        ...(joined ? { podIP: joined.podIP } : {}),
        state: stateOf(c.State),
        project: labels[LABELS.project] ?? '',
        deployment: labels[LABELS.deployment] ?? '',
        revision: Number(labels[LABELS.revision] ?? 0),
        pod: labels[LABELS.pod] ?? '',
        image: c.Image,
      };
    });
  }

  private async inspectByName(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(name).inspect();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

const PREVIOUS_SUFFIX = '_previous';

/** The name a pod's container keeps once it has been replaced after exiting; no pod container has two underscores. */
function previousName(name: string): string {
  return `${name}${PREVIOUS_SUFFIX}`;
}

/**
 * Removes every pod container of one owner (a platform stopping its local host), the Services'
 * proxies on the networks of `networkOwner` (the owner's by default), then those networks.
 * Returns how many pod containers.
 */
export async function removeOwnedContainers(docker: Docker, owner: string, networkOwner: string = owner): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.owner}=${owner}`] } });
  const proxies = await docker.listContainers({ all: true, filters: { label: [`${SERVICE_PROXY_LABEL}=${networkOwner}`] } });
  const sandboxes = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=${networkOwner}`] } });
  await Promise.all([...list, ...proxies, ...sandboxes].map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  await new ProjectNetworks(docker, networkOwner).prune();
  return list.length;
}
