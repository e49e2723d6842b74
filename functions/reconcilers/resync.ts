// The periodic resync Lambda, invoked by an EventBridge schedule, and by ECS task state changes
// in Berth's cluster: a task's event syncs that task's pod only (its restart, its readiness), or,
// for a Service's proxy, reconciles that Service (a stopped proxy replaced at once),
// the schedule runs the full pass, then the fleet autoscaler, and every few minutes the registry
// resync (image stream tags caught up with ECR's images, for push events that were lost).
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2SecurityGroups } from '../../shared/aws/ec2-security-groups.ts';
import type { EcsEvent } from '../../shared/aws/ecs-events.ts';
import { TASK_STATE_CHANGE } from '../../shared/aws/ecs-events.ts';
import { proxyTaskEvent } from '../../shared/aws/ecs-service-proxies.ts';
import { proxyServiceOf } from '../../shared/aws/service-proxy-task.ts';
import { fleetErrorReporter, reconcilerErrorReporter } from '../../shared/fleet/loop-errors.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { registryResyncDue, resyncRegistryTags } from '../../shared/registry/resync.ts';
import { ensureLookups } from '../../shared/store/lookups-migration.ts';
import { dynamoClientFrom } from '../wire.ts';
import { ecrRegistry, ecsFleetSync, platformReconcilers, tenantAutoscaler, wireBuilds } from '../wire-builds.ts';

const deps = wireBuilds();
const reconcilers = platformReconcilers(deps, process.env);
// Services' proxies' task events go to the service-discovery reconciler (wired with a VPC only).
const serviceDiscovery = reconcilers.find((r) => r.name === 'service-discovery');
// Pods run on project networks: awsvpc tasks with a security group per project.
const fleet = ecsFleetSync(deps, process.env, ec2SecurityGroups(new EC2Client({ region: process.env.AWS_REGION })));
const reportFleetError = fleetErrorReporter(deps.logger, 'ecs-fleet');
// A table written by an earlier release gets its lookups on the first pass (one read once done).
let lookups: Promise<number> | undefined;
// Pods that fit nowhere grow the tenant hosts' group; empty hosts leave after a quiet period.
const autoscale = tenantAutoscaler(deps, process.env, new AutoScalingClient({ region: process.env.AWS_REGION }));
const reportAutoscalerError = fleetErrorReporter(deps.logger, 'autoscaler');
const reportReconcilerError = reconcilerErrorReporter(deps.logger);
const images = ecrRegistry(process.env);
/** How often (minutes of the schedule's clock) ECR's images are compared with the image streams. */
const REGISTRY_RESYNC_MINUTES = 5;
const reportRegistryResyncError = fleetErrorReporter(deps.logger, 'registry-resync');

export const handler = async (event?: Partial<EcsEvent> & { time?: string }) => {
  if (event?.['detail-type'] === TASK_STATE_CHANGE) {
    // Reported by the pass (or the reconciler's onError); thrown again so that EventBridge retries, then the failure queue keeps it.
    const proxy = serviceDiscovery && proxyServiceOf((event.detail ?? {}) as { group?: string; startedBy?: string });
    const outcome = proxy ? await proxyTaskEvent(event as EcsEvent, serviceDiscovery) : await fleet.taskEvent(event as EcsEvent);
    // At debug: a deploy sends a dozen task events, and each line is ingested and billed (LOG_LEVEL=debug shows them).
    deps.logger?.debug({ event: event['detail-type'], ...outcome }, 'task event');
    return outcome;
  }
  lookups ??= ensureLookups(dynamoClientFrom(process.env), process.env.TABLE_NAME ?? '').catch((err: unknown) => {
    lookups = undefined;
    throw err;
  });
  await lookups;
  // The fleet first (hosts' leases, pods started and stopped), then every reconciler.
  const pods = await fleet().catch((err: unknown) => {
    reportFleetError(err);
    return undefined;
  });
  // An object a reconciler (the idler, trial expiry, …) still fails on is counted and alarmed on, not only logged.
  const summary = await resyncAll(reconcilers, { logger: deps.logger, onError: reportReconcilerError });
  // After the scheduler's pass, so that the pods it could place are not counted as waiting.
  const scaling = await autoscale().catch((err: unknown) => {
    reportAutoscalerError(err);
    return undefined;
  });
  const autoscaler = scaling && { desired: scaling.desired, actions: scaling.actions.map((a) => a.type), tooLarge: scaling.tooLarge };
  // A failure is counted and alarmed on like the other loops'; the next due pass looks again.
  const registryMoved = registryResyncDue(event?.time, REGISTRY_RESYNC_MINUTES)
    ? (await resyncRegistryTags({ store: deps.store, registry: images }).catch((err: unknown) => void reportRegistryResyncError(err)))?.length
    : undefined;
  deps.logger?.info({ ...summary, fleet: pods, autoscaler, registryMoved }, 'resync done');
  return { ...summary, fleet: pods, autoscaler, registryMoved };
};
