// Errors of the fleet's loops (the ECS fleet pass, the fleet events), each written as one log
// record that is also a CloudWatch metric: the record carries CloudWatch's embedded metric
// format (EMF), so CloudWatch Logs extracts `FleetLoopErrors` (by loop) from the function's own
// log group. Chosen over PutMetricData because it needs no extra permission, adds no call to the
// loop that just failed, and cannot itself fail the loop; the stack alarms on the metric.
// AWS documentation: "Specification: Embedded metric format" (Amazon CloudWatch User Guide).

export const FLEET_METRICS_NAMESPACE = 'Berth';
export const FLEET_ERRORS_METRIC = 'FleetLoopErrors';
/** The fleet's loops; the stack makes one alarm per loop from this list. */
export const FLEET_LOOPS = ['ecs-fleet', 'fleet-events', 'autoscaler', 'service-discovery'] as const;
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
    const what = place.pod ? `pod ${place.pod}${place.host ? ` on ${place.host}` : ''}` : place.host ? `host ${place.host}` : place.service ? `names of ${place.service}` : 'the pass';
    logger?.error(fleetErrorRecord(loop, err, place, now()), `${loop}: ${what} failed: ${(err as Error)?.message ?? String(err)}`);
  };
}
