// The periodic resync Lambda, invoked by an EventBridge schedule.
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2SecurityGroups } from '../../shared/aws/ec2-security-groups.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { fleetErrorReporter } from '../../shared/fleet/loop-errors.ts';
import { ecsFleetSync, platformReconcilers, wireBuilds } from '../wire-builds.ts';

const deps = wireBuilds();
const reconcilers = platformReconcilers(deps, process.env);
// Pods run on project networks: awsvpc tasks with a security group per project.
const fleet = ecsFleetSync(deps, process.env, ec2SecurityGroups(new EC2Client({ region: process.env.AWS_REGION })));
const reportFleetError = fleetErrorReporter(deps.logger, 'ecs-fleet');
export const handler = async () => {
  // The fleet first (hosts' leases, pods started and stopped), then every reconciler.
  const pods = await fleet().catch((err: unknown) => {
    reportFleetError(err);
    return undefined;
  });
  const summary = await resyncAll(reconcilers, { logger: deps.logger });
  deps.logger?.info({ ...summary, fleet: pods }, 'resync done');
  return { ...summary, fleet: pods };
};
