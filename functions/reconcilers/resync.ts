// The periodic resync Lambda, invoked by an EventBridge schedule.
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2SecurityGroups } from '../../shared/aws/ec2-security-groups.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { ecsFleetSync, platformReconcilers, wireBuilds } from '../wire-builds.ts';

const deps = wireBuilds();
const reconcilers = platformReconcilers(deps, process.env);
// Pods run on project networks: awsvpc tasks with a security group per project.
const fleet = ecsFleetSync(deps, process.env, ec2SecurityGroups(new EC2Client({ region: process.env.AWS_REGION })));
export const handler = async () => {
  // The fleet first (hosts' leases, pods started and stopped), then every reconciler.
  const pods = await fleet().catch((err: Error) => {
    deps.logger?.error({ err }, 'ECS fleet sync failed');
    return undefined;
  });
  const summary = await resyncAll(reconcilers, { logger: deps.logger });
  deps.logger?.info({ ...summary, fleet: pods }, 'resync done');
  return { ...summary, fleet: pods };
};
