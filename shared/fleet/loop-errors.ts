// Errors of the fleet's loops (the ECS fleet pass, the fleet events, the autoscaler, Cloud Map,
// ECR's push events, and the scheduled passes of the reconcilers), each written as one log
// record that is also a CloudWatch metric: the record carries CloudWatch's embedded metric
// format (EMF), so CloudWatch Logs extracts `FleetLoopErrors` (by loop) from the function's own
// log group. Chosen over PutMetricData because it needs no extra permission, adds no call to the
// loop that just failed, and cannot itself fail the loop; the stack alarms on the metric.
// AWS documentation: "Specification: Embedded metric format" (Amazon CloudWatch User Guide).

import { formatRef, type ObjectRef } from '../model/types.ts';

export const FLEET_METRICS_NAMESPACE = 'Berth';
export const FLEET_ERRORS_METRIC = 'FleetLoopErrors';
/**
 * The fleet's loops; the stack makes one alarm per loop from this list. The reconcilers' scheduled
 * passes (the resync function, the claims function) count under the reconciler's own name when
 * it has a loop here (the idler, trial expiry, claims' volumes), under `reconcilers` otherwise.
 */
export const FLEET_LOOPS = ['ecs-fleet', 'fleet-events', 'autoscaler', 'service-discovery', 'registry-events', 'idler', 'trial-expiry', 'volume-claims', 'registry-resync', 'reconcilers'] as const;
export type FleetLoop = (typeof FLEET_LOOPS)[number];

/** The part of a logger the loops need (pino's signature). */
export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

/** Where in the loop it failed: the host and pod, when it was one pod's sync. */
export interface FleetErrorPlace {
  host?: string;
  pod?: string;
  /** The Service or project (`project/name`, `project`) whose names failed to sync (service discovery). */
  service?: string;
  /** The reconciler and the object (`kind project/name`) it failed on (a reconcilers' pass). */
  reconciler?: string;
  ref?: string;
}

/**
 * One log record for a loop's error, with the EMF metadata that makes it count once in
 * Berth/FleetLoopErrors{Loop}.
 * @example logger.error(fleetErrorRecord('ecs-fleet', err, { host, pod }), 'ECS fleet sync failed')
 */
export function fleetErrorRecord(loop: FleetLoop, err: unknown, place: FleetErrorPlace = {}, now: Date = new Date()): Record<string, unknown> {
  return {
    err,
    ...place,
    Loop: loop,
    [FLEET_ERRORS_METRIC]: 1,
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: FLEET_METRICS_NAMESPACE, Dimensions: [['Loop']], Metrics: [{ Name: FLEET_ERRORS_METRIC, Unit: 'Count' }] }],
    },
  };
}

/** A reporter for one loop: logs the error (with its metric) where the loop would have dropped it. */
export function fleetErrorReporter(logger: ErrorLogger | undefined, loop: FleetLoop, now: () => Date = () => new Date()) {
  return (err: unknown, place: FleetErrorPlace = {}): void => {
    const what = place.pod ? `pod ${place.pod}${place.host ? ` on ${place.host}` : ''}` : place.host ? `host ${place.host}` : place.service ? `names of ${place.service}` : place.ref ? `${place.reconciler} on ${place.ref}` : 'the pass';
    logger?.error(fleetErrorRecord(loop, err, place, now()), `${loop}: ${what} failed: ${(err as Error)?.message ?? String(err)}`);
  };
}

/** Reconcilers counted under another's loop: a deleted claim's data is part of the claims' volumes. */
const LOOP_OF_RECONCILER: Record<string, FleetLoop> = { 'volume-claim-data': 'volume-claims' };

/**
 * A reporter for a scheduled pass of reconcilers (resyncAll's onError): an object a reconciler
 * still failed on after its retries counts once, under the reconciler's loop.
 * @example resyncAll(reconcilers, { logger, onError: reconcilerErrorReporter(logger) })
 */
export function reconcilerErrorReporter(logger: ErrorLogger | undefined, now: () => Date = () => new Date()) {
  const reporters = new Map<FleetLoop, ReturnType<typeof fleetErrorReporter>>();
  return (reconciler: { name: string }, ref: ObjectRef, err: unknown): void => {
    const name = LOOP_OF_RECONCILER[reconciler.name] ?? reconciler.name;
    const loop = (FLEET_LOOPS as readonly string[]).includes(name) ? (name as FleetLoop) : 'reconcilers';
    if (!reporters.has(loop)) reporters.set(loop, fleetErrorReporter(logger, loop, now));
    reporters.get(loop)!(err, { reconciler: reconciler.name, ref: formatRef(ref) });
  };
}
