// The project networks of one Docker Engine (the adapter of project-network.ts): made when a
// project's first pod starts on the engine, removed when its last pod there goes. Touches only
// networks whose labels say they are this owner's (STYLE 7).
import type Docker from 'dockerode';
import { BerthError } from '../errors.ts';
import { LABELS } from './pod-container.ts';
import { NETWORK_LABEL, isProjectNetwork, projectNetworkName, projectNetworkSpec } from './project-network.ts';

/** Refused: a network of the project's name exists but is not this owner's project network. */
export class UnmanagedNetworkError extends BerthError {
  constructor(name: string) {
    super(409, 'UnmanagedNetwork', `network "${name}" is not a Berth project network`, {
      suggestion: `remove or rename it yourself (docker network rm ${name}) if it is in the way`,
    });
  }
}

const status = (err: unknown) => (err as { statusCode?: number }).statusCode;

export class ProjectNetworks {
  constructor(
    private readonly docker: Docker,
    private readonly owner?: string,
  ) {}

  /** Creations under way, by network name: concurrent calls share one. */
  private readonly making = new Map<string, Promise<string>>();

  /**
   * The project's network on this engine, made when missing; its name. Idempotent and safe to
   * race: the engine's duplicate-name check is not atomic (two creations at once both succeed,
   * and every later use of the name is refused as ambiguous), so the calls of this process share
   * one creation, and duplicates an earlier race left are merged.
   */
  ensure(project: string): Promise<string> {
    const name = projectNetworkName(project, this.owner);
    const pending = this.making.get(name);
    if (pending) return pending;
    const made = this.ensureOnce(project, name).finally(() => this.making.delete(name));
    this.making.set(name, made);
    return made;
  }

  private async ensureOnce(project: string, name: string): Promise<string> {
    const found = await this.inspect(name);
    if (found) {
      if (!isProjectNetwork(found.Labels, project, this.owner)) throw new UnmanagedNetworkError(name);
      return name;
    }
    await this.docker.createNetwork(projectNetworkSpec(project, this.owner)).catch(async (err: unknown) => {
      // Made by a concurrent call: fine when it is ours.
      if (status(err) !== 409) throw err;
      const again = await this.inspect(name);
      if (!again || !isProjectNetwork(again.Labels, project, this.owner)) throw new UnmanagedNetworkError(name);
    });
    return name;
  }

  /** Removes the project's network when no container of this owner in the project is left on it. */
  async releaseIfUnused(project: string): Promise<boolean> {
    const name = projectNetworkName(project, this.owner);
    const found = await this.inspect(name);
    if (!found || !isProjectNetwork(found.Labels, project, this.owner)) return false;
    const label = [`${LABELS.managed}=true`, `${LABELS.project}=${project}`, ...(this.owner !== undefined ? [`${LABELS.owner}=${this.owner}`] : [])];
    const left = await this.docker.listContainers({ all: true, filters: { label, network: [found.Id] } });
    if (left.length > 0 || Object.keys(found.Containers ?? {}).length > 0) return false;
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
