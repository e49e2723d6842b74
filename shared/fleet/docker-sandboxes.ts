// Warm sandboxes: while a project has pods on an engine, or is idled and keeps its network there
// (docker-networks.ts), one small started container holds a network namespace on its network,
// so that the next pod it starts (a rollout's, a scale-up's, a wake's) joins it (Docker's
// `container:` network mode) instead of having Docker make its own: a start that joins a namespace takes about a third of the time of one
// that makes one on a user-defined network (interface, address, embedded DNS). The pod then has
// the sandbox's address on the project network, where the host (the router, probes,
// port-forward) and the project's Services' proxies reach its ports directly; nothing is
// published on the host. A claimed sandbox is renamed after its pod's container and goes with it.
//
// Names: a warm sandbox is `berth-<project>__sandbox-<hex>` (a pod name cannot begin with `_`),
// a claimed one `<pod container name>_sandbox` (`_` occurs in neither a project nor a pod name).
// Labels: SANDBOX_LABEL (the network owner) and berth.io/project; never berth.io/managed, so that
// no listing of pods takes a sandbox for one.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { LABELS } from './pod-container.ts';

/** Marks a sandbox container, with the owner of the network it is on as the value. */
export const SANDBOX_LABEL = 'berth.io/sandbox';

const CLAIMED_SUFFIX = '_sandbox';
const warmPrefix = (project: string) => `berth-${project}__sandbox-`;

/** Whether a container name (with or without its `/`) is a warm sandbox's of `project`. */
export const isWarmSandboxName = (containerName: string, project: string) => containerName.replace(/^\//, '').startsWith(warmPrefix(project));

/** The name of the sandbox a pod's container joined. */
export const claimedSandboxName = (podContainer: string) => `${podContainer}${CLAIMED_SUFFIX}`;

/** The pod whose sandbox a container name (as the engine lists it, with or without its `/`) is, in `project`; undefined for any other. */
export function sandboxPod(containerName: string, project: string): string | undefined {
  const n = containerName.replace(/^\//, '');
  const prefix = `berth-${project}_`;
  if (!n.startsWith(prefix) || !n.endsWith(CLAIMED_SUFFIX) || n.startsWith(warmPrefix(project))) return undefined;
  const pod = n.slice(prefix.length, -CLAIMED_SUFFIX.length);
  return pod && !pod.includes('_') ? pod : undefined;
}

/** A sandbox a pod's container joins: its container and its address on the project network. */
export interface Sandbox {
  id: string;
  ip: string;
}

const status = (err: unknown) => (err as { statusCode?: number }).statusCode;
const gone = (err: unknown) => (status(err) === 404 ? undefined : Promise.reject(err));

/**
 * The warm sandboxes of one network owner on one engine.
 * @example const s = new WarmSandboxes(docker, { image: 'berth/service-proxy:1', owner }); await s.ensureWarm('shop', 'berth-net-…_shop')
 */
export class WarmSandboxes {
  /** Projects with a warm sandbox made or seen here: only their pods look for one. */
  private readonly warm = new Set<string>();
  /** Sandboxes being made, by project: calls of this process for one project share one look (two at once would each make one). */
  private readonly ensuring = new Map<string, Promise<void>>();
  /** rewarm's timers, by project. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly docker: Docker,
    private readonly opts: { image: string; owner?: string },
  ) {}

  private get ownerValue(): string {
    return this.opts.owner ?? '';
  }

  private isOurs(labels: Record<string, string> | undefined, project: string): boolean {
    return labels?.[SANDBOX_LABEL] === this.ownerValue && labels?.[LABELS.project] === project;
  }

  /** The project's warm (unclaimed) sandboxes, running or not. */
  private async listWarm(project: string): Promise<Docker.ContainerInfo[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=${this.ownerValue}`, `${LABELS.project}=${project}`] } });
    return list.filter((c) => c.Names.some((n) => isWarmSandboxName(n, project)));
  }

  /** The sandbox the pod's container joined, when there is one and it is ours under exactly that name. */
  private async claimedOf(project: string, podContainer: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const name = claimedSandboxName(podContainer);
    const info = await this.docker
      .getContainer(name)
      .inspect()
      .catch((err: unknown) => gone(err));
    return info && this.isOurs(info.Config.Labels, project) && info.Name.replace(/^\//, '') === name ? info : undefined;
  }

  private async remove(id: string): Promise<void> {
    await this.docker.getContainer(id).remove({ force: true }).catch(gone);
  }

  /**
   * Makes a warm sandbox of the project a moment from now (not while the pod that just started
   * is still starting beside it), for its next pod: the next rollout's or scale-up's. Calls
   * within the moment make one. Failures are left to the next start's call.
   */
  rewarm(project: string, network: string, delayMs = 1_000): void {
    if (this.stopped || this.timers.has(project)) return;
    const timer = setTimeout(() => {
      this.timers.delete(project);
      void this.ensureWarm(project, network).catch(() => undefined);
    }, delayMs);
    timer.unref();
    this.timers.set(project, timer);
  }

  /** Makes no more sandboxes, and waits for those being made (before the owner's containers are removed). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.ensuring.values()].map((p) => p.catch(() => undefined)));
  }

  /** Makes one warm sandbox of the project on its network unless one runs; an exited one is replaced. */
  ensureWarm(project: string, network: string): Promise<void> {
    const pending = this.ensuring.get(project);
    if (pending) return pending;
    const made = this.ensureWarmOnce(project, network).finally(() => this.ensuring.delete(project));
    this.ensuring.set(project, made);
    return made;
  }

  private async ensureWarmOnce(project: string, network: string): Promise<void> {
    if (this.stopped) return;
    const warm = await this.listWarm(project);
    for (const c of warm) if (c.State !== 'running') await this.remove(c.Id);
    if (warm.some((c) => c.State === 'running')) {
      this.warm.add(project);
      return;
    }
    const created = await this.docker.createContainer({
      name: `${warmPrefix(project)}${randomBytes(4).toString('hex')}`,
      Image: this.opts.image,
      Cmd: ['sleep', 'infinity'],
      User: '65534:65534',
      Labels: { [SANDBOX_LABEL]: this.ownerValue, [LABELS.project]: project },
      HostConfig: {
        NetworkMode: network,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Memory: 16 << 20,
        NanoCpus: 50_000_000,
        PidsLimit: 8,
        RestartPolicy: { Name: 'no' },
      },
    });
    await created.start();
    this.warm.add(project);
  }

  /**
   * Removes the project's warm sandboxes (its network goes); claimed ones go with their pods. By
   * name: one claimed (renamed) after it was listed is not removed from under its pod.
   */
  async removeWarm(project: string): Promise<void> {
    this.warm.delete(project);
    const names = (await this.listWarm(project)).flatMap((c) => c.Names.filter((n) => isWarmSandboxName(n, project)).slice(0, 1));
    await Promise.all(names.map((n) => this.remove(n.replace(/^\//, ''))));
  }

  /**
   * The sandbox the pod's container is to join: the one it already has (a restart keeps its
   * address), else a warm one of its project, claimed by renaming it after the pod (one claim
   * wins when two race); undefined when there is none.
   */
  async claim(project: string, podContainer: string, network: string): Promise<Sandbox | undefined> {
    const mine = await this.claimedOf(project, podContainer);
    if (mine) {
      const ip = mine.NetworkSettings.Networks?.[network]?.IPAddress;
      if (mine.State.Running && ip) return { id: mine.Id, ip };
      await this.remove(mine.Id);
    }
    if (!this.warm.has(project)) return undefined;
    // Whether it is claimed or not, the project has no warm one left until it is made again.
    this.warm.delete(project);
    for (const c of await this.listWarm(project)) {
      const ip = c.NetworkSettings?.Networks?.[network]?.IPAddress;
      if (c.State !== 'running' || !ip) continue;
      const claimed = await this.docker
        .getContainer(c.Id)
        .rename({ name: claimedSandboxName(podContainer) })
        .then(
          () => true,
          (err: unknown) => (status(err) === 404 || status(err) === 409 ? false : Promise.reject(err)),
        );
      if (claimed) return { id: c.Id, ip };
    }
    return undefined;
  }

  /** Removes the sandbox the pod's container joined, if any. */
  async release(project: string, podContainer: string): Promise<void> {
    const mine = await this.claimedOf(project, podContainer);
    if (mine) await this.remove(mine.Id);
  }
}
