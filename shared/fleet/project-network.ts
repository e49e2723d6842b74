// What a project's network on one Docker Engine is (STYLE 8: pure, no I/O). Each project's pods
// on an engine share one bridge network of their own, so pods of one project reach each other
// and pods of two projects are on two bridges. The engine runs with `--iptables=false
// --ip-forward=false` and the kernel with net.ipv4.ip_forward=0 (shared/local/dockerd.ts): the
// host routes nothing from one bridge to another, so a packet from one project's pod to another
// project's pod address is dropped by the kernel, while the host itself (the router, through
// ports published on 127.0.0.1) still reaches every pod.
import type Docker from 'dockerode';
import { LABELS } from './pod-container.ts';

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

/** The labels of a project's network, by which it is found and checked before it is removed. */
export function projectNetworkLabels(project: string, owner?: string): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [NETWORK_LABEL]: 'project',
    [LABELS.project]: project,
    ...(owner !== undefined ? { [LABELS.owner]: owner } : {}),
  };
}

/** The create options of a project's network: a plain bridge, no IPv6, one name per engine. */
export function projectNetworkSpec(project: string, owner?: string): Docker.NetworkCreateOptions {
  return {
    Name: projectNetworkName(project, owner),
    Driver: 'bridge',
    CheckDuplicate: true,
    EnableIPv6: false,
    Labels: projectNetworkLabels(project, owner),
  };
}

/** True when the labels say the network is this owner's network of this project. */
export function isProjectNetwork(labels: Record<string, string> | undefined, project: string, owner?: string): boolean {
  const want = projectNetworkLabels(project, owner);
  return Object.entries(want).every(([k, v]) => labels?.[k] === v) && (owner !== undefined || labels?.[LABELS.owner] === undefined);
}
