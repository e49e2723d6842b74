// What a project's network on one Docker Engine is (STYLE 8: pure, no I/O). Each project's pods
// on an engine share one bridge network of their own, so pods of one project reach each other
// and pods of two projects are on two bridges. The engine runs with `--iptables=false
// --ip-forward=false` and the kernel with net.ipv4.ip_forward=0 (shared/local/dockerd.ts): the
// host routes nothing from one bridge to another, so a packet from one project's pod to another
// project's pod address is dropped by the kernel, while the host itself (the router, through
// ports published on 127.0.0.1) still reaches every pod.
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { LABELS } from './pod-container.ts';
import type { ProjectAddressing } from '../services/addressing.ts';

/** Marks a Service's proxy container, with the owner of the network it is on as the value (with berth.io/project and berth.io/service). */
export const SERVICE_PROXY_LABEL = 'berth.io/service-proxy';

/** Marks a network as a project's pod network (with berth.io/managed, berth.io/project and berth.io/owner). */
export const NETWORK_LABEL = 'berth.io/network';

/**
 * The name of a project's pod network on an engine: `berth-net_<project>`, or with the host
 * agent's owner `berth-net-<owner>_<project>`, so that platforms sharing one engine never share a
 * network. The underscore cannot occur in a project's name.
 * @example projectNetworkName('shop', '3f2a') // 'berth-net-3f2a_shop'
 */
export function projectNetworkName(project: string, owner?: string): string {
  return owner === undefined ? `berth-net_${project}` : `berth-net-${owner}_${project}`;
}

/**
 * The network owner of a platform's project networks: its table (endpoint and name), so that
 * every host agent of the platform on one engine (`npm run up`'s and agents/host/main.ts's)
 * joins the same network of a project, and another platform's never.
 */
export function platformNetworkOwner(tableEndpoint: string, tableName: string): string {
  return createHash('sha256').update(`${tableEndpoint} ${tableName}`).digest('hex').slice(0, 16);
}

/** The labels of a project's network, by which it is found and checked before it is removed. */
export function projectNetworkLabels(project: string, owner?: string): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [NETWORK_LABEL]: 'project',
    [LABELS.project]: project,
    ...(owner !== undefined ? { [LABELS.owner]: owner } : {}),
  };
}

/**
 * The create options of a project's network: a plain bridge, no IPv6, one name per engine. With
 * the project's addressing (services/addressing.ts), its subnet is the project's /25 and Docker
 * gives pods addresses only from its first half, leaving the second to the Services' proxies.
 */
export function projectNetworkSpec(project: string, owner?: string, addressing?: ProjectAddressing): Docker.NetworkCreateOptions {
  return {
    Name: projectNetworkName(project, owner),
    Driver: 'bridge',
    CheckDuplicate: true,
    EnableIPv6: false,
    Labels: projectNetworkLabels(project, owner),
    ...(addressing ? { IPAM: { Driver: 'default', Config: [{ Subnet: addressing.subnet, IPRange: addressing.ipRange, Gateway: addressing.gateway }] } } : {}),
  };
}

/** True when the network was made with the project's addressing (a network made before, or by Docker's pool, was not). */
export function hasAddressing(info: Pick<Docker.NetworkInspectInfo, 'IPAM'>, addressing: ProjectAddressing): boolean {
  const c = info.IPAM?.Config ?? [];
  return c.length === 1 && c[0]!.Subnet === addressing.subnet && (c[0] as { IPRange?: string }).IPRange === addressing.ipRange;
}

/** True when the labels say the network is this owner's network of this project. */
export function isProjectNetwork(labels: Record<string, string> | undefined, project: string, owner?: string): boolean {
  const want = projectNetworkLabels(project, owner);
  return Object.entries(want).every(([k, v]) => labels?.[k] === v) && (owner !== undefined || labels?.[LABELS.owner] === undefined);
}
