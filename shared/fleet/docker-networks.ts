// The project networks of one Docker Engine (the adapter of project-network.ts): made when a
// project's first pod starts on the engine, removed when its last pod there goes, unless the
// project keeps it (an idled app's, so that its wake starts at once). Touches only networks whose
// labels say they are this owner's (STYLE 7).
import type Docker from 'dockerode';
import { BerthError } from '../errors.ts';
import { LABELS } from './pod-container.ts';
import { NETWORK_LABEL, SERVICE_PROXY_LABEL, hasAddressing, isProjectNetwork, projectNetworkName, projectNetworkSpec } from './project-network.ts';
import type { ProjectAddressing } from '../services/addressing.ts';
import { SANDBOX_LABEL, isWarmSandboxName, type WarmSandboxes } from './docker-sandboxes.ts';

/** Refused: a network of the project's name exists but is not this owner's project network. */
export class UnmanagedNetworkError extends BerthError {
  constructor(name: string) {
    super(409, 'UnmanagedNetwork', `network "${name}" is not a Berth project network`, {
      suggestion: `remove or rename it yourself (docker network rm ${name}) if it is in the way`,
    });
  }
}

const status = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Whether a project keeps its network while no pod of it is on the engine (shared/idling/kept-networks.ts). */
export type KeepNetwork = (project: string) => Promise<boolean>;

export class ProjectNetworks {
  constructor(
    private readonly docker: Docker,
    private readonly owner?: string,
    private readonly keep?: KeepNetwork,
    /** The networks' warm sandboxes (docker-sandboxes.ts): a kept network holds one for its wake's pod, and they go with the network. */
    readonly sandboxes?: WarmSandboxes,
  ) {}

  /** The projects whose empty network was last kept (looked at again by `prune`). */
  private readonly keptNow = new Set<string>();

  /** Whether the project keeps its network while it has no pods here (never without a `keep`). */
  async kept(project: string): Promise<boolean> {
    const yes = this.keep ? await this.keep(project) : false;
    if (yes) this.keptNow.add(project);
    else this.keptNow.delete(project);
    return yes;
  }

  /** True while some empty network is kept: a later `prune` may find it no longer is. */
  get keeping(): boolean {
    return this.keptNow.size > 0;
  }

  /** Creations under way, by network name: concurrent calls share one. */
  private readonly making = new Map<string, Promise<string>>();

  /**
   * The project's network on this engine, made when missing; its name. Idempotent and safe to
   * race: the engine's duplicate-name check is not atomic (two creations at once both succeed,
   * and every later use of the name is refused as ambiguous), so the calls of this process share
   * one creation, and duplicates an earlier race left are merged. With the project's addressing,
   * a network of the project made without it (before Services had addresses) is made again: the
   * pods on it are removed first (their hosts start them again on the new one).
   */
  ensure(project: string, addressing?: ProjectAddressing): Promise<string> {
    const name = projectNetworkName(project, this.owner);
    const pending = this.making.get(name);
    if (pending) return pending;
    const made = this.ensureOnce(project, name, addressing).finally(() => this.making.delete(name));
    this.making.set(name, made);
    return made;
  }

  private async ensureOnce(project: string, name: string, addressing?: ProjectAddressing): Promise<string> {
    const found = await this.inspect(name);
    if (found) {
      if (!isProjectNetwork(found.Labels, project, this.owner)) throw new UnmanagedNetworkError(name);
      if (!addressing || hasAddressing(found, addressing)) return name;
      await this.remake(found, project);
    }
    await this.docker.createNetwork(projectNetworkSpec(project, this.owner, addressing)).catch(async (err: unknown) => {
      // Made by a concurrent call: fine when it is ours.
      if (status(err) !== 409) throw err;
      const again = await this.inspect(name);
      if (!again || !isProjectNetwork(again.Labels, project, this.owner)) throw new UnmanagedNetworkError(name);
    });
    return name;
  }

  /** Removes an outdated network of the project and the platform's containers on it; refuses when another container uses it. */
  private async remake(found: Docker.NetworkInspectInfo, project: string): Promise<void> {
    const attached = await this.docker.listContainers({ all: true, filters: { network: [found.Id] } });
    const ours = (labels: Record<string, string> | undefined) => labels?.[LABELS.project] === project && (labels[LABELS.managed] === 'true' || labels[SERVICE_PROXY_LABEL] !== undefined || labels[SANDBOX_LABEL] !== undefined);
    if (attached.some((c) => !ours(c.Labels))) throw new UnmanagedNetworkError(found.Name);
    await Promise.all(attached.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch((err: unknown) => (status(err) === 404 ? undefined : Promise.reject(err)))));
    await this.docker.getNetwork(found.Id).remove().catch((err: unknown) => (status(err) === 404 ? undefined : Promise.reject(err)));
  }

  /**
   * Removes the project's network when no container of this owner in the project is left on it
   * and the project does not keep it.
   */
  async releaseIfUnused(project: string): Promise<boolean> {
    const name = projectNetworkName(project, this.owner);
    const found = await this.inspect(name);
    const label = [`${LABELS.managed}=true`, `${LABELS.project}=${project}`, ...(this.owner !== undefined ? [`${LABELS.owner}=${this.owner}`] : [])];
    const left = found && isProjectNetwork(found.Labels, project, this.owner) ? await this.docker.listContainers({ all: true, filters: { label, network: [found.Id] } }) : undefined;
    // Gone, or in use by pods again: not an empty network kept.
    if (!found || !left || left.length > 0) {
      this.keptNow.delete(project);
      return false;
    }
    if (await this.kept(project)) {
      await this.sandboxes?.ensureWarm(project, name);
      return false;
    }
    // Anything but warm sandboxes on it (a Service's proxy, a pod's sandbox): in use. Else the warm ones go with it.
    if (Object.values(found.Containers ?? {}).some((c) => !isWarmSandboxName(c.Name ?? '', project))) return false;
    await this.sandboxes?.removeWarm(project);
    return this.docker
      .getNetwork(found.Id)
      .remove()
      .then(
        () => true,
        // Gone already, or a pod started on it meanwhile (it has active endpoints): keep it.
        (err: unknown) => {
          if (status(err) === 404 || status(err) === 403 || status(err) === 409) return false;
          throw err;
        },
      );
  }

  /** Removes every project network of this owner that no container uses (left by a crash); how many. */
  async prune(): Promise<number> {
    let removed = 0;
    for (const project of await this.projects()) if (await this.releaseIfUnused(project)) removed++;
    return removed;
  }

  /** The projects that have a network of this owner on this engine. */
  async projects(): Promise<string[]> {
    const label = [`${LABELS.managed}=true`, `${NETWORK_LABEL}=project`, ...(this.owner !== undefined ? [`${LABELS.owner}=${this.owner}`] : [])];
    const nets = await this.docker.listNetworks({ filters: { label } });
    return nets.filter((n) => this.owner !== undefined || n.Labels?.[LABELS.owner] === undefined).map((n) => n.Labels?.[LABELS.project] ?? '').filter(Boolean);
  }

  private async inspect(name: string): Promise<Docker.NetworkInspectInfo | undefined> {
    try {
      const info = (await this.docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
      // The engine also finds a network by a prefix of its ID: only the exact name counts.
      return info.Name === name ? info : undefined;
    } catch (err) {
      if (status(err) === 404) return undefined;
      if (status(err) === 400 && /ambiguous/.test(String((err as Error).message))) return this.merge(name);
      throw err;
    }
  }

  /**
   * Several networks of one name (made by racing creations, as engines before this code allowed):
   * keeps the one with containers (else the oldest) and removes the other, unused, ones of this
   * owner. Returns what is left of the name when it is one network, the kept one otherwise.
   */
  private async merge(name: string): Promise<Docker.NetworkInspectInfo | undefined> {
    const all = (await this.docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
    const infos = await Promise.all(all.map((n) => this.docker.getNetwork(n.Id).inspect() as Promise<Docker.NetworkInspectInfo>));
    const used = (n: Docker.NetworkInspectInfo) => Object.keys(n.Containers ?? {}).length;
    infos.sort((a, b) => used(b) - used(a) || Date.parse(a.Created) - Date.parse(b.Created));
    const [kept, ...others] = infos;
    for (const n of others) {
      if (used(n) > 0 || n.Labels?.[LABELS.owner] !== kept?.Labels?.[LABELS.owner]) continue;
      await this.docker.getNetwork(n.Id).remove().catch((err: unknown) => {
        if (status(err) !== 404 && status(err) !== 403 && status(err) !== 409) throw err;
      });
    }
    return kept;
  }
}
