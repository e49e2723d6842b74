// A fleet of ECS container hosts: ECS-optimised Amazon Linux 2023 (arm64 or x86_64, following the
// instance type) in an Auto Scaling group, registered with Berth's cluster as one capacity
// provider. Tenant hosts and build hosts are two of these, differing in size, scaling and the
// ECS agent settings that mark their role.
import type { AutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import { InstanceArchitecture, UserData, type ISecurityGroup, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { AmiHardwareType, AsgCapacityProvider, EcsOptimizedImage, type Cluster } from 'aws-cdk-lib/aws-ecs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { architectureOf, type FleetSize } from '../config.ts';
import { HostInstanceRole } from './instance-role.ts';
import { privateHosts } from './private-hosts.ts';
import { ADDRESS_ATTRIBUTE, HOST_ROLE_ATTRIBUTE } from '../../shared/aws/ecs-hosts.ts';

/** The ECS container-instance attribute naming a host's role; placement constraints test it. */
export { HOST_ROLE_ATTRIBUTE };

export interface HostFleetProps {
  cluster: Cluster;
  vpc: IVpc;
  hostRole: 'tenant' | 'build';
  size: FleetSize;
  securityGroup: ISecurityGroup;
  rootVolumeGiB: number;
  /**
   * Build hosts scale with the RunTask demand on their capacity provider (ECS managed scaling);
   * tenant hosts, whose pods ECS StartTask places and managed scaling never sees, are scaled by
   * Berth's autoscaler.
   */
  managedScaling: boolean;
  /** Extra lines of /etc/ecs/ecs.config. */
  agentConfig: Record<string, string>;
  notifications: ITopic;
}

export class HostFleet extends Construct {
  readonly autoScalingGroup: AutoScalingGroup;
  readonly capacityProvider: AsgCapacityProvider;
  readonly role: HostInstanceRole;
  readonly securityGroup: ISecurityGroup;

  constructor(scope: Construct, id: string, props: HostFleetProps) {
    super(scope, id);
    const { size } = props;
    this.securityGroup = props.securityGroup;
    this.role = new HostInstanceRole(this, 'InstanceRole', `Berth ${props.hostRole} host`);
    const agentConfig: Record<string, string> = {
      ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE: 'true',
      ...props.agentConfig,
    };
    const userData = UserData.forLinux();
    // The host's role and its private address (where its published pod ports are reached), as
    // instance attributes; the address comes from the instance metadata service (IMDSv2).
    const attributes = JSON.stringify({ [HOST_ROLE_ATTRIBUTE]: props.hostRole, [ADDRESS_ATTRIBUTE]: '__ADDRESS__' }).replaceAll('"', '\\"').replace('__ADDRESS__', '$ADDRESS');
    userData.addCommands(
      `TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')`,
      `ADDRESS=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/local-ipv4)`,
      `echo "ECS_INSTANCE_ATTRIBUTES=${attributes}" >> /etc/ecs/ecs.config`,
      ...Object.entries(agentConfig).map(([k, v]) => `echo '${k}=${v}' >> /etc/ecs/ecs.config`),
    );
    const hardware = architectureOf(size.instanceType) === InstanceArchitecture.ARM_64 ? AmiHardwareType.ARM : AmiHardwareType.STANDARD;
    this.autoScalingGroup = privateHosts(this, {
      vpc: props.vpc,
      size,
      machineImage: EcsOptimizedImage.amazonLinux2023(hardware),
      role: this.role,
      userData,
      securityGroup: props.securityGroup,
      rootVolumeGiB: props.rootVolumeGiB,
      notifications: props.notifications,
      // Hosts scaled by Berth's autoscaler join protected: the group's own scale-in (a lowered
      // desired capacity, zone rebalancing) never takes a host from under its pods; the
      // autoscaler removes the protection of the host it retires.
      ...(props.managedScaling ? {} : { group: { newInstancesProtectedFromScaleIn: true } }),
    });
    this.capacityProvider = new AsgCapacityProvider(this, 'Capacity', {
      autoScalingGroup: this.autoScalingGroup,
      enableManagedScaling: props.managedScaling,
      enableManagedTerminationProtection: props.managedScaling,
      enableManagedDraining: true,
    });
    props.cluster.addAsgCapacityProvider(this.capacityProvider);
  }
}
