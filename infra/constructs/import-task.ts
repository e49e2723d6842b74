// The import task: one `berth import-image` per ECS task, run by the API with RunTask on the
// build hosts' capacity provider (whose egress reaches outside registries). The builder agent's
// image runs `main.mjs import` (agents/builder/import.ts): it copies through the registry HTTP
// API and needs no Docker socket, so none is mounted. Its task role holds nothing: each import
// runs with a session of the registry push role narrowed to its one repository
// (shared/aws/ecs-image-imports.ts), passed in its environment by the API.
import { RemovalPolicy } from 'aws-cdk-lib';
import { ContainerImage, Ec2TaskDefinition, LogDrivers, NetworkMode, PlacementConstraint } from 'aws-cdk-lib/aws-ecs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { IMPORT_CONTAINER, IMPORT_FAMILY } from '../../shared/aws/ecs-image-imports.ts';
import { HOST_ROLE_ATTRIBUTE } from './host-fleet.ts';
import type { Registry } from './registry.ts';

/** Under the push session's hour (role chaining): the program stops itself (TimedOut) first. */
const IMPORT_TIMEOUT_SECONDS = 3000;

export interface ImportTaskProps {
  registry: Registry;
  imageTag: string;
  region: string;
  logRetention: RetentionDays;
}

export class ImportTask extends Construct {
  readonly taskDefinition: Ec2TaskDefinition;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ImportTaskProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const taskRole = new Role(this, 'TaskRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'), description: 'Berth import task (holds nothing; runs with a session narrowed to one repository)' });
    this.taskDefinition = new Ec2TaskDefinition(this, 'TaskDefinition', {
      family: IMPORT_FAMILY,
      networkMode: NetworkMode.BRIDGE,
      taskRole,
      placementConstraints: [PlacementConstraint.memberOf(`attribute:${HOST_ROLE_ATTRIBUTE} == build`)],
    });
    this.taskDefinition.addContainer(IMPORT_CONTAINER, {
      image: ContainerImage.fromEcrRepository(props.registry.builder, props.imageTag),
      command: ['node', '/opt/berth/builder/main.mjs', 'import'],
      cpu: 256,
      memoryReservationMiB: 512,
      environment: { AWS_REGION: props.region, IMPORT_TIMEOUT_SECONDS: String(IMPORT_TIMEOUT_SECONDS) },
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'import' }),
    });
    NagSuppressions.addResourceSuppressions(this.taskDefinition, [{
      id: 'AwsSolutions-ECS2',
      reason: 'The variables are the region and the time limit: configuration, not secrets. The session credentials come per task in RunTask overrides.',
    }]);
  }
}
