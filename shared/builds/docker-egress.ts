// The local build egress: each build gets an internal Docker network of its own (no gateway out,
// and the engine routes nothing between bridges), and the platform's package index container is
// connected to it under the name `package-index`. A build's steps reach that index and nothing
// else: not the host's loopback services, not pods (on their project networks), not other
// builds (on theirs). The index is a plain static HTTP server over a read-only PEP 503 tree.
import { createHash, randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { LABELS } from '../fleet/pod-container.ts';
import { NETWORK_LABEL } from '../fleet/project-network.ts';
import type { BuildEgress, BuildNetwork } from './egress.ts';
import { pipEnv } from './egress.ts';
import { STEP_LABELS } from './s2i/spec.ts';

/** The index's name on every build network, and its port. */
export const PACKAGE_INDEX_ALIAS = 'package-index';
export const PACKAGE_INDEX_PORT = 8080;
/** What pip is pointed at on a build network. */
export const PACKAGE_INDEX_URL = `http://${PACKAGE_INDEX_ALIAS}:${PACKAGE_INDEX_PORT}/simple/`;

/** The index container of the platform whose state is in `home` (one per platform on an engine). */
export function packageIndexName(home: string): string {
  return `berth-package-index-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`;
}

const status = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** The labels of a build's network: the build it belongs to, by which it is found and removed. */
export function buildNetworkLabels(build: { project: string; name: string }): Record<string, string> {
  return { [LABELS.managed]: 'true', [NETWORK_LABEL]: 'build', [STEP_LABELS.project]: build.project, [STEP_LABELS.build]: build.name };
}

/** A build's network: internal (no route out), no IPv6, its own name. */
export function buildNetworkSpec(build: { project: string; name: string }): Docker.NetworkCreateOptions {
  return {
    Name: `berth-build-${build.project}_${build.name}-${randomBytes(4).toString('hex')}`,
    Driver: 'bridge',
    Internal: true,
    CheckDuplicate: true,
    EnableIPv6: false,
    Labels: buildNetworkLabels(build),
  };
}

/**
 * The index container: the builder image's python3 serving `dir` (mounted read-only) over HTTP,
 * as an unprivileged user with a read-only root, no capabilities and a small memory limit, on a
 * network of its own that nothing else joins.
 */
export function packageIndexContainerSpec(p: { name: string; image: string; dir: string; network: string }): Docker.ContainerCreateOptions {
  return {
    name: p.name,
    Image: p.image,
    Entrypoint: ['python3'],
    Cmd: ['-m', 'http.server', String(PACKAGE_INDEX_PORT), '--directory', '/srv/index'],
    User: '1001:0',
    WorkingDir: '/tmp',
    Labels: { [LABELS.managed]: 'true', [NETWORK_LABEL]: 'package-index' },
    HostConfig: {
      NetworkMode: p.network,
      Mounts: [{ Type: 'bind', Source: p.dir, Target: '/srv/index', ReadOnly: true }],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,size=16m' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: 128 * 2 ** 20,
      MemorySwap: 128 * 2 ** 20,
      PidsLimit: 64,
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
}

async function removeNetwork(docker: Docker, id: string): Promise<void> {
  await docker
    .getNetwork(id)
    .remove()
    .catch((err: unknown) => {
      if (status(err) !== 404) throw err;
    });
}

/**
 * Starts (or restarts) the index container `name` over `dir`, on its own internal network of the
 * same name; returns how to stop it. A container of that name that is not an index is refused.
 */
export async function startPackageIndex(docker: Docker, p: { name: string; image: string; dir: string }): Promise<{ name: string; stop(): Promise<void> }> {
  const old = await docker
    .getContainer(p.name)
    .inspect()
    .catch((err: unknown) => (status(err) === 404 ? undefined : Promise.reject(err)));
  if (old && old.Config.Labels?.[NETWORK_LABEL] !== 'package-index') throw new Error(`a container named ${p.name} exists and is not a Berth package index`);
  if (old) await docker.getContainer(p.name).remove({ force: true });
  const net = await docker.getNetwork(p.name).inspect().catch(() => undefined);
  if (!net) await docker.createNetwork({ Name: p.name, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: { [LABELS.managed]: 'true', [NETWORK_LABEL]: 'package-index' } });
  const c = await docker.createContainer(packageIndexContainerSpec({ ...p, network: p.name }));
  await c.start();
  return {
    name: p.name,
    async stop() {
      await c.remove({ force: true }).catch(() => undefined);
      await removeNetwork(docker, p.name).catch(() => undefined);
    },
  };
}

export interface DockerIndexEgressOptions {
  /** The index container's name (BERTH_PACKAGE_INDEX_CONTAINER). */
  container: string;
  /** PIP_INDEX_URL for builds; the index on the build network by default (PAAS_PIP_INDEX_URL). */
  indexUrl?: string;
  trustedHost?: string;
  /** Run before each build, e.g. to rewrite the simple/ tree for wheels added since. */
  refresh?: () => Promise<unknown>;
}

export class DockerIndexEgress implements BuildEgress {
  constructor(
    private readonly docker: Docker,
    private readonly opts: DockerIndexEgressOptions,
  ) {}

  async open(build: { project: string; name: string }): Promise<BuildNetwork> {
    await this.opts.refresh?.();
    const net = await this.docker.createNetwork(buildNetworkSpec(build));
    try {
      await net.connect({ Container: this.opts.container, EndpointConfig: { Aliases: [PACKAGE_INDEX_ALIAS] } });
    } catch (err) {
      await removeNetwork(this.docker, net.id).catch(() => undefined);
      throw new Error(`the package index (${this.opts.container}) could not join the build's network: ${(err as Error).message}`);
    }
    const name = ((await net.inspect()) as Docker.NetworkInspectInfo).Name;
    return {
      mode: name,
      env: pipEnv({ indexUrl: this.opts.indexUrl ?? PACKAGE_INDEX_URL, trustedHost: this.opts.trustedHost }),
      close: () => closeBuildNetwork(this.docker, net.id, this.opts.container),
    };
  }
}

async function closeBuildNetwork(docker: Docker, id: string, index: string): Promise<void> {
  await docker.getNetwork(id).disconnect({ Container: index, Force: true }).catch(() => undefined);
  await removeNetwork(docker, id).catch(() => undefined);
}

/** Removes the networks of a build whose agent did not finish (killed); how many. */
export async function removeBuildNetworks(docker: Docker, build: { project: string; name: string }, index?: string): Promise<number> {
  const label = Object.entries(buildNetworkLabels(build)).map(([k, v]) => `${k}=${v}`);
  const nets = await docker.listNetworks({ filters: { label } });
  for (const n of nets) {
    for (const id of Object.keys(n.Containers ?? {})) await docker.getNetwork(n.Id).disconnect({ Container: id, Force: true }).catch(() => undefined);
    if (index) await docker.getNetwork(n.Id).disconnect({ Container: index, Force: true }).catch(() => undefined);
    await removeNetwork(docker, n.Id).catch(() => undefined);
  }
  return nets.length;
}
