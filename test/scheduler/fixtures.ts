// Small builders for scheduler tests: hosts and pods in millicores and MiB.
import type { HostInfo, PodRequest } from '../../shared/scheduler/types.ts';

export const MiB = 1024 ** 2;

/** A host of `cpu` millicores and `mem` MiB, with `used` of each already requested. */
export function host(name: string, cpu: number, mem: number, used: [number, number] = [0, 0], opts: Partial<HostInfo> = {}): HostInfo {
  return {
    name,
    allocatable: { cpuMilli: cpu, memoryBytes: mem * MiB },
    requested: { cpuMilli: used[0], memoryBytes: used[1] * MiB },
    ready: true,
    ...opts,
  };
}

/** A pod asking for `cpu` millicores and `mem` MiB, in group `demo/<group>`. */
export function pod(name: string, cpu: number, mem: number, group = name): PodRequest {
  return { name, project: 'demo', group: `demo/${group}`, cpuMilli: cpu, memoryBytes: mem * MiB };
}

/** The hosts after `p` is bound to `name`: what a caller of the pure `place()` does between pods. */
export function bound(hosts: readonly HostInfo[], name: string, p: PodRequest): HostInfo[] {
  return hosts.map((h) =>
    h.name !== name
      ? h
      : {
          ...h,
          requested: { cpuMilli: h.requested.cpuMilli + p.cpuMilli, memoryBytes: h.requested.memoryBytes + p.memoryBytes },
          groups: { ...h.groups, [p.group]: (h.groups?.[p.group] ?? 0) + 1 },
        },
  );
}
