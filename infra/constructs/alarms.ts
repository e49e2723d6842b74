// Alarms that page the operators (through the alarm topic): any function error or throttle,
// and anything landing on the failure queue. Thresholds are "any at all": each of these means
// work was lost or delayed and somebody should look.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { FLEET_ERRORS_METRIC, FLEET_LOOPS, FLEET_METRICS_NAMESPACE } from '../../shared/fleet/loop-errors.ts';

const PERIOD = Duration.minutes(5);

export function alarmOnAny(scope: Construct, id: string, metric: IMetric, description: string, topic: ITopic): Alarm {
  const alarm = new Alarm(scope, id, {
    metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  });
  alarm.addAlarmAction(new SnsAction(topic));
  return alarm;
}

/** Errors and Throttles of one function. */
export function alarmOnFunction(scope: Construct, name: string, fn: IFunction, topic: ITopic): void {
  alarmOnAny(scope, `${name}Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), `Berth function ${name} failed`, topic);
  alarmOnAny(scope, `${name}Throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), `Berth function ${name} was throttled`, topic);
}

/** Messages waiting on the failure queue: stream batches or events given up on. */
export function alarmOnQueue(scope: Construct, id: string, queue: IQueue, topic: ITopic): void {
  alarmOnAny(scope, id, queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
    'Berth gave up on events: they are on the failure queue', topic);
}

/**
 * Errors of the fleet's loops (a pod that cannot start, a host whose tasks cannot be read, an
 * event not applied): the functions log each as an embedded-metric record (loop-errors.ts), and
 * these alarms page on any, one per loop. A swallowed error here means pods wait silently.
 */
export function alarmOnFleetLoops(scope: Construct, topic: ITopic): void {
  for (const loop of FLEET_LOOPS) {
    const metric = new Metric({ namespace: FLEET_METRICS_NAMESPACE, metricName: FLEET_ERRORS_METRIC, dimensionsMap: { Loop: loop }, period: PERIOD, statistic: 'Sum' });
    const id = `FleetLoopErrors${loop.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}`;
    alarmOnAny(scope, id, metric, `Berth fleet loop ${loop} failed: pods may be waiting`, topic);
  }
}
