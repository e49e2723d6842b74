// How Berth runs EC2 hosts, the same for container hosts and routers: a launch template (IMDSv2
// only, one hop so containers never reach the host's credentials, an encrypted gp3 root disk,
// detailed monitoring) and an Auto Scaling group in the private subnets that reports its scaling
// to the alarm topic.
import { AutoScalingGroup, type AutoScalingGroupProps } from 'aws-cdk-lib/aws-autoscaling';
import {
  BlockDeviceVolume, EbsDeviceVolumeType, InstanceType, LaunchTemplate, SubnetType,
  type IMachineImage, type ISecurityGroup, type IVpc, type UserData,
} from 'aws-cdk-lib/aws-ec2';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { FleetSize } from '../config.ts';

export interface PrivateHostsProps {
  vpc: IVpc;
  size: FleetSize;
  machineImage: IMachineImage;
  role: IRole;
  userData: UserData;
  securityGroup: ISecurityGroup;
  rootVolumeGiB: number;
  notifications: ITopic;
  /** Anything else the group needs (update policy, health checks). */
  group?: Pick<AutoScalingGroupProps, 'updatePolicy' | 'healthChecks' | 'newInstancesProtectedFromScaleIn'>;
}

/** Makes `LaunchTemplate` and `Hosts` in `scope`; returns the Auto Scaling group. */
export function privateHosts(scope: Construct, props: PrivateHostsProps): AutoScalingGroup {
  const launchTemplate = new LaunchTemplate(scope, 'LaunchTemplate', {
    instanceType: new InstanceType(props.size.instanceType),
    machineImage: props.machineImage,
    role: props.role,
    userData: props.userData,
    securityGroup: props.securityGroup,
    requireImdsv2: true,
    httpPutResponseHopLimit: 1,
    detailedMonitoring: true,
    blockDevices: [{ deviceName: '/dev/xvda', volume: BlockDeviceVolume.ebs(props.rootVolumeGiB, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }) }],
  });
  return new AutoScalingGroup(scope, 'Hosts', {
    vpc: props.vpc,
    vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
    launchTemplate,
    minCapacity: props.size.min,
    maxCapacity: props.size.max,
    notifications: [{ topic: props.notifications }],
    ...props.group,
  });
}
