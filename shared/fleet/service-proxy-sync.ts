// Keeps an engine's Services' proxies as the store says (what kube-proxy does on a node): each
// project network with running pods on the engine gets a proxy for each of the project's
// Services that has a cluster IP, forwarding to the Service's ready endpoints among the pods on
// that network; a proxy whose Service is gone (or whose project has no pod left on the engine)
// is removed, and then the network if nothing else holds it. A project that keeps its empty
// network (an idled one) keeps its proxies too, with no backends, so that a wake finds both.
import type { Service } from '../model/objects.ts';
import { collect, eachObject } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import { endpointTargets, proxySpecOf, type ProxySpec } from '../services/proxy-config.ts';
import type { ProjectNetworks } from './docker-networks.ts';
import type { DockerServiceProxies, ProjectOnEngine } from './docker-service-proxies.ts';

/**
 * The proxies a project network should have (pure): one per live Service with a cluster IP, its
 * backends the Service's ready endpoints that run on this network.
 */
export function desiredProxies(services: Service[], on: Pick<ProjectOnEngine, 'pods' | 'podContainers'>, kept = false): ProxySpec[] {
  if (on.podContainers === 0 && !kept) return [];
  return services
    .filter((s) => !s.metadata.deletionTimestamp && s.spec.clusterIP)
    .map((s) => proxySpecOf(s, (s.status?.endpoints ?? []).flatMap((e) => (on.pods.has(e.pod) ? [{ pod: e.pod, ip: on.pods.get(e.pod)!, targets: endpointTargets(s, e) }] : []))));
}

export interface ServiceProxySyncDeps {
  store: ObjectStore;
  proxies: DockerServiceProxies;
  networks: ProjectNetworks;
  /** True when project networks are the projects' own /25s, so that a proxy can hold its cluster IP. */
  pinned: boolean;
  onError?: (what: string, err: unknown) => void;
}

/** One pass over the engine's project networks (or one project's): proxies made, updated, removed. */
export async function syncServiceProxies(deps: ServiceProxySyncDeps, only?: string): Promise<void> {
  for (const on of await deps.proxies.projects(only)) {
    try {
      const kept = on.podContainers === 0 && (await deps.networks.kept(on.project));
      const services = on.podContainers || kept ? await collect(eachObject<Service>(deps.store, 'Service', on.project)) : [];
      const desired = desiredProxies(services, on, kept);
      const wanted = new Set(desired.map((d) => d.service));
      for (const d of desired) await deps.proxies.ensure(d, on, deps.pinned);
      for (const service of on.proxies.keys()) if (!wanted.has(service)) await deps.proxies.remove(on, service);
      if (on.podContainers === 0 && !kept) await deps.networks.releaseIfUnused(on.project);
    } catch (err) {
      deps.onError?.(on.project, err);
    }
  }
}
