// PlatformFunction: how every Berth Lambda function is made. Runtime nodejs22.x on arm64,
// bundled by local esbuild (ESM, minified, source maps), X-Ray tracing, its own log group with
// a retention, and its own role that holds nothing but write access to that log group: every
// other permission is granted explicitly by the stack, so the template shows all of them.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
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
  /** Whether the function serves the web console (its bundle then carries the console's assets). */
  console?: boolean;
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
      tracing: Tracing.ACTIVE,
      bundling: lambdaBundling({ console: props.console }),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    });
    NagSuppressions.addResourceSuppressions(this.fn, [{
      id: 'AwsSolutions-L1',
      reason: 'Berth targets nodejs22.x on purpose: the bundles are built for node22 and tested on that line (Lambda supports it into 2027); moving to a newer runtime is a deliberate upgrade, not a drift.',
    }]);
  }
}
