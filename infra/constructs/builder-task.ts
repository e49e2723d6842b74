// The build task: one Build per ECS task, run by the control plane with RunTask on the build
// capacity provider. The builder agent (image berth/builder) drives the host's Docker Engine
// through the socket, which is why the task may only ever be placed on build hosts: the
// placement constraint below, plus the build hosts' own attribute, keep the socket away from
// tenant hosts.
import { RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ContainerImage, Ec2TaskDefinition, LogDrivers, NetworkMode, PlacementConstraint } from 'aws-cdk-lib/aws-ecs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, LogGroupClass, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { HOST_ROLE_ATTRIBUTE } from './host-fleet.ts';
import type { Registry } from './registry.ts';

/** The task definition family; the control plane may RunTask this family only. */
export const BUILDER_FAMILY = 'berth-builder';
export const DOCKER_SOCKET = '/var/run/docker.sock';

/** What one build reserves on a build host: the agent's sibling containers (S2I assemble) do the work. */
const BUILD_RESERVATION = { cpu: 1024, memoryReservationMiB: 3072 };

export interface BuilderTaskProps {
  registry: Registry;
  imageTag: string;
  table: ITable;
  environment: Record<string, string>;
  logRetention: RetentionDays;
}

export class BuilderTask extends Construct {
  readonly taskDefinition: Ec2TaskDefinition;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BuilderTaskProps) {
    super(scope, id);
    // The agent's own lines (a build's outcome, the image cache); the build's log is in the table,
    // read through the API. Read by operators only, with Logs Insights: the Infrequent Access
    // class, half the Standard class's price per GB ingested (no alarm or metric filter reads it).
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, logGroupClass: LogGroupClass.INFREQUENT_ACCESS, removalPolicy: RemovalPolicy.DESTROY });
    const taskRole = new Role(this, 'TaskRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'), description: 'Berth builder agent' });
    this.taskDefinition = new Ec2TaskDefinition(this, 'TaskDefinition', {
      family: BUILDER_FAMILY,
      networkMode: NetworkMode.BRIDGE,
      taskRole,
      placementConstraints: [PlacementConstraint.memberOf(`attribute:${HOST_ROLE_ATTRIBUTE} == build`)],
      volumes: [{ name: 'docker-socket', host: { sourcePath: DOCKER_SOCKET } }],
    });
    const container = this.taskDefinition.addContainer('builder', {
      image: ContainerImage.fromEcrRepository(props.registry.builder, props.imageTag),
      ...BUILD_RESERVATION,
      environment: props.environment,
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'build' }),
    });
    NagSuppressions.addResourceSuppressions(this.taskDefinition, [{
      id: 'AwsSolutions-ECS2',
      reason: 'The variables name the table, the sources bucket, the registry, the secrets key and the apps domain: configuration, not secrets.',
    }]);
    container.addMountPoints({ sourceVolume: 'docker-socket', containerPath: DOCKER_SOCKET, readOnly: false });

    // Nothing is granted to the task role itself: a build's rights are those of the build scope
    // (build-scope.ts), whose credentials for this one build the reconciler passes in.
  }
}
