// The resources a ResourceQuota can limit, after Kubernetes' and OpenShift's names, and how much
// of each one object uses. Pure. Amounts are integers in a base unit (cpu in millicores, memory
// and storage in bytes, everything else a count), so that a usage counter can add them exactly.
import { TERMINAL_PHASES, type BuildPhase } from '../model/build-phases.ts';
import type { Pod } from '../model/objects.ts';
import { podLimits, podRequest } from '../model/pods.ts';
import { cpuMillis, memoryBytes } from '../model/quantity.ts';
import type { BerthObject } from '../model/types.ts';
import { storageBytes, type PersistentVolumeClaimSpec } from '../model/volume-kinds.ts';

/** Every resource a quota accepts. */
export const QUOTA_RESOURCES = [
  'pods',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
  'routes',
  'services',
  'imagestreams',
  'configmaps',
  'builds',
  'secrets',
  'persistentvolumeclaims',
  'requests.storage',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** The resources counted (every one a quota accepts). */
export const COUNTED: readonly QuotaResource[] = QUOTA_RESOURCES;

/** The unit a resource's amounts are in. */
export function unitOf(r: QuotaResource): 'cpu' | 'bytes' | 'count' {
  if (r.endsWith('.cpu')) return 'cpu';
  if (r.endsWith('.memory') || r.endsWith('.storage')) return 'bytes';
  return 'count';
}

/** An amount in the resource's base unit, or undefined when `q` is not one ("2", "500m", "1Gi", 4). */
export function parseAmount(r: QuotaResource, q: string | number): number | undefined {
  const text = String(q);
  switch (unitOf(r)) {
    case 'cpu':
      return text === '0' ? 0 : cpuMillis(text);
    case 'bytes':
      return text === '0' ? 0 : memoryBytes(text);
    case 'count':
      return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
  }
}

/**
 * An amount as a quantity a person reads (and `parseAmount` reads back).
 * @example formatAmount('requests.cpu', 1500) // "1500m"; formatAmount('limits.memory', 2 ** 31) // "2Gi"
 */
export function formatAmount(r: QuotaResource, n: number): string {
  switch (unitOf(r)) {
    case 'cpu':
      return n % 1000 === 0 ? String(n / 1000) : `${n}m`;
    case 'bytes': {
      for (const [suffix, f] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (n !== 0 && n % f === 0) return `${n / f}${suffix}`;
      return String(n);
    }
    case 'count':
      return String(n);
  }
}

export type Usage = Partial<Record<QuotaResource, number>>;

const ONE_OF: Record<string, QuotaResource> = { Route: 'routes', Service: 'services', ImageStream: 'imagestreams', ConfigMap: 'configmaps', Secret: 'secrets' };

/** Whether objects of this kind ever use a counted resource (the store writes no counter for others). */
export const isCounted = (kind: string): boolean => kind === 'Pod' || kind === 'Build' || kind === 'PersistentVolumeClaim' || kind in ONE_OF;

/**
 * What one object uses. A pod that has ended (Succeeded, Failed) uses nothing, as in Kubernetes,
 * so a finished hook pod does not hold quota; a build uses one `builds` until it finishes.
 */
export function usageOf(o: BerthObject | undefined): Usage {
  if (!o) return {};
  if (o.kind === 'Pod') {
    const pod = o as Pod;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return {};
    // A pod written without containers (controllers' own shapes, old items) still counts as a pod.
    if (!Array.isArray(pod.spec?.containers)) return { pods: 1 };
    const req = podRequest(pod);
    const lim = podLimits(pod);
    return { pods: 1, 'requests.cpu': req.cpuMilli, 'requests.memory': req.memoryBytes, 'limits.cpu': lim.cpuMilli, 'limits.memory': lim.memoryBytes };
  }
  if (o.kind === 'Build') {
    const phase = (o.status as { phase?: BuildPhase } | undefined)?.phase ?? 'New';
    return TERMINAL_PHASES.includes(phase) ? {} : { builds: 1 };
  }
  if (o.kind === 'PersistentVolumeClaim') {
    // A claim holds its storage until it is gone (deleting it takes its data with it).
    const storage = storageBytes((o.spec as PersistentVolumeClaimSpec | undefined)?.resources?.requests?.storage ?? '');
    return { persistentvolumeclaims: 1, ...(storage ? { 'requests.storage': storage } : {}) };
  }
  const r = ONE_OF[o.kind];
  return r ? { [r]: 1 } : {};
}

/** How usage changes when `before` becomes `after` (either may be absent: a create, a delete); zeros left out. */
export function usageDelta(before: BerthObject | undefined, after: BerthObject | undefined): Usage {
  const a = usageOf(before);
  const b = usageOf(after);
  const out: Usage = {};
  for (const r of new Set([...Object.keys(a), ...Object.keys(b)]) as Set<QuotaResource>) {
    const d = (b[r] ?? 0) - (a[r] ?? 0);
    if (d !== 0) out[r] = d;
  }
  return out;
}
