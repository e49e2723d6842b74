// The Services' proxies on one Docker Engine (the adapter of services/proxy-config.ts): one
// HAProxy container per Service on each project network that has pods on the engine, at the
// Service's cluster IP, answering to `<service>` and `<service>.<project>.svc` on that network
// only. Its configuration is written into the container through the Engine API and reloaded
// with SIGUSR2 (HAProxy's master-worker reload: connections the old worker holds go on). Touches
// only containers labelled as this network owner's proxies (STYLE 7).
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { SANDBOX_LABEL, sandboxPod } from './docker-sandboxes.ts';
import { pack } from 'tar-stream';
import { LABELS } from './pod-container.ts';
import { SERVICE_PROXY_LABEL, projectNetworkName } from './project-network.ts';
import type { ProjectNetworks } from './docker-networks.ts';
import { renderProxyConfig, type ProxySpec } from '../services/proxy-config.ts';
import { serviceHostName } from './service-env.ts';

export const SERVICE_LABEL = 'berth.io/service';
const CLUSTER_IP_LABEL = 'berth.io/cluster-ip';
const CONFIG_DIR = '/etc/berth-proxy';
/** A proxy is small: HAProxy forwarding bytes. */
const PROXY_MEMORY = 64 * 1024 * 1024;
const PROXY_CPU_NANOS = 250_000_000;

/** What one project network on the engine holds: its pods' addresses and its Services' proxies. */
export interface ProjectOnEngine {
  project: string;
  network: string;
  /** Running pod containers on the network: pod name → address. */
  pods: Map<string, string>;
  /** Pod containers on the network in any state (a crashed pod's proxies stay). */
  podContainers: number;
  proxies: Map<string, { id: string; clusterIP: string; running: boolean }>;
}

const status = (err: unknown) => (err as { statusCode?: number }).statusCode;
const ignore404 = (err: unknown) => (status(err) === 404 ? undefined : Promise.reject(err));

/** The container name of a Service's proxy; the underscores cannot occur in the names. */
export function proxyContainerName(project: string, service: string, networkOwner?: string): string {
  return `berth-svc${networkOwner === undefined ? '' : `-${networkOwner}`}_${project}_${service}`;
}

/** The configuration file as the one entry of a tar archive, for the Engine API's archive upload. */
async function configArchive(text: string): Promise<Buffer> {
  const p = pack();
  p.entry({ name: 'haproxy.cfg', mode: 0o644 }, text);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class DockerServiceProxies {
  /** The configuration each proxy was last given (by container id), so that a pass reloads only what changed. */
  private readonly applied = new Map<string, string>();

  constructor(
    private readonly docker: Docker,
    private readonly networks: ProjectNetworks,
    private readonly opts: { image: string; networkOwner?: string },
  ) {}

  /** The engine's project networks of this owner, each with its pods and proxies. */
  async projects(only?: string): Promise<ProjectOnEngine[]> {
    const out: ProjectOnEngine[] = [];
    for (const project of await this.networks.projects()) {
      if (only !== undefined && project !== only) continue;
      const network = projectNetworkName(project, this.opts.networkOwner);
      const list = await this.docker.listContainers({ all: true, filters: { network: [network] } });
      const pods = new Map<string, string>();
      let podContainers = 0;
      const proxies = new Map<string, { id: string; clusterIP: string; running: boolean }>();
      for (const c of list) {
        const labels = c.Labels ?? {};
        if (labels[LABELS.project] !== project) continue;
        const ip = c.NetworkSettings?.Networks?.[network]?.IPAddress;
        if (labels[LABELS.managed] === 'true' && labels[LABELS.pod]) podContainers++;
        if (labels[LABELS.managed] === 'true' && labels[LABELS.pod] && c.State === 'running' && ip) pods.set(labels[LABELS.pod]!, ip);
        // A pod that joined a sandbox is not on the network itself: its sandbox, named after it, holds its address.
        const joined = labels[SANDBOX_LABEL] === (this.opts.networkOwner ?? '') ? c.Names.map((n) => sandboxPod(n, project)).find(Boolean) : undefined;
        if (joined) podContainers++;
        if (joined && c.State === 'running' && ip) pods.set(joined, ip);
        if (labels[SERVICE_PROXY_LABEL] === (this.opts.networkOwner ?? '') && labels[SERVICE_LABEL]) {
          proxies.set(labels[SERVICE_LABEL]!, { id: c.Id, clusterIP: labels[CLUSTER_IP_LABEL] ?? '', running: c.State === 'running' });
        }
      }
      out.push({ project, network, pods, podContainers, proxies });
    }
    return out;
  }

  /** Makes the Service's proxy (or gives the running one its new configuration). Idempotent. */
  async ensure(spec: ProxySpec, on: ProjectOnEngine, pinned: boolean): Promise<void> {
    const config = renderProxyConfig(spec);
    const hash = createHash('sha256').update(config).digest('hex');
    const existing = on.proxies.get(spec.service);
    if (existing && existing.running && existing.clusterIP === spec.clusterIP) {
      if (this.applied.get(existing.id) === hash) return;
      await this.docker.getContainer(existing.id).putArchive(await configArchive(config), { path: CONFIG_DIR });
      await this.docker.getContainer(existing.id).kill({ signal: 'SIGUSR2' });
      this.applied.set(existing.id, hash);
      return;
    }
    if (existing) await this.removeContainer(existing.id);
    const created = await this.docker
      .createContainer(this.containerSpec(spec, on.network, pinned))
      .catch(async (err: unknown) => {
        // Another host agent of the platform made it meanwhile: the next pass adopts it.
        if (status(err) === 409) return undefined;
        throw err;
      });
    if (!created) return;
    await created.putArchive(await configArchive(config), { path: CONFIG_DIR });
    await created.start();
    this.applied.set(created.id, hash);
  }

  /** Removes a Service's proxy from the engine. */
  async remove(on: ProjectOnEngine, service: string): Promise<void> {
    const p = on.proxies.get(service);
    if (p) await this.removeContainer(p.id);
  }

  private async removeContainer(id: string): Promise<void> {
    this.applied.delete(id);
    await this.docker.getContainer(id).remove({ force: true }).catch(ignore404);
  }

  /** The proxy's container: unprivileged, small, at the cluster IP when the network is the project's own /25 (`pinned`). */
  private containerSpec(spec: ProxySpec, network: string, pinned: boolean): Docker.ContainerCreateOptions {
    return {
      name: proxyContainerName(spec.project, spec.service, this.opts.networkOwner),
      Image: this.opts.image,
      User: '65534:65534',
      Labels: {
        [SERVICE_PROXY_LABEL]: this.opts.networkOwner ?? '',
        [LABELS.project]: spec.project,
        [SERVICE_LABEL]: spec.service,
        [CLUSTER_IP_LABEL]: spec.clusterIP,
      },
      HostConfig: {
        NetworkMode: network,
        Memory: PROXY_MEMORY,
        NanoCpus: PROXY_CPU_NANOS,
        PidsLimit: 64,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        // A Service's port below 1024 (80) is bound by HAProxy's unprivileged user.
        Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
        RestartPolicy: { Name: 'unless-stopped' },
      },
      NetworkingConfig: {
        EndpointsConfig: {
          [network]: {
            ...(pinned ? { IPAMConfig: { IPv4Address: spec.clusterIP } } : {}),
            Aliases: [spec.service, serviceHostName(spec.service, spec.project)],
          },
        },
      },
    };
  }
}
