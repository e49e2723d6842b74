// The routers: HAProxy hosts running the router agent, in an Auto Scaling group behind a
// network load balancer that passes TCP 80 and 443 straight through (TLS ends in HAProxy, so
// edge, passthrough and re-encrypt routes all work), and the optional wildcard DNS record
// *.apps.<domain> pointing at it. Every router serves one shared default certificate, kept in
// Secrets Manager (as OpenShift's routers share their default certificate secret): put a CA-issued
// *.apps.<domain> there; until then each router serves a self-signed one of its own.
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AdditionalHealthCheckType, HealthChecks, UpdatePolicy, type AutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  AmazonLinuxCpuType, CfnLaunchTemplate, InstanceArchitecture, MachineImage, Peer, Port, SecurityGroup, SubnetType, UserData,
  type ISecurityGroup, type IVpc,
} from 'aws-cdk-lib/aws-ec2';
import { NetworkLoadBalancer, Protocol } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { LoadBalancerTarget } from 'aws-cdk-lib/aws-route53-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { architectureOf, type BerthConfig } from '../config.ts';
import { agentArtefact } from '../constructs/agent-artefact.ts';
import { privateHosts } from '../constructs/private-hosts.ts';
import { routerBootCommands } from '../router-user-data.ts';
import { FEED_PARTITION } from '../../shared/routing/feed.ts';
import { ACTIVITY_PARTITION, WAKE_PARTITION } from '../../shared/idling/signals.ts';
import { ROUTER_KINDS } from '../../shared/routing/router-store.ts';
import { BY_KIND_INDEX } from '../../shared/store/keys.ts';

/** Where Docker publishes pod ports on tenant hosts (the kernel's ephemeral range and above). */

export interface RouterStackProps extends StackProps {
  config: BerthConfig;
  vpc: IVpc;
  table: ITable;
  tenantHostsSecurityGroup: ISecurityGroup;
  /** The group project security groups let in to pods' ports (the fleet's PodNetworking). */
  routerPeersSecurityGroup: ISecurityGroup;
  alarmTopic: ITopic;
  /** The router agent's entry (relative to the repository), or undefined while it does not exist. */
  agentEntry?: string;
}

export class RouterStack extends Stack {
  readonly loadBalancer: NetworkLoadBalancer;
  readonly autoScalingGroup: AutoScalingGroup;
  /** The routers' shared default certificate (PEM chain and key), filled by the operator. */
  readonly defaultCertificate: Secret;

  constructor(scope: Construct, id: string, props: RouterStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;

    const role = new Role(this, 'InstanceRole', { assumedBy: new ServicePrincipal('ec2.amazonaws.com'), description: 'Berth router host' });
    // The agent follows admitted routes and service endpoints, reading only what routing needs
    // (a router host faces the internet): the routers' change feed, and Routes and Services
    // through the byKind index — never a project's partition, where its secrets are.
    const onlyPartitions = (keys: readonly string[]) => ({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...keys] },
      // ForAllValues holds for a request without keys (a Scan): such requests are refused.
      Null: { 'dynamodb:LeadingKeys': 'false' },
    });
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [props.table.tableArn], conditions: onlyPartitions([FEED_PARTITION]) }));
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${props.table.tableArn}/index/${BY_KIND_INDEX}`], conditions: onlyPartitions(ROUTER_KINDS) }));
    // For the idler: the requests each Service had, and the requests held for idled ones.
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [props.table.tableArn], conditions: onlyPartitions([ACTIVITY_PARTITION, WAKE_PARTITION]) }));
    const artefact = props.agentEntry ? agentArtefact(this, 'RouterAgent', props.agentEntry) : undefined;
    // The agent's artefact: that one object of the assets bucket, read only (no wildcard actions).
    if (artefact) role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [artefact.bucket.arnForObjects(artefact.s3ObjectKey)] }));

    this.defaultCertificate = new Secret(this, 'DefaultCertificate', {
      description: `Berth routers' default certificate for *.${config.appsDomain}: the PEM certificate chain followed by its private key`,
    });
    // Read by the agent at start; nothing else in the routers' reach.
    this.defaultCertificate.grantRead(role);
    NagSuppressions.addResourceSuppressions(this.defaultCertificate, [{
      id: 'AwsSolutions-SMG4',
      reason: 'A certificate issued by a CA is renewed by its issuer, not by a rotation Lambda: the operator puts the renewed one in and refreshes the routers.',
    }]);

    const userData = UserData.forLinux();
    userData.addCommands(...routerBootCommands({
      artefact: artefact && { bucket: artefact.s3BucketName, key: artefact.s3ObjectKey },
      environment: {
        TABLE_NAME: props.table.tableName,
        BERTH_APPS_DOMAIN: config.appsDomain,
        AWS_REGION: this.region,
        PAAS_ROUTER_HTTP_PORT: '80',
        PAAS_ROUTER_HTTPS_PORT: '443',
        BERTH_ROUTER_CERT_SECRET: this.defaultCertificate.secretArn,
        NODE_OPTIONS: '--enable-source-maps',
      },
    }));

    const lbSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', { vpc, description: 'Berth router load balancer' });
    const hostSecurityGroup = new SecurityGroup(this, 'HostSecurityGroup', { vpc, description: 'Berth router hosts' });
    for (const port of [80, 443]) lbSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(port), 'public HTTP(S) to the routers');
    // Routers reach pods at their own addresses through each project's security group, which
    // lets the routers' peer group in (shared/aws/project-security-groups.ts): the tenant hosts
    // themselves take nothing from the routers.

    const arm = architectureOf(config.routerHosts.instanceType) === InstanceArchitecture.ARM_64;
    this.autoScalingGroup = privateHosts(this, {
      vpc,
      size: config.routerHosts,
      machineImage: MachineImage.latestAmazonLinux2023({ cpuType: arm ? AmazonLinuxCpuType.ARM_64 : AmazonLinuxCpuType.X86_64 }),
      role,
      userData,
      securityGroup: hostSecurityGroup,
      rootVolumeGiB: 20,
      notifications: props.alarmTopic,
      group: {
        // A new agent artefact changes the user data: replace routers one at a time.
        updatePolicy: UpdatePolicy.rollingUpdate({ maxBatchSize: 1, minInstancesInService: Math.min(1, config.routerHosts.min) }),
        // Without the agent nothing listens, so load-balancer health would replace hosts forever.
        healthChecks: artefact
          ? HealthChecks.withAdditionalChecks({ additionalTypes: [AdditionalHealthCheckType.ELB], gracePeriod: Duration.minutes(5) })
          : HealthChecks.ec2(),
      },
    });

    // Pods on project networks (awsvpc) let in the fleet's peer group, which the routers also
    // carry. Set on the launch template itself: added through the group's connections, the load
    // balancer's rules below would be copied onto the fleet's group (a cycle between the stacks).
    (this.node.findChild('LaunchTemplate').node.defaultChild as CfnLaunchTemplate).addPropertyOverride('LaunchTemplateData.SecurityGroupIds', [
      hostSecurityGroup.securityGroupId,
      props.routerPeersSecurityGroup.securityGroupId,
    ]);

    this.loadBalancer = new NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      securityGroups: [lbSecurityGroup],
      crossZoneEnabled: true,
    });
    for (const port of [80, 443]) {
      this.loadBalancer.addListener(`Tcp${port}`, { port, protocol: Protocol.TCP }).addTargets(`Routers${port}`, {
        port,
        protocol: Protocol.TCP,
        targets: [this.autoScalingGroup],
        healthCheck: { protocol: Protocol.TCP, interval: Duration.seconds(10), healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
        deregistrationDelay: Duration.seconds(30),
      });
      this.autoScalingGroup.connections.allowFrom(lbSecurityGroup, Port.tcp(port), 'load balancer to HAProxy');
    }
    NagSuppressions.addResourceSuppressions(lbSecurityGroup, [{
      id: 'AwsSolutions-EC23',
      reason: 'The routers are the public entrance for tenant apps: TCP 80 and 443 from anywhere, and nothing else, is their job.',
    }]);
    NagSuppressions.addResourceSuppressions(this.loadBalancer, [{
      id: 'AwsSolutions-ELB2',
      reason: 'NLB access logs exist only for TLS listeners; these listeners are TCP passthrough, and HAProxy logs every request itself.',
    }]);

    if (config.hostedZone) {
      const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: config.hostedZone.id, zoneName: config.hostedZone.name });
      new ARecord(this, 'AppsWildcard', { zone, recordName: `*.${config.appsDomain}`, target: RecordTarget.fromAlias(new LoadBalancerTarget(this.loadBalancer)) });
    }
    new CfnOutput(this, 'DefaultCertificateSecretArn', { value: this.defaultCertificate.secretArn, description: `put the PEM of *.${config.appsDomain} and its key here, then refresh the routers` });
    new CfnOutput(this, 'RouterDnsName', { value: this.loadBalancer.loadBalancerDnsName, description: `Point *.${config.appsDomain} here` });
  }
}
