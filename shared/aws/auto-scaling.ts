// Amazon EC2 Auto Scaling as the autoscaler's ScalingGroups port: four requests, each as the Auto
// Scaling API Reference documents it (DescribeAutoScalingGroups, SetDesiredCapacity,
// SetInstanceProtection, TerminateInstanceInAutoScalingGroup).
import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingClient,
} from '@aws-sdk/client-auto-scaling';
import type { ScalingGroups } from '../autoscale/ports.ts';
import type { ScalingGroup } from '../autoscale/types.ts';

/** SetInstanceProtection takes at most 50 instance IDs per request. */
const PROTECT_BATCH = 50;

export class AutoScalingGroups implements ScalingGroups {
  constructor(private readonly client: Pick<AutoScalingClient, 'send'>) {}

  async describe(group: string): Promise<Omit<ScalingGroup, 'instanceCapacity'>> {
    const out = await this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
    const g = out.AutoScalingGroups?.find((x) => x.AutoScalingGroupName === group);
    if (!g) throw new Error(`Auto Scaling group ${group} was not found`);
    return {
      name: group,
      min: g.MinSize ?? 0,
      max: g.MaxSize ?? 0,
      desired: g.DesiredCapacity ?? 0,
      instances: (g.Instances ?? []).flatMap((i) =>
        i.InstanceId ? [{ instanceId: i.InstanceId, lifecycleState: i.LifecycleState ?? 'Pending', protectedFromScaleIn: i.ProtectedFromScaleIn === true }] : [],
      ),
    };
  }

  async setDesired(group: string, desired: number): Promise<void> {
    // Scale-out answers pods waiting now: the group's cooldown would only hold it back.
    await this.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: desired, HonorCooldown: false }));
  }

  async protect(group: string, instanceIds: string[], protect: boolean): Promise<void> {
    for (let i = 0; i < instanceIds.length; i += PROTECT_BATCH) {
      await this.client.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: group, InstanceIds: instanceIds.slice(i, i + PROTECT_BATCH), ProtectedFromScaleIn: protect }));
    }
  }

  async terminate(instanceId: string): Promise<void> {
    await this.client.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: true }));
  }
}
