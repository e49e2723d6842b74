// From stored objects to the scheduler's view of a host.
import type { HostInfo, HostObject } from './types.ts';

/**
 * A Host object as the scheduler sees it; `groups` counts the pods bound to it per group
 * (`<project>/<deployment>`), for spreading.
 *
 * @example new Scheduler(hosts.map((h) => hostInfoOf(h, groupsOn.get(h.metadata.name))))
 */
export function hostInfoOf(host: HostObject, groups?: Record<string, number>): HostInfo {
  return {
    name: host.metadata.name,
    allocatable: { ...host.status.allocatable },
    requested: { ...host.status.requested },
    ready: host.status.ready,
    labels: host.metadata.labels,
    ...(groups ? { groups } : {}),
  };
}
