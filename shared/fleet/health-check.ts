// Which of a container's probes a fleet runs as the container's own health check, where the
// fleet runs probes itself (ECS: the task definition's `healthCheck`) rather than the pod sync.
// ECS allows one health check per container and reports one status for it, so one probe only:
// the readiness probe when there is one (its status is the pod's readiness), else the liveness
// probe (an UNHEALTHY status restarts the pod). A container with both probes has its liveness
// probe run nowhere on such a fleet.
import type { Probe } from '../model/deploy-kinds.ts';

export interface HealthCheckProbe {
  probe: Probe;
  /** What the container's health status stands for. */
  role: 'readiness' | 'liveness';
}

/**
 * The probe a container's health check runs, and what its status then means; undefined when the
 * container has neither probe.
 * @example healthCheckProbe({ livenessProbe: p }) // { probe: p, role: 'liveness' }
 */
export function healthCheckProbe(c: { readinessProbe?: Probe; livenessProbe?: Probe } | undefined): HealthCheckProbe | undefined {
  if (c?.readinessProbe) return { probe: c.readinessProbe, role: 'readiness' };
  if (c?.livenessProbe) return { probe: c.livenessProbe, role: 'liveness' };
  return undefined;
}

/** Whether the container's reported health is its readiness (it has a readiness probe); else running is ready enough. */
export const healthIsReadiness = (c: { readinessProbe?: Probe; livenessProbe?: Probe } | undefined): boolean => healthCheckProbe(c)?.role === 'readiness';
