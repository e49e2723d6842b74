// Wiring of the build pipeline for the Lambda entry points on AWS, from the variables the
// control-plane stack gives each function: build logs in the table, uploaded sources in S3
// (BERTH_SOURCES_BUCKET), builder tasks by ECS RunTask (BERTH_CLUSTER, …), tenant repositories
// in ECR (BERTH_REGISTRY), and the builder images new-app offers (BERTH_BUILDER_IMAGES). The API
// and reconciler entries wire with wireBuilds (the webhooks function, which needs none of it,
// keeps wire and a smaller bundle); the reconciler entries add platformReconcilers.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EcsPodSecrets } from '../shared/aws/ecs-pod-secrets.ts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { tasksOnHosts } from '../shared/aws/ecs-hosts.ts';
import type { Host } from '../shared/model/objects.ts';
import { IAMClient } from '@aws-sdk/client-iam';
import { EFSClient } from '@aws-sdk/client-efs';
import { EfsClaims } from '../shared/aws/efs-claims.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { CloudMapDiscovery } from '../shared/aws/cloud-map.ts';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ec2SecurityGroups } from '../shared/aws/ec2-security-groups.ts';
import { EcsServiceProxies } from '../shared/aws/ecs-service-proxies.ts';
import { EcrRegistry } from '../shared/aws/ecr-registry.ts';
import { EcsBuildLauncher } from '../shared/aws/ecs-launcher.ts';
import { IamProjectRoles } from '../shared/aws/iam-project-roles.ts';
import { projectRoleArn, SHARED_IMAGE_NAMESPACES } from '../shared/aws/project-roles.ts';
import { scopedBuildCredentials } from '../shared/aws/build-credentials.ts';
import { STSClient } from '@aws-sdk/client-sts';
import { S3SourceArchives } from '../shared/aws/s3-sources.ts';
import type { ApiDeps, BuilderImage } from '../shared/api/env.ts';
import type { BuildPolicy } from '../shared/builds/admission.ts';
import { buildSettings } from '../shared/builds/settings.ts';
import { DynamoBuildLogs } from '../shared/builds/dynamo-logs.ts';
import type { Reconciler } from '../shared/reconcile/types.ts';
import { ProjectSecurityGroups, type Ec2SecurityGroupsClient } from '../shared/aws/project-security-groups.ts';
import { AutoScalingGroups } from '../shared/aws/auto-scaling.ts';
import { createAutoscaler, type AutoscalePass } from '../shared/autoscale/autoscaler.ts';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { createEcsFleetSync, type EcsFleetSync } from '../shared/fleet/ecs-fleet-sync.ts';
import { fleetErrorReporter } from '../shared/fleet/loop-errors.ts';
import { platformReconcilers as sharedReconcilers, type PlatformAdapters } from '../shared/platform/reconcilers.ts';
import { idleAfterFrom } from '../shared/idling/idler.ts';
import { IdleSignalTable } from '../shared/idling/signals.ts';
import { DynamoPushSubscriptions } from '../shared/push/subscriptions.ts';
import { RouterFeedTable, routerFeedWriter } from '../shared/routing/feed.ts';
import { DynamoBindingStore } from '../shared/scheduler/dynamo-binding.ts';
import { HostReservations } from '../shared/scheduler/reservations.ts';
import { dynamoClientFrom, onFirstUse, secretBox, wire } from './wire.ts';

/**
 * The largest source upload on AWS. It comes as the body of one Lambda invocation (6 MB at most)
 * through API Gateway, base64-encoded (4/3 larger): beyond this the gateway itself refuses it.
 */
export const LAMBDA_UPLOAD_LIMIT = 4 * 1024 * 1024;

function required(env: NodeJS.ProcessEnv, name: string, why: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set: ${why}`);
  return v;
}

/** Build logs and uploaded sources, for a function given the sources bucket; undefined for others. */
export function buildStorage(env: NodeJS.ProcessEnv, dynamo: DynamoDBClient): ApiDeps['builds'] {
  const bucket = env.BERTH_SOURCES_BUCKET;
  if (!bucket) return undefined;
  return {
    logs: new DynamoBuildLogs({ client: dynamo, tableName: required(env, 'TABLE_NAME', 'build logs are kept in the table') }),
    sources: onFirstUse(async () => new S3SourceArchives({ client: new S3Client({ region: env.AWS_REGION }), bucket }), ['put', 'get', 'delete']),
    maxArchiveBytes: LAMBDA_UPLOAD_LIMIT,
    // API Gateway gets a Lambda response whole, never a stream: a follow answers with what is
    // there at once, and the CLI polls on from its offset (rather than the function timing out).
    followMs: 0,
  };
}

/** wire()'s dependencies plus the build routes' storage and builder images, over one DynamoDB client. */
export function wireBuilds(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const client = dynamoClientFrom(env);
  return { ...wire(env, client), builds: buildStorage(env, client), builderImages: builderImages(env), buildPolicy: buildPolicy(env), appsDomain: env.BERTH_APPS_DOMAIN || undefined };
}

/** What builds may fetch, and the ECR layout that tells a project's own images from another's. */
export function buildPolicy(env: NodeJS.ProcessEnv): BuildPolicy {
  return {
    git: buildSettings(env).git,
    ...(env.BERTH_REGISTRY ? { registry: { host: env.BERTH_REGISTRY, prefix: env.BERTH_REPOSITORY_PREFIX || 'berth', shared: [...SHARED_IMAGE_NAMESPACES] } } : {}),
  };
}

/** BERTH_BUILDER_IMAGES: `python=<registry>/berth/s2i/python:latest,…` → what new-app offers. */
export function builderImages(env: NodeJS.ProcessEnv): BuilderImage[] {
  return (env.BERTH_BUILDER_IMAGES ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) throw new Error(`BERTH_BUILDER_IMAGES: "${pair}" is not name=image`);
      return { name: pair.slice(0, eq), image: pair.slice(eq + 1) };
    });
}

/** The ECS launcher of builder tasks. The builder task is in bridge mode: no subnets. */
export function ecsBuildLauncher(env: NodeJS.ProcessEnv): EcsBuildLauncher {
  const why = 'the build reconciler runs builder tasks in the Berth cluster';
  return new EcsBuildLauncher({
    client: new ECSClient({ region: env.AWS_REGION }),
    cluster: required(env, 'BERTH_CLUSTER', why),
    capacityProvider: required(env, 'BERTH_BUILD_CAPACITY_PROVIDER', why),
    taskDefinition: required(env, 'BERTH_BUILDER_TASK_DEFINITION', why),
    // Each build gets the build scope's rights for its own project and name only.
    credentials: scopedBuildCredentials(new STSClient({ region: env.AWS_REGION }), required(env, 'BERTH_BUILD_SCOPE_ROLE_ARN', why)),
  });
}

/** Tenant repositories in ECR, berth/<project>/<imagestream>: removed with their ImageStream. */
export function ecrRegistry(env: NodeJS.ProcessEnv): EcrRegistry {
  return new EcrRegistry({
    client: new ECRClient({ region: env.AWS_REGION }),
    host: required(env, 'BERTH_REGISTRY', 'a deleted ImageStream\'s ECR repository goes with it'),
    prefix: env.BERTH_REPOSITORY_PREFIX || undefined,
  });
}

/**
 * Each project's task execution role (BERTH_POD_ROLE_BOUNDARY_ARN names the boundary every one
 * carries, and so the account): made with the project, removed with it. Undefined without it.
 */
export function projectRoles(env: NodeJS.ProcessEnv): IamProjectRoles | undefined {
  const boundaryArn = env.BERTH_POD_ROLE_BOUNDARY_ARN;
  if (!boundaryArn) return undefined;
  return new IamProjectRoles({
    // IAM is a global service: its one endpoint answers for every region.
    client: new IAMClient({ region: env.AWS_REGION }),
    boundaryArn,
    region: required(env, 'AWS_REGION', 'a project role names its repositories and log streams by region'),
    repositoryPrefix: env.BERTH_REPOSITORY_PREFIX || 'berth',
    ...(env.BERTH_POD_LOG_GROUP ? { logGroup: env.BERTH_POD_LOG_GROUP } : {}),
  });
}

/**
 * Persistent volume claims as EFS access points on the claims file system
 * (BERTH_CLAIMS_FILE_SYSTEM_ID and _ARN), each project's pods allowed to mount its own through its
 * role. Undefined without a file system: claims then stay Pending.
 */
export function efsClaims(env: NodeJS.ProcessEnv, roles: IamProjectRoles | undefined): EfsClaims | undefined {
  const fileSystemId = env.BERTH_CLAIMS_FILE_SYSTEM_ID;
  if (!fileSystemId) return undefined;
  const why = 'pods mount their claims with their project\'s role';
  if (!roles) throw new Error(`BERTH_POD_ROLE_BOUNDARY_ARN is not set: ${why}`);
  return new EfsClaims({ client: new EFSClient({ region: env.AWS_REGION }), fileSystemId, fileSystemArn: required(env, 'BERTH_CLAIMS_FILE_SYSTEM_ARN', why), grants: roles });
}

/** The binding store over the table (pods bound to hosts and the room promised on them). */
export function bindingStore(env: NodeJS.ProcessEnv): DynamoBindingStore {
  return new DynamoBindingStore({ client: dynamoClientFrom(env), tableName: required(env, 'TABLE_NAME', 'bindings are written to the table') });
}

/** Every reconciler the control plane runs, over the AWS adapters (shared/platform/reconcilers.ts). */
export function platformReconcilers(deps: Pick<ApiDeps, 'store' | 'builds' | 'logger'>, env: NodeJS.ProcessEnv): Reconciler[] {
  if (!deps.builds) throw new Error('BERTH_SOURCES_BUCKET is not set: the build reconciler deletes the uploaded sources of deleted builds');
  const { logs, sources } = deps.builds;
  // Made in this order so that a missing variable is named in the order the stack sets them.
  const launcher = ecsBuildLauncher(env);
  const registry = ecrRegistry(env);
  const bindings = bindingStore(env);
  const appsDomain = required(env, 'BERTH_APPS_DOMAIN', 'routes get their default host under the apps domain');
  // Router hosts have no stream: they read Route and Service changes from this feed.
  const tableName = required(env, 'TABLE_NAME', "the routers' change feed is kept in the table");
  const routers = routerFeedWriter(new RouterFeedTable({ client: dynamoClientFrom(env), tableName }));
  // What the routers report for the idler (requests seen, requests held) is kept in the table too.
  const idling = { signals: new IdleSignalTable({ client: dynamoClientFrom(env), tableName }), idleAfterMs: idleAfterFrom(env) };
  // ECS hosts renew their leases on the resync schedule (ECS_LEASE_SECONDS): the default timings.
  const executionRoles = projectRoles(env);
  // Pods' Secret values are written to Secrets Manager by the fleet pass; they go with their project.
  const podSecrets = env.BERTH_SECRETS_KEY_ARN ? new EcsPodSecrets({ client: new SecretsManagerClient({ region: env.AWS_REGION }) }) : undefined;
  const serviceDiscovery = cloudMapDiscovery(deps, env);
  // Claims are the claims function's (functions/claims): it alone reaches the file system.
  return sharedReconcilers({
    store: deps.store, bindings, builds: { launcher, logs, sources }, registry, appsDomain, routers, idling,
    // Push connections' subscriptions to a deleted project go with it.
    watchers: new DynamoPushSubscriptions({ client: dynamoClientFrom(env), tableName }),
    ...(executionRoles ? { executionRoles } : {}), ...(podSecrets ? { podSecrets } : {}), ...(serviceDiscovery ? { serviceDiscovery } : {}),
  });
}

/**
 * Services' names in Cloud Map, one private DNS namespace per project in the pods' VPC
 * (BERTH_VPC_ID), and their proxies, one ECS task per Service (BERTH_SERVICE_PROXY_IMAGE in
 * BERTH_CLUSTER, on the project's network: BERTH_POD_SUBNETS, BERTH_ROUTERS_SECURITY_GROUP);
 * failures are logged with the fleet loops' metric. Undefined without a VPC.
 */
export function cloudMapDiscovery(deps: Pick<ApiDeps, 'logger' | 'store'>, env: NodeJS.ProcessEnv): PlatformAdapters['serviceDiscovery'] {
  if (!env.BERTH_VPC_ID) return undefined;
  const report = fleetErrorReporter(deps.logger, 'service-discovery');
  const why = 'a Service on AWS is answered by its proxy, an ECS task on its project\'s network';
  const groups = new ProjectSecurityGroups({ ec2: ec2SecurityGroups(new EC2Client({ region: env.AWS_REGION })), vpcId: env.BERTH_VPC_ID, routersGroupId: required(env, 'BERTH_ROUTERS_SECURITY_GROUP', why) });
  return {
    names: new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: env.AWS_REGION }), vpcId: env.BERTH_VPC_ID }),
    proxies: new EcsServiceProxies({
      client: new ECSClient({ region: env.AWS_REGION }),
      cluster: required(env, 'BERTH_CLUSTER', why),
      image: required(env, 'BERTH_SERVICE_PROXY_IMAGE', why),
      subnets: required(env, 'BERTH_POD_SUBNETS', why).split(',').filter(Boolean),
      securityGroupOf: (project) => groups.securityGroupOf(project),
      // Each proxy's room is reserved on the Host it is run on, so pods are never bound into it.
      room: new HostReservations(deps.store),
      ...(env.BERTH_POD_ROLE_BOUNDARY_ARN ? { executionRoleOf: (project: string) => projectRoleArn(env.BERTH_POD_ROLE_BOUNDARY_ARN!, project) } : {}),
    }),
    onError: (err, ref) => report(err, { service: ref.kind === 'Project' ? ref.name : `${ref.project}/${ref.name}` }),
  };
}

/**
 * The resync function's pass over the ECS fleet (shared/fleet/ecs-fleet-sync.ts), wired from the
 * environment. With an EC2 client (the AWS SDK's `EC2` fits), pods run on project networks:
 * awsvpc tasks with one security group per project (shared/aws/pod-network.ts).
 */
export function ecsFleetSync(deps: Pick<ApiDeps, 'store' | 'logger'>, env: NodeJS.ProcessEnv, ec2?: Ec2SecurityGroupsClient): EcsFleetSync {
  const why = 'pods run on project networks (awsvpc, a security group per project)';
  const network = ec2 && {
    subnets: required(env, 'BERTH_POD_SUBNETS', why).split(',').filter(Boolean),
    groups: new ProjectSecurityGroups({ ec2, vpcId: required(env, 'BERTH_VPC_ID', why), routersGroupId: required(env, 'BERTH_ROUTERS_SECURITY_GROUP', why) }),
  };
  const report = fleetErrorReporter(deps.logger, 'ecs-fleet');
  return createEcsFleetSync({
    onError: report,
    ...(network ? { network } : {}),
    // Services are Cloud Map names in the same VPC (cloudMapDiscovery, wired from the same variable).
    ...(env.BERTH_VPC_ID ? { serviceNames: true } : {}),
    store: deps.store,
    bindings: bindingStore(env),
    client: new ECSClient({ region: env.AWS_REGION }),
    cluster: required(env, 'BERTH_CLUSTER', 'the resync function runs the pods of the ECS fleet'),
    ...(env.BERTH_POD_ROLE_BOUNDARY_ARN ? { executionRoleOf: (project: string) => projectRoleArn(env.BERTH_POD_ROLE_BOUNDARY_ARN!, project) } : {}),
    logGroup: env.BERTH_POD_LOG_GROUP || undefined,
    // ECS Exec (exec, rsh, port-forward): the pods' task role with its Session Manager channels.
    taskRoleArn: env.BERTH_POD_TASK_ROLE_ARN || undefined,
    region: env.AWS_REGION ?? '',
    ...(env.BERTH_CLAIMS_FILE_SYSTEM_ID ? { efs: { fileSystemId: env.BERTH_CLAIMS_FILE_SYSTEM_ID } } : {}),
    images: buildPolicy(env).registry,
    // Pods' Secret values: opened with the platform's key, handed to ECS through Secrets Manager (under its own key).
    ...(env.BERTH_SECRETS_KEY_ARN
      ? { secrets: { box: secretBox(env), values: new EcsPodSecrets({ client: new SecretsManagerClient({ region: env.AWS_REGION }) }) } }
      : {}),
  });
}

/**
 * The fleet autoscaler over the tenant hosts' Auto Scaling group (BERTH_TENANT_HOSTS_GROUP):
 * pods that fit nowhere add hosts, empty hosts are retired after the quiet period
 * (shared/autoscale). Build hosts are left to ECS managed scaling, which RunTask feeds.
 */
export function tenantAutoscaler(deps: Pick<ApiDeps, 'store'>, env: NodeJS.ProcessEnv, client: Pick<AutoScalingClient, 'send'>, ecs: Pick<ECSClient, 'send'> = new ECSClient({ region: env.AWS_REGION })): () => Promise<AutoscalePass> {
  const group = required(env, 'BERTH_TENANT_HOSTS_GROUP', 'the autoscaler scales the tenant hosts\' Auto Scaling group');
  const cluster = required(env, 'BERTH_CLUSTER', 'the autoscaler counts the tasks on the tenant hosts of the ECS cluster');
  // A host that runs only Services' proxies (tasks, not pods) is not empty: it is not retired.
  const tasksOn = (hosts: Host[]) => tasksOnHosts(ecs, cluster, hosts.filter((h) => h.spec.provider === 'ecs' && h.spec.endpoint).map((h) => ({ name: h.metadata.name, containerInstanceArn: h.spec.endpoint! })));
  return createAutoscaler({ store: deps.store, groups: new AutoScalingGroups(client), group, tasksOn });
}
