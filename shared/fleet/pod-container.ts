// Renders a pod into the Docker container that runs it (STYLE 8: pure, no I/O). The container
// is locked down as OpenShift's restricted SCC would have it: an arbitrary non-root UID in
// group 0, no capabilities, no-new-privileges, no mounts (so never the Docker socket) but the
// read-only directories of its Secret and ConfigMap files, and the pod's cpu and memory limits. Ports are published on 127.0.0.1; the engine picks host ports.
// The container joins its project's own network when one is given (project-network.ts).
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { ValidationError } from '../errors.ts';
import type { PodSpecForHost } from './types.ts';

export const LABELS = {
  managed: 'berth.io/managed',
  project: 'berth.io/project',
  deployment: 'berth.io/deployment',
  revision: 'berth.io/revision',
  pod: 'berth.io/pod',
  /** Which host agent's containers these are, when several platforms or hosts share an engine. */
  owner: 'berth.io/owner',
  /** On a pod container that joined a sandbox (docker-sandboxes.ts): its address, the sandbox's on the project network. */
  podIP: 'berth.io/pod-ip',
  /** On a pod container that joined a sandbox: its container ports, comma-separated (nothing is published on the host). */
  podPorts: 'berth.io/pod-ports',
} as const;

export const POD_PIDS_LIMIT = 512;
export const POD_HOST_IP = '127.0.0.1';

/** Each project gets a block of this many UIDs, as an OpenShift namespace does. */
export const UID_BLOCK = 10_000;
export const UID_BASE = 1_000_000_000;
// 100,000 blocks keep every UID below 2^31 (1e9 + 1e6 blocks of 10,000 would overflow uint32).
const UID_BLOCKS = 100_000;

/**
 * The arbitrary UID a project's pods run as: deterministic, in a high range, never 0. Unlike OpenShift, which allocates each namespace a
 * unique block and stores it, this is a hash: two projects can share a block (1 in 100,000 per
 * pair), so it is an interim choice until the project record carries an allocated range.
 * @example projectUid('shop') // 1_000_000_000 + (hash % 1e5) * 10_000, the same on every host
 */
export function projectUid(project: string): number {
  const hash = createHash('sha256').update(project).digest().readUInt32BE(0);
  return UID_BASE + (hash % UID_BLOCKS) * UID_BLOCK;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * The container name of a pod on a host: `berth-<project>_<pod>`. The underscore cannot occur in
 * either name, so project `a-b` with pod `c` and project `a` with pod `b-c` never share a name.
 * @example podContainerName('shop', 'web-3-abcde') // 'berth-shop_web-3-abcde'
 */
export function podContainerName(project: string, pod: string): string {
  if (!DNS_LABEL.test(project)) throw ValidationError.field('project', `"${project}" is not a DNS label`);
  if (!DNS_SUBDOMAIN.test(pod)) throw ValidationError.field('pod', `"${pod}" is not a DNS subdomain`);
  return `berth-${project}_${pod}`;
}

function portKey(p: PodSpecForHost['ports'][number]): string {
  return `${p.containerPort}/${(p.protocol ?? 'TCP').toLowerCase()}`;
}

/**
 * The create options of a pod's container.
 * @example await docker.createContainer(podContainerSpec(pod, { uid: projectUid(pod.project) }))
 */
export function podContainerSpec(
  pod: PodSpecForHost,
  opts: {
    uid: number;
    network?: string;
    /** A sandbox to join (docker-sandboxes.ts) instead of `network`: the pod takes its address, and publishes nothing. */
    sandbox?: { id: string; ip: string };
    files?: { source: string; target: string }[];
    volumes?: { source: string; target: string; readOnly: boolean }[];
    startupCpuMilli?: number;
  },
): Docker.ContainerCreateOptions {
  if (!Number.isInteger(opts.uid) || opts.uid <= 0) {
    throw ValidationError.field('uid', `pods never run as root or an invalid UID (got ${opts.uid})`);
  }
  if (!(pod.resources.cpuMilli > 0)) throw ValidationError.field('resources.cpuMilli', 'must be positive');
  if (!(pod.resources.memoryBytes > 0)) throw ValidationError.field('resources.memoryBytes', 'must be positive');
  const env = pod.env.map((e) => `${e.name}=${e.value}`);
  if (pod.ports.length === 1 && !pod.env.some((e) => e.name === 'PORT')) env.push(`PORT=${pod.ports[0]!.containerPort}`);
  const exposed = Object.fromEntries(pod.ports.map((p) => [portKey(p), {}]));
  const bindings = Object.fromEntries(pod.ports.map((p) => [portKey(p), [{ HostIp: POD_HOST_IP, HostPort: '' }]]));
  const { sandbox } = opts;
  const podPorts = [...new Set(pod.ports.map((p) => p.containerPort))].sort((a, b) => a - b);
  return {
    name: podContainerName(pod.project, pod.pod),
    Image: pod.image,
    Env: env,
    ...(pod.command ? { Cmd: pod.command } : {}),
    User: `${opts.uid}:0`,
    // The engine refuses exposed and published ports in another container's network namespace.
    ...(sandbox ? {} : { ExposedPorts: exposed }),
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.project]: pod.project,
      [LABELS.deployment]: pod.deployment,
      [LABELS.revision]: String(pod.revision),
      [LABELS.pod]: pod.pod,
      ...(sandbox ? { [LABELS.podIP]: sandbox.ip, [LABELS.podPorts]: podPorts.join(',') } : {}),
    },
    HostConfig: {
      Memory: pod.resources.memoryBytes,
      // The limit, or the start-up boost while it is higher (the pod sync sets the limit after).
      NanoCpus: Math.max(pod.resources.cpuMilli, opts.startupCpuMilli ?? 0) * 1_000_000,
      PidsLimit: POD_PIDS_LIMIT,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      ReadonlyRootfs: false,
      ...(sandbox ? { NetworkMode: `container:${sandbox.id}` } : { PortBindings: bindings, ...(opts.network ? { NetworkMode: opts.network } : {}) }),
      // Only the pod's own Secret and ConfigMap files, read-only; its claims' volumes (or the
      // directories of them it names); scratch directories as tmpfs any UID may write.
      ...(opts.files?.length || opts.volumes?.length || pod.mounts?.some((m) => m.emptyDir)
        ? {
            Mounts: [
              ...(opts.files ?? []).map((f) => ({ Type: 'bind' as const, Source: f.source, Target: f.target, ReadOnly: true })),
              ...(opts.volumes ?? []).map((v) => ({ Type: 'bind' as const, Source: v.source, Target: v.target, ReadOnly: v.readOnly })),
              ...(pod.mounts ?? []).flatMap((m) => (m.emptyDir ? [{ Type: 'tmpfs' as const, Source: '', Target: m.target, ReadOnly: m.readOnly, TmpfsOptions: { SizeBytes: m.emptyDir.sizeBytes, Mode: 0o1777 } }] : [])),
            ],
          }
        : {}),
      // Berth restarts pods itself (with backoff, visible in the pod's reason).
      RestartPolicy: { Name: 'no' },
    },
  };
}
