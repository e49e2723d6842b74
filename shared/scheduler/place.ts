// Placement as a pure function of one pod and the hosts as they are: the specification the
// indexed Scheduler must match, and what table tests exercise. A linear scan; for one pod at a
// time over a small fleet that is all it needs.
import { allowedOn, fitsIn, freeShare, noRefusals, preferred, refuse, unschedulableMessage } from './policy.ts';
import type { HostInfo, Placement, PodRequest } from './types.ts';

/**
 * Chooses a host for `pod` among `hosts`: only a ready host where the pod's requests fit in
 * allocatable − requested, for cpu and for memory; among those, the one with the fewest pods of
 * the pod's group (spread), then the most-allocated (bin-pack, see `freeShare`), then by name.
 * Changes nothing: binding is the caller's.
 *
 * @example place(pod, hosts)
 *   // { host: 'h2' }, or { unschedulable: '0/3 hosts are available: 3 insufficient memory.' }
 */
export function place(pod: PodRequest, hosts: readonly HostInfo[]): Placement {
  let best: HostInfo | undefined;
  let bestCount = 0;
  let bestShare = 0;
  for (const h of hosts) {
    if (!h.ready || !allowedOn(pod.onlyHosts, h.name) || !fitsIn(...free(h), pod.cpuMilli, pod.memoryBytes)) continue;
    const count = h.groups?.[pod.group] ?? 0;
    const share = freeShare(h.allocatable.cpuMilli, h.requested.cpuMilli, h.allocatable.memoryBytes, h.requested.memoryBytes);
    if (!best || preferred(count, share, h.name, bestCount, bestShare, best.name)) {
      best = h;
      bestCount = count;
      bestShare = share;
    }
  }
  if (best) return { host: best.name };
  const r = noRefusals();
  for (const h of hosts) refuse(r, h.ready, ...free(h), pod.cpuMilli, pod.memoryBytes, allowedOn(pod.onlyHosts, h.name));
  return { unschedulable: unschedulableMessage(r) };
}

const free = (h: HostInfo): [number, number] => [
  h.allocatable.cpuMilli - h.requested.cpuMilli,
  h.allocatable.memoryBytes - h.requested.memoryBytes,
];
