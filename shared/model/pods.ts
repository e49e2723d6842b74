// Pods as the controllers see them, pure: what a pod asks of its host, whether it is ready or
// available, how it is named, and its conditions.
import { randomBytes } from 'node:crypto';
import type { Condition } from './deploy-kinds.ts';
import { DC_LABEL } from './deploy-kinds.ts';
import type { Pod } from './objects.ts';
import { cpuMillis, memoryBytes } from './quantity.ts';
import { CONTAINER_MAX_BYTES, CONTAINER_MAX_MILLI, MAX_LIMIT_REQUEST_RATIO } from './resource-bounds.ts';
import type { Resources } from './resources.ts';

/** What a container that states neither requests nor limits is given. */
export const DEFAULT_REQUEST = { cpu: '100m', memory: '256Mi' } as const;

function quantities(q: { cpu?: string; memory?: string } | undefined): Partial<Resources> {
  const out: Partial<Resources> = {};
  const cpu = q?.cpu === undefined ? undefined : cpuMillis(q.cpu);
  const mem = q?.memory === undefined ? undefined : memoryBytes(q.memory);
  if (cpu !== undefined) out.cpuMilli = cpu;
  if (mem !== undefined) out.memoryBytes = mem;
  return out;
}

const DEFAULTS: Resources = { cpuMilli: cpuMillis(DEFAULT_REQUEST.cpu)!, memoryBytes: memoryBytes(DEFAULT_REQUEST.memory)! };

/**
 * One container's request and limit: each defaults to the other, both to DEFAULTS; then held to
 * resource-bounds.ts (objects written before those bounds, or by controllers, get them too): the
 * limit at most the container maximum, the request at least the limit / MAX_LIMIT_REQUEST_RATIO.
 */
function bounded(c: Pod['spec']['containers'][number]): { requests: Resources; limits: Resources } {
  const req = quantities(c.resources?.requests);
  const lim = quantities(c.resources?.limits);
  const one = (r: keyof Resources, max: number) => {
    const limit = Math.min(lim[r] ?? req[r] ?? DEFAULTS[r], max);
    const request = Math.min(Math.max(req[r] ?? limit, Math.ceil(limit / MAX_LIMIT_REQUEST_RATIO)), limit);
    return { request, limit };
  };
  const cpu = one('cpuMilli', CONTAINER_MAX_MILLI);
  const mem = one('memoryBytes', CONTAINER_MAX_BYTES);
  return { requests: { cpuMilli: cpu.request, memoryBytes: mem.request }, limits: { cpuMilli: cpu.limit, memoryBytes: mem.limit } };
}

function summed(pod: Pick<Pod, 'spec'>, which: 'requests' | 'limits'): Resources {
  const total: Resources = { cpuMilli: 0, memoryBytes: 0 };
  for (const c of pod.spec.containers) {
    const r = bounded(c)[which];
    total.cpuMilli += r.cpuMilli;
    total.memoryBytes += r.memoryBytes;
  }
  return total;
}

/**
 * What the pod asks the scheduler for: its requests, else its limits, else DEFAULT_REQUEST,
 * per resource, summed over its containers (never under a tenth of its limits).
 * @example podRequest(pod) // { cpuMilli: 250, memoryBytes: 268435456 }
 */
export const podRequest = (pod: Pick<Pod, 'spec'>): Resources => summed(pod, 'requests');

/**
 * The container's hard limits: its limits, else its requests (else the default), so that a pod
 * never uses more than it was promised room for unless it says so; never over CONTAINER_MAX.
 * @example podLimits(pod) // { cpuMilli: 500, memoryBytes: 536870912 }
 */
export const podLimits = (pod: Pick<Pod, 'spec'>): Resources => summed(pod, 'limits');

export const isTerminating = (pod: Pick<Pod, 'metadata'>): boolean => !!pod.metadata.deletionTimestamp;

const conditionOf = (pod: Pick<Pod, 'status'>, type: string) => pod.status?.conditions?.find((c) => c.type === type);

/** Ready: its Ready condition is True and it is not going away. */
export const isReady = (pod: Pick<Pod, 'metadata' | 'status'>): boolean => !isTerminating(pod) && conditionOf(pod, 'Ready')?.status === 'True';

/** Available: ready for at least `minReadySeconds` (counted from status.readySince). */
export function isAvailable(pod: Pick<Pod, 'metadata' | 'status'>, minReadySeconds: number, now: number = Date.now()): boolean {
  if (!isReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = pod.status.readySince ? Date.parse(pod.status.readySince) : NaN;
  return Number.isFinite(since) && now - since >= minReadySeconds * 1000;
}

/** Milliseconds until a ready pod becomes available, 0 when it is, undefined when it is not ready. */
export function untilAvailable(pod: Pick<Pod, 'metadata' | 'status'>, minReadySeconds: number, now: number = Date.now()): number | undefined {
  if (!isReady(pod)) return undefined;
  const since = pod.status.readySince ? Date.parse(pod.status.readySince) : now;
  return Math.max(0, since + minReadySeconds * 1000 - now);
}

/** The group a pod's replicas are spread over: `<project>/<deploymentconfig>`. */
export const podGroup = (pod: Pick<Pod, 'metadata'>): string => `${pod.metadata.project}/${pod.metadata.labels?.[DC_LABEL] ?? pod.metadata.name}`;

/**
 * The status with condition `type` set; lastTransitionTime moves only when the status changes.
 * @example status = setPodCondition(status, 'Ready', 'True')
 */
export function setPodCondition<S extends { conditions?: Condition[] }>(status: S, type: string, value: Condition['status'], reason?: string, message?: string, now: Date = new Date()): S {
  const conditions = [...(status.conditions ?? [])];
  const i = conditions.findIndex((c) => c.type === type);
  const prev = i >= 0 ? conditions[i] : undefined;
  const next: Condition = {
    type,
    status: value,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    lastTransitionTime: prev && prev.status === value && prev.lastTransitionTime ? prev.lastTransitionTime : now.toISOString(),
  };
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
  return { ...status, conditions };
}

const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * A new pod name of a ReplicationController: `<rc>-<5 characters>`.
 * @example newPodName('web-3') // 'web-3-x7k2p'
 */
export function newPodName(rc: string): string {
  const bytes = randomBytes(5);
  return `${rc}-${[...bytes].map((b) => SUFFIX[b % SUFFIX.length]).join('')}`;
}

/** The ReplicationController a replica pod belongs to, from its name (`<rc>-<suffix>`). */
export const rcNameOfPod = (pod: string): string => pod.slice(0, pod.lastIndexOf('-'));
