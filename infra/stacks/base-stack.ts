// What everything else stands on: the network (a new VPC, or an existing one looked up by id)
// and the operators' alarm topic.
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { FlowLogDestination, FlowLogTrafficType, GatewayVpcEndpointAwsService, InterfaceVpcEndpointAwsService, SubnetType, Vpc, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { BerthConfig } from '../config.ts';
import { retentionOf } from '../retention.ts';

export interface BaseStackProps extends StackProps {
  config: BerthConfig;
}

export class BaseStack extends Stack {
  readonly vpc: IVpc;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: BaseStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.vpc = config.vpcId ? Vpc.fromLookup(this, 'Vpc', { vpcId: config.vpcId }) : this.newVpc(config);
    if (config.codeArtifactEndpoints) this.addCodeArtifactEndpoints();

    this.alarmTopic = new Topic(this, 'Alarms', { displayName: 'Berth alarms', enforceSSL: true });
    if (config.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));
    NagSuppressions.addResourceSuppressions(this.alarmTopic, [{
      id: 'AwsSolutions-SNS2',
      reason: 'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key; alarm messages carry no secrets, so a customer-managed KMS key would add cost and no protection.',
    }]);
  }

  /**
   * Builds' package downloads without the NAT gateway: CodeArtifact's API endpoint (tokens, the
   * repository's address) and its repositories endpoint (the packages), with private DNS so the
   * address `GetRepositoryEndpoint` returns resolves to them. Both are needed: the repositories
   * endpoint's private DNS name works only beside the API endpoint's.
   */
  private addCodeArtifactEndpoints(): void {
    for (const [id, service] of [['CodeArtifactApi', InterfaceVpcEndpointAwsService.CODEARTIFACT_API], ['CodeArtifactRepositories', InterfaceVpcEndpointAwsService.CODEARTIFACT_REPOSITORIES]] as const) {
      this.vpc.addInterfaceEndpoint(id, { service, privateDnsEnabled: true, subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS }, open: true });
    }
  }

  private newVpc(config: BerthConfig): Vpc {
    return new Vpc(this, 'Vpc', {
      maxAzs: config.maxAzs,
      natGateways: config.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'hosts', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: {
        rejected: {
          trafficType: FlowLogTrafficType.REJECT,
          destination: FlowLogDestination.toCloudWatchLogs(new LogGroup(this, 'FlowLogs', { retention: retentionOf(config), removalPolicy: RemovalPolicy.DESTROY })),
        },
      },
      // Free, and they keep the heavy traffic off the NAT gateway (charged per GB): image layers
      // (ECR serves them from S3) and the hosts' table reads and writes.
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
  }
}
