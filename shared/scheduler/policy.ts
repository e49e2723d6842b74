// The placement policy in one place, shared by the reference `place()` and the indexed
// `Scheduler` so that both always agree: which hosts fit, which of them is preferred, and how
// "fits nowhere" is worded.

/** Whether the pod may go to the host at all (its ReadWriteOnce claims are attached elsewhere). */
export const allowedOn = (onlyHosts: readonly string[] | undefined, host: string): boolean => !onlyHosts || onlyHosts.includes(host);

/** Whether `request` more fits in `free` (allocatable − requested): never over-commit either resource. */
export const fitsIn = (freeCpu: number, freeMem: number, cpuMilli: number, memoryBytes: number): boolean =>
  cpuMilli <= freeCpu && memoryBytes <= freeMem;

/**
 * How empty a host is: the mean over cpu and memory of free ÷ allocatable, 0 for a full host and
 * 1 for an empty one. Bin-packing prefers the lowest, i.e. the most-allocated host (Kubernetes'
 * MostAllocated score). A resource with nothing allocatable counts as full.
 */
export function freeShare(allocCpu: number, reqCpu: number, allocMem: number, reqMem: number): number {
  const cpu = allocCpu > 0 ? (allocCpu - reqCpu) / allocCpu : 0;
  const mem = allocMem > 0 ? (allocMem - reqMem) / allocMem : 0;
  return (cpu + mem) / 2;
}

/**
 * The preference order among hosts that fit: fewer pods of the pod's group first (spread), then
 * the most-allocated (bin-pack), then the name (determinism). True when `a` comes before `b`.
 */
export function preferred(aCount: number, aShare: number, aName: string, bCount: number, bShare: number, bName: string): boolean {
  if (aCount !== bCount) return aCount < bCount;
  if (aShare !== bShare) return aShare < bShare;
  return aName < bName;
}

/** Why the hosts of a fleet refused one pod: each host counted once per cause it has. */
export interface Refusals {
  hosts: number;
  insufficientCpu: number;
  insufficientMemory: number;
  notReady: number;
  /** Hosts other than the one a ReadWriteOnce claim of the pod is attached to. */
  volumeConflict: number;
}

export const noRefusals = (): Refusals => ({ hosts: 0, insufficientCpu: 0, insufficientMemory: 0, notReady: 0, volumeConflict: 0 });

/**
 * Counts one host's causes into `r`. A host that is not ready is not examined further, nor is
 * one the pod's volumes rule out (`allowed` false).
 */
export function refuse(r: Refusals, ready: boolean, freeCpu: number, freeMem: number, cpuMilli: number, memoryBytes: number, allowed = true): void {
  r.hosts++;
  if (!ready) {
    r.notReady++;
    return;
  }
  if (!allowed) {
    r.volumeConflict++;
    return;
  }
  if (cpuMilli > freeCpu) r.insufficientCpu++;
  if (memoryBytes > freeMem) r.insufficientMemory++;
}

/**
 * The message for a pod that fits nowhere, worded after Kubernetes' FitError: "0/N hosts are
 * available: " then one "<count> <cause>" per cause, sorted as strings (so by count first, as
 * Kubernetes does), then a full stop. A host short of both cpu and memory counts under both, as
 * Kubernetes' resource filter reports every insufficient resource; a host that is not ready
 * counts only as "not ready", as Kubernetes stops at a node's first failing filter.
 *
 * @example unschedulableMessage({ hosts: 3, insufficientCpu: 1, insufficientMemory: 2, notReady: 1 })
 *   // "0/3 hosts are available: 1 insufficient cpu, 1 not ready, 2 insufficient memory."
 */
export function unschedulableMessage(r: Refusals): string {
  if (r.hosts === 0) return 'no hosts available to schedule pods';
  const parts: string[] = [];
  if (r.insufficientCpu) parts.push(`${r.insufficientCpu} insufficient cpu`);
  if (r.insufficientMemory) parts.push(`${r.insufficientMemory} insufficient memory`);
  if (r.notReady) parts.push(`${r.notReady} not ready`);
  if (r.volumeConflict) parts.push(`${r.volumeConflict} volume node affinity conflict`);
  parts.sort();
  return `0/${r.hosts} hosts are available: ${parts.join(', ')}.`;
}
