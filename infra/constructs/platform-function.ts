// PlatformFunction: how every Berth Lambda function is made. Runtime nodejs22.x on arm64,
// bundled by local esbuild (ESM, minified, source maps), X-Ray tracing when the deployment asks
// for it, its own log group with a retention (JSON records: the function's own at its
// LOG_LEVEL, Lambda's at WARN), and its own role that holds nothing but write access to that
// log group: every other permission is granted explicitly by the stack, so the template shows
// all of them.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, FileSystem, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SubnetType, type ISecurityGroup, type IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IAccessPoint } from 'aws-cdk-lib/aws-efs';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { lambdaBundling, REPO_ROOT } from '../bundling.ts';

export interface PlatformFunctionProps {
  /** Entry file relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  memoryMiB: number;
  timeoutSeconds: number;
  /** Added to TABLE_NAME-style variables the stack passes; NODE_OPTIONS is always set. */
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /**
   * `active`: Lambda traces its invocations at its own fixed rate (1 a second and 5 % of the
   * rest; Lambda offers no sampling rule of its own), each trace billed past X-Ray's free tier.
   * `off`: PassThrough, a trace only for a request that arrives sampled, and nothing that invokes
   * Berth's functions (HTTP API, the stream, EventBridge's AWS events) sends one: no traces.
   */
  tracing: 'off' | 'active';
  /** Whether the function serves the web console (its bundle then carries the console's assets). */
  console?: boolean;
  /**
   * An EFS access point mounted at `path` (under /mnt): the function then runs in the VPC's
   * private subnets with `securityGroup`. Lambda grants the mount (ClientMount, ClientWrite through
   * that access point) to the function's role.
   */
  mount?: FunctionMount;
}

export interface FunctionMount {
  vpc: IVpc;
  securityGroup: ISecurityGroup;
  accessPoint: IAccessPoint;
  path: string;
  /** Act as root on the file system (not squashed), through that access point only. */
  root?: boolean;
}

/**
 * The function's file system: FileSystem.fromEfsAccessPoint's, but with its grants on the file
 * system's ARN (never "*"), held to the access point by elasticfilesystem:AccessPointArn.
 */
class AccessPointMount extends FileSystem {
  constructor(config: FileSystem['config']) {
    super(config);
  }
}
function mountOf(m: FunctionMount): FileSystem {
  const ap = m.accessPoint;
  return new AccessPointMount({
    arn: ap.accessPointArn,
    localMountPath: m.path,
    dependency: [ap.fileSystem.mountTargetsAvailable],
    connections: ap.fileSystem.connections,
    policies: [new PolicyStatement({
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', ...(m.root ? ['elasticfilesystem:ClientRootAccess'] : [])],
      resources: [ap.fileSystem.fileSystemArn],
      conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': ap.accessPointArn } },
    })],
  });
}

export class PlatformFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    // No AWSLambdaBasicExecutionRole: its logs statement covers every log group in the account.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `Berth ${id} function` });
    this.logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      memorySize: props.memoryMiB,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // Lambda's own records of every invocation (platform.start and platform.report, about
      // 0.6 KB an invocation) are left out: the same figures are the function's CloudWatch
      // metrics (Duration, Errors, Throttles), which are free and alarmed on. Warnings and
      // errors of the platform (a timeout, a crash in INIT) are still written.
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: props.tracing === 'active' ? Tracing.ACTIVE : Tracing.PASS_THROUGH,
      bundling: lambdaBundling({ console: props.console }),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.mount
        ? {
            vpc: props.mount.vpc,
            vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
            securityGroups: [props.mount.securityGroup],
            filesystem: mountOf(props.mount),
          }
        : {}),
    });
    // What AWSLambdaVPCAccessExecutionRole would give, written out: the function's network
    // interfaces in the VPC (EC2 gives these calls no resource-level permission that Lambda's
    // service can use before the interface exists; Lambda Developer Guide, "Giving Lambda
    // functions access to resources in an Amazon VPC").
    if (props.mount) {
      this.role.addToPrincipalPolicy(new PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }));
    }
    NagSuppressions.addResourceSuppressions(this.fn, [{
      id: 'AwsSolutions-L1',
      reason: 'Berth targets nodejs22.x on purpose: the bundles are built for node22 and tested on that line (Lambda supports it into 2027); moving to a newer runtime is a deliberate upgrade, not a drift.',
    }]);
  }
}
