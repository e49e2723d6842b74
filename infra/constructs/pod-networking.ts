// What project networks need from the fleet (shared/aws/pod-network.ts): ENI trunking, so that a
// tenant host has an elastic network interface for each of its awsvpc pods (an m7g.large has 3
// interfaces without it, 12 trunk-branch interfaces with it), and the routers' peer group, which
// every project's security group lets reach the pods' ports. The project groups themselves are
// made at run time, one per project, by the control plane (grantControl in the fleet stack).
import { SecurityGroup, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export class PodNetworking extends Construct {
  /** Carried by the routers; project groups allow it in on the pods' ports. No rules of its own. */
  readonly routerPeers: SecurityGroup;
  /** Turns awsvpcTrunking on for the account's principals (container instances must register after it). */
  readonly trunking: AwsCustomResource;

  constructor(scope: Construct, id: string, props: { vpc: IVpc; logRetention: RetentionDays }) {
    super(scope, id);
    this.routerPeers = new SecurityGroup(this, 'RouterPeers', {
      vpc: props.vpc,
      description: 'Berth routers, as project security groups know them: allowed in to pod ports',
      allowAllOutbound: false,
    });
    // PutAccountSettingDefault (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutAccountSettingDefault.html):
    // CloudFormation has no resource for ECS account settings. Left on at deletion: other
    // workloads of the account may rely on it.
    // The provider function's own role and log group, every permission written out here.
    const logGroup = new LogGroup(this, 'EniTrunkingLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'EniTrunkingRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: 'Berth: turns ENI trunking on, at deployment' });
    logGroup.grantWrite(role);
    this.trunking = new AwsCustomResource(this, 'EniTrunking', {
      role,
      logGroup,
      onUpdate: {
        service: 'ECS',
        action: 'PutAccountSettingDefault',
        parameters: { name: 'awsvpcTrunking', value: 'enabled' },
        physicalResourceId: PhysicalResourceId.of('awsvpcTrunking'),
      },
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['ecs:PutAccountSettingDefault'], resources: ['*'], conditions: { StringEquals: { 'ecs:account-setting': 'awsvpcTrunking' } } }),
      ]),
      installLatestAwsSdk: false,
    });
  }
}

/** Suppressions for the custom resource's provider function, which aws-cdk-lib makes (one per stack). */
export function justifyCustomResourceProvider(stack: Construct): void {
  NagSuppressions.addStackSuppressions(stack as never, [
    { id: 'AwsSolutions-L1', reason: 'The AwsCustomResource provider\'s runtime is chosen by aws-cdk-lib.' },
  ]);
}
