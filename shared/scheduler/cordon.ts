// A cordoned host takes no more pods: the fleet's own `spec.unschedulable` (an ECS instance that
// is not ACTIVE) or the autoscaler's drain mark, written when it chooses the host for scale-in.
// The mark is an annotation because host registration rewrites the spec on every pass; and
// because writing it changes the Host's resourceVersion, a binding decided before the cordon
// fails its write and the pod is placed again elsewhere.
import type { HostObject } from './types.ts';

/** Cordoned for scale-in since this time (ISO 8601). */
export const DRAINING_ANNOTATION = 'berth.io/draining-since';

/** Whether the scheduler may place pods on this host at all (readiness aside). */
export function cordoned(host: Pick<HostObject, 'metadata' | 'spec'>): boolean {
  return (host.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true || host.metadata.annotations?.[DRAINING_ANNOTATION] !== undefined;
}
