// The Auto Scaling adapter of the autoscaler: the exact requests it sends and how it reads the
// group. Shapes from the Amazon EC2 Auto Scaling API Reference: "DescribeAutoScalingGroups"
// (AutoScalingGroup: MinSize, MaxSize, DesiredCapacity, Instances[]: InstanceId,
// LifecycleState, ProtectedFromScaleIn …), "SetDesiredCapacity" (AutoScalingGroupName,
// DesiredCapacity, HonorCooldown), "SetInstanceProtection" (AutoScalingGroupName, InstanceIds —
// at most 50 — ProtectedFromScaleIn) and "TerminateInstanceInAutoScalingGroup" (InstanceId,
// ShouldDecrementDesiredCapacity; answers an Activity).
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AutoScalingGroups } from '../../shared/aws/auto-scaling.ts';

const GROUP = 'Berth-Fleet-TenantHostsAsg1A2B3C4D-5E6F7G8H9I0J';
const asg = mockClient(AutoScalingClient);
const groups = new AutoScalingGroups(new AutoScalingClient({ region: 'eu-west-1' }));
const inputs = (command: Parameters<typeof asg.commandCalls>[0]) => asg.commandCalls(command).map((c) => c.args[0].input);

/** An AutoScalingGroup element of DescribeAutoScalingGroups' response, as the API Reference shows it. */
const described = (): AutoScalingGroup => ({
  AutoScalingGroupName: GROUP,
  AutoScalingGroupARN: `arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:930d940e-891e-4781-a11a-7b0acd480f03:autoScalingGroupName/${GROUP}`,
  MinSize: 1,
  MaxSize: 20,
  DesiredCapacity: 3,
  DefaultCooldown: 300,
  AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
  HealthCheckType: 'EC2',
  HealthCheckGracePeriod: 0,
  CreatedTime: new Date('2026-11-30T12:00:00Z'),
  NewInstancesProtectedFromScaleIn: true,
  Instances: [
    { InstanceId: 'i-0a1b2c3d4e5f60001', InstanceType: 'm7g.large', AvailabilityZone: 'eu-west-1a', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: true },
    { InstanceId: 'i-0a1b2c3d4e5f60002', InstanceType: 'm7g.large', AvailabilityZone: 'eu-west-1b', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: false },
    { InstanceId: 'i-0a1b2c3d4e5f60003', InstanceType: 'm7g.large', AvailabilityZone: 'eu-west-1a', LifecycleState: 'Pending', HealthStatus: 'Healthy', ProtectedFromScaleIn: true },
  ],
});

beforeEach(() => asg.reset());

describe('Auto Scaling groups', () => {
  it('describes one group by name: bounds, desired capacity, instances with lifecycle state and protection', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [described()] });
    expect(await groups.describe(GROUP)).toEqual({
      name: GROUP,
      min: 1,
      max: 20,
      desired: 3,
      instances: [
        { instanceId: 'i-0a1b2c3d4e5f60001', lifecycleState: 'InService', protectedFromScaleIn: true },
        { instanceId: 'i-0a1b2c3d4e5f60002', lifecycleState: 'InService', protectedFromScaleIn: false },
        { instanceId: 'i-0a1b2c3d4e5f60003', lifecycleState: 'Pending', protectedFromScaleIn: true },
      ],
    });
    expect(inputs(DescribeAutoScalingGroupsCommand)).toEqual([{ AutoScalingGroupNames: [GROUP] }]);
  });

  it('a group that is not there is an error naming it', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(groups.describe(GROUP)).rejects.toThrow(`Auto Scaling group ${GROUP} was not found`);
  });

  it('scales out with SetDesiredCapacity, not waiting for the cooldown', async () => {
    asg.on(SetDesiredCapacityCommand).resolves({});
    await groups.setDesired(GROUP, 5);
    expect(inputs(SetDesiredCapacityCommand)).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 5, HonorCooldown: false }]);
  });

  it('sets protection with SetInstanceProtection, 50 instances a request', async () => {
    asg.on(SetInstanceProtectionCommand).resolves({});
    const ids = Array.from({ length: 51 }, (_, i) => `i-0a1b2c3d4e5f6${String(i).padStart(4, '0')}`);
    await groups.protect(GROUP, ids, true);
    await groups.protect(GROUP, ['i-0a1b2c3d4e5f60002'], false);
    expect(inputs(SetInstanceProtectionCommand)).toEqual([
      { AutoScalingGroupName: GROUP, InstanceIds: ids.slice(0, 50), ProtectedFromScaleIn: true },
      { AutoScalingGroupName: GROUP, InstanceIds: ids.slice(50), ProtectedFromScaleIn: true },
      { AutoScalingGroupName: GROUP, InstanceIds: ['i-0a1b2c3d4e5f60002'], ProtectedFromScaleIn: false },
    ]);
  });

  it('terminates one instance with TerminateInstanceInAutoScalingGroup, lowering the desired capacity', async () => {
    asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({
      Activity: {
        ActivityId: 'cc5f8a2e-7b0a-4b2a-9c1c-3a3a3a3a3a3a',
        AutoScalingGroupName: GROUP,
        Cause: 'At 2026-12-02T10:11:00Z instance i-0a1b2c3d4e5f60002 was taken out of service in response to a user request, shrinking the capacity from 3 to 2.',
        Description: 'Terminating EC2 instance: i-0a1b2c3d4e5f60002',
        StartTime: new Date('2026-12-02T10:11:00Z'),
        StatusCode: 'InProgress',
        Progress: 0,
      },
    });
    await groups.terminate('i-0a1b2c3d4e5f60002');
    expect(inputs(TerminateInstanceInAutoScalingGroupCommand)).toEqual([{ InstanceId: 'i-0a1b2c3d4e5f60002', ShouldDecrementDesiredCapacity: true }]);
  });
});
