// The data plane's compute: one ECS cluster with two EC2 capacity providers (tenant hosts, where
// pods run, and build hosts, where builds run with the Docker socket), the builder task, the
// ECR repositories, and what the control plane needs to drive them (grantControl).
import { BuildScope } from '../constructs/build-scope.ts';
import { BuildEgress } from '../constructs/build-egress.ts';
import { ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';
import { SecurityGroup, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { Grant, PolicyStatement, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { BerthConfig } from '../config.ts';
import { BUILDER_FAMILY, BuilderTask } from '../constructs/builder-task.ts';
import { ImportTask } from '../constructs/import-task.ts';
import { IMPORT_FAMILY } from '../../shared/aws/ecs-image-imports.ts';
import { HostFleet, type HostFleetProps } from '../constructs/host-fleet.ts';
import { PodNetworking, justifyCustomResourceProvider } from '../constructs/pod-networking.ts';
import { ProjectRoles } from '../constructs/project-roles.ts';
import { EXEC_CHANNEL_ACTIONS } from '../../shared/aws/project-roles.ts';
import { ClaimsFileSystem, CLAIMS_MOUNT } from '../constructs/claims-file-system.ts';
import { MANAGED_TAG, PROJECT_TAG } from '../../shared/aws/ownership.ts';
import { NETWORK_TAG } from '../../shared/aws/pod-network.ts';
import { PORT_FORWARDING_DOCUMENT } from '../../shared/aws/ecs-exec.ts';
import { Registry, REPOSITORY_PREFIX } from '../constructs/registry.ts';
import { retentionOf } from '../retention.ts';
import type { StateStack } from './state-stack.ts';

/** Task definition families the control plane registers for pods: berth-pod-<project>-<dc>-… */
export const POD_FAMILY_PREFIX = 'berth-pod-';

export interface FleetStackProps extends StackProps {
  config: BerthConfig;
  vpc: IVpc;
  state: StateStack;
  alarmTopic: ITopic;
}

export class FleetStack extends Stack {
  readonly cluster: Cluster;
  readonly tenantHosts: HostFleet;
  readonly buildHosts: HostFleet;
  readonly builder: BuilderTask;
  /** `berth import-image`: one task per import, run by the API. */
  readonly importer: ImportTask;
  /** CodeArtifact's proxy of PyPI, which builds' pip installs from. */
  readonly buildEgress: BuildEgress;
  readonly registry: Registry;
  /**
   * The boundary and grants of the projects' own execution roles (made at run time, one per
   * project): a pod pulls only its project's and the shared images, writes only its project's logs.
   */
  readonly projectRoles: ProjectRoles;
  /** The rights of one build, assumed per build with its session tags. */
  readonly buildScope: BuildScope;
  readonly podLogGroup: LogGroup;
  /** Where persistent volume claims live (EFS, an access point per claim made at run time). */
  readonly claims: ClaimsFileSystem;
  /** ENI trunking and the routers' peer group: what project networks (awsvpc pods) stand on. */
  readonly podNetworking: PodNetworking;
  /**
   * The task role of every pod: only the Session Manager channels ECS Exec needs (the agent in
   * the task opens them; ssmmessages offers no resource-level permission). Nothing else: a pod's
   * code gets no other AWS rights from it.
   */
  readonly podTaskRole: Role;
  private readonly vpc: IVpc;

  constructor(scope: Construct, id: string, props: FleetStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;
    this.vpc = vpc;
    const retention = retentionOf(config);
    // Container Insights is off unless asked for: its metrics are per task family, and every
    // pod revision of every tenant is one (docs/cost.md).
    const insights = { disabled: ContainerInsights.DISABLED, enabled: ContainerInsights.ENABLED, enhanced: ContainerInsights.ENHANCED }[config.containerInsights];
    this.cluster = new Cluster(this, 'Cluster', { vpc, containerInsightsV2: insights });
    if (config.containerInsights === 'disabled') {
      NagSuppressions.addResourceSuppressions(this.cluster, [{ id: 'AwsSolutions-ECS4', reason: 'Off by default for its cost: billed per task family, and every tenant deployment is one (docs/cost.md); berth:containerInsights turns it on.' }]);
    }

    const host = (id: string, hostRole: HostFleetProps['hostRole'], sizing: Pick<HostFleetProps, 'size' | 'rootVolumeGiB' | 'managedScaling' | 'agentConfig'>) => {
      // No inbound rules: the router stack opens the tenant hosts' published ports to the routers.
      // Build hosts, where tenant code runs with the host's network (assemble on Docker's bridge),
      // get out by HTTPS only (build-egress.ts).
      const securityGroup = new SecurityGroup(this, `${id}SecurityGroup`, { vpc, description: `Berth ${hostRole} hosts`, allowAllOutbound: hostRole !== 'build' });
      if (hostRole === 'build') BuildEgress.restrictEgress(securityGroup);
      return new HostFleet(this, id, { cluster: this.cluster, vpc, hostRole, notifications: props.alarmTopic, securityGroup, ...sizing });
    };
    this.tenantHosts = host('TenantHosts', 'tenant', {
      size: config.tenantHosts, rootVolumeGiB: 50, managedScaling: false,
      // Pods never run privileged; the scheduler, not ECS, decides where they go. A pod on its
      // project's network (awsvpc) must not reach the host's instance metadata, where the host
      // role's credentials are.
      agentConfig: { ECS_DISABLE_PRIVILEGED: 'true', ECS_AWSVPC_BLOCK_IMDS: 'true' },
    });
    this.podNetworking = new PodNetworking(this, 'PodNetworking', { vpc, logRetention: retention });
    // Container instances take the trunking setting when they register: hosts come after it.
    this.tenantHosts.autoScalingGroup.node.addDependency(this.podNetworking.trunking);
    justifyCustomResourceProvider(this);
    this.buildHosts = host('BuildHosts', 'build', {
      size: config.buildHosts, rootVolumeGiB: 100, managedScaling: true,
      // Builder images and layers are large and reused: keep them for a day between builds.
      agentConfig: { ECS_IMAGE_CLEANUP_INTERVAL: '60m', ECS_IMAGE_MINIMUM_CLEANUP_AGE: '24h' },
    });

    this.registry = new Registry(this, 'Registry', { s2iImages: config.s2iImages });
    // pip in builds installs through CodeArtifact's proxy of PyPI.
    this.buildEgress = new BuildEgress(this, 'BuildEgress');
    this.builder = new BuilderTask(this, 'Builder', {
      registry: this.registry,
      imageTag: config.builderImageTag,
      table: props.state.table,
      environment: {
        TABLE_NAME: props.state.table.tableName,
        BERTH_SECRETS_KEY_ARN: props.state.secretsKey.keyArn,
        BERTH_APPS_DOMAIN: config.appsDomain,
        BERTH_REGISTRY: this.registry.host,
        BERTH_REPOSITORY_PREFIX: REPOSITORY_PREFIX,
        // git runs in a container of the agent's own image (it has git), never in the agent.
        BERTH_FETCH_IMAGE: `${this.registry.builder.repositoryUri}:${config.builderImageTag}`,
        BERTH_SOURCES_BUCKET: props.state.sources.bucket.bucketName,
        AWS_REGION: this.region,
        ...this.buildEgress.environment,
      },
      logRetention: retention,
    });

    this.importer = new ImportTask(this, 'Importer', { registry: this.registry, imageTag: config.builderImageTag, region: this.region, logRetention: retention });

    // The builder task's own role holds nothing: each build runs with the credentials of the
    // build scope, assumed for that build (its project and name as session tags) by the build
    // reconciler. The agent opens secrets (source credentials, build env) but never seals new ones.
    this.buildScope = new BuildScope(this, 'BuildScope', { table: props.state.table, sources: props.state.sources });
    props.state.grantSecrets(this.buildScope.role, ['kms:Decrypt']);
    this.buildEgress.grantRead(this.buildScope.role);

    this.podLogGroup = new LogGroup(this, 'PodLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    this.podTaskRole = new Role(this, 'PodTaskRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'), description: 'Berth pods: ECS Exec channels only' });
    this.podTaskRole.addToPolicy(
      new PolicyStatement({ actions: EXEC_CHANNEL_ACTIONS, resources: ['*'] }),
    );
    this.claims = new ClaimsFileSystem(this, 'Claims', {
      vpc, tenantHosts: this.tenantHosts.securityGroup, backups: config.claimBackups, toInfrequentAccessDays: config.claimsToInfrequentAccessDays,
    });
    this.projectRoles = new ProjectRoles(this, 'ProjectRoles', { podLogGroup: this.podLogGroup, claimsFileSystemArn: this.claims.fileSystem.fileSystemArn });
  }

  /** The Secrets Manager secrets holding pods' Secret values: `berth/<project>/<secret>` (and the random suffix AWS adds). */
  get podSecretsArn(): string {
    return this.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: 'berth/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /**
   * The claims-data function's mount: the file system's /berth as root at CLAIMS_MOUNT, in the
   * private subnets, with its own security group (let in to NFS by the file system's). Root, only
   * through that access point: wiping a claim's directory must reach every project's files.
   */
  get claimsDataMount() {
    return { vpc: this.vpc, securityGroup: this.claims.dataSecurityGroup, accessPoint: this.claims.dataAccessPoint, path: CLAIMS_MOUNT, root: true };
  }

  /** Variables a function that drives the fleet reads. */
  get controlEnvironment(): Record<string, string> {
    return {
      BERTH_CLUSTER: this.cluster.clusterName,
      BERTH_BUILD_CAPACITY_PROVIDER: this.buildHosts.capacityProvider.capacityProviderName,
      BERTH_BUILDER_TASK_DEFINITION: BUILDER_FAMILY,
      BERTH_POD_FAMILY_PREFIX: POD_FAMILY_PREFIX,
      BERTH_POD_ROLE_BOUNDARY_ARN: this.projectRoles.boundary.managedPolicyArn,
      BERTH_BUILD_SCOPE_ROLE_ARN: this.buildScope.role.roleArn,
      BERTH_POD_LOG_GROUP: this.podLogGroup.logGroupName,
      BERTH_VPC_ID: this.vpc.vpcId,
      BERTH_POD_SUBNETS: this.vpc.privateSubnets.map((s) => s.subnetId).join(','),
      BERTH_ROUTERS_SECURITY_GROUP: this.podNetworking.routerPeers.securityGroupId,
      BERTH_POD_TASK_ROLE_ARN: this.podTaskRole.roleArn,
      // Pods' task definitions name it for their claims' access points (made by the claims function).
      BERTH_CLAIMS_FILE_SYSTEM_ID: this.claims.fileSystem.fileSystemId,
      // Services' proxies (shared/aws/ecs-service-proxies.ts): one task per Service.
      BERTH_SERVICE_PROXY_IMAGE: this.registry.serviceProxyImage,
    };
  }

  /**
   * Lets the API read pods' logs and open sessions into pods (exec, rsh through ECS Exec;
   * port-forward through Session Manager), in this cluster only: list and describe its tasks,
   * ExecuteCommand on its tasks that carry Berth's tag (and the cluster, which ECS Exec also
   * authorises), StartSession only with the port-forwarding document on its tasks, and
   * GetLogEvents on the pods' log streams. Returns the variables the API reads.
   */
  grantPodStreams(grantee: IGrantable): Record<string, string> {
    const inCluster = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    const add = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) =>
      Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
    const tasks = this.cluster.arnForTasks('*');
    add(['ecs:ListTasks'], ['*'], inCluster);
    add(['ecs:DescribeTasks'], [tasks], inCluster);
    add(['ecs:ExecuteCommand'], [this.cluster.clusterArn]);
    add(['ecs:ExecuteCommand'], [tasks], { ...inCluster, StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } });
    // An AWS-owned document: its ARN is written with an empty account or the caller's; `*` takes both.
    add(['ssm:StartSession'], [this.formatArn({ service: 'ssm', account: '*', resource: 'document', resourceName: PORT_FORWARDING_DOCUMENT })]);
    add(['ssm:StartSession'], [tasks], { BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } });
    add(['logs:GetLogEvents'], [this.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${this.podLogGroup.logGroupName}:log-stream:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })]);
    return { BERTH_CLUSTER: this.cluster.clusterName, BERTH_POD_LOG_GROUP: this.podLogGroup.logGroupName };
  }

  /**
   * Lets the API run imports (`berth import-image`): RunTask of the import family only, in this
   * cluster, tagged as Berth's on creation; DescribeTasks of this cluster's tasks; pass only the
   * import task's roles. Returns the variables the API reads.
   */
  grantImports(grantee: IGrantable): Record<string, string> {
    const inCluster = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    const add = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) =>
      Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
    add(['ecs:RunTask'], [this.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${IMPORT_FAMILY}:*` })], inCluster);
    add(['ecs:TagResource'], [this.cluster.arnForTasks('*')], { StringEquals: { 'ecs:CreateAction': 'RunTask' } });
    add(['ecs:DescribeTasks'], [this.cluster.arnForTasks('*')], inCluster);
    add(['iam:PassRole'], [this.importer.taskDefinition.taskRole.roleArn, this.importer.taskDefinition.obtainExecutionRole().roleArn], {
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    return {
      BERTH_CLUSTER: this.cluster.clusterName,
      BERTH_BUILD_CAPACITY_PROVIDER: this.buildHosts.capacityProvider.capacityProviderName,
      BERTH_IMPORT_TASK_DEFINITION: IMPORT_FAMILY,
    };
  }

  /**
   * Lets the fleet autoscaler scale, protect and retire tenant hosts, in their group only, and
   * returns the variable naming the group. DescribeAutoScalingGroups has no resource-level
   * permission (Service Authorization Reference, Amazon EC2 Auto Scaling); the three changes
   * name the group's ARN. Build hosts are ECS managed scaling's, not the autoscaler's.
   */
  grantAutoscaling(grantee: IGrantable): Record<string, string> {
    const group = this.tenantHosts.autoScalingGroup;
    Grant.addToPrincipal({ grantee, actions: ['autoscaling:DescribeAutoScalingGroups'], resourceArns: ['*'] });
    Grant.addToPrincipal({
      grantee,
      actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:SetInstanceProtection', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      resourceArns: [group.autoScalingGroupArn],
    });
    return { BERTH_TENANT_HOSTS_GROUP: group.autoScalingGroupName };
  }

  /**
   * Lets a reconciler run builds and place pods in this cluster, and nothing else in ECS:
   * RunTask only the builder family, StartTask only pod families, both only in this cluster
   * (Services' proxies are run under the service-discovery policy, constructs/service-discovery.ts);
   * stop, describe and list only this cluster's tasks and hosts; pass only the builder's roles
   * and the projects' execution roles.
   */
  grantControl(grantee: IGrantable): void {
    const arn = (resource: string, resourceName: string) => this.formatArn({ service: 'ecs', resource, resourceName });
    const inCluster = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    const add = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) =>
      Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });

    add(['ecs:RunTask'], [arn('task-definition', `${BUILDER_FAMILY}:*`)], inCluster);
    this.buildScope.grantAssume(grantee);
    add(['ecs:StartTask'], [arn('task-definition', `${POD_FAMILY_PREFIX}*:*`)], inCluster);
    add(['ecs:StopTask', 'ecs:DescribeTasks'], [this.cluster.arnForTasks('*')], inCluster);
    add(['ecs:TagResource'], [this.cluster.arnForTasks('*')], { StringEquals: { 'ecs:CreateAction': ['RunTask', 'StartTask'] } });
    // Pod task definitions are registered with Berth's tags (the content hash finds them again).
    add(['ecs:TagResource'], [arn('task-definition', `${POD_FAMILY_PREFIX}*:*`)], { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
    add(['ecs:ListContainerInstances'], [this.cluster.clusterArn]);
    add(['ecs:DescribeContainerInstances'], [arn('container-instance', `${this.cluster.clusterName}/*`)], inCluster);
    // ListTasks is authorised against the container instance only when the call names one; a
    // pod's tasks are listed by startedBy alone, which ECS authorises against "*". The
    // ecs:cluster condition holds both to this cluster (Service Authorization Reference, ECS).
    add(['ecs:ListTasks'], ['*'], inCluster);
    // Registering pod task definitions: ECS offers no resource-level permission for these.
    add(['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition'], ['*']);
    // Project networks: one security group per project, made at run time, tagged as Berth's on
    // creation (and only then), changed and removed only while it carries those tags, in this VPC.
    const group = this.formatArn({ service: 'ec2', resource: 'security-group', resourceName: '*' });
    const vpcArn = this.formatArn({ service: 'ec2', resource: 'vpc', resourceName: this.vpc.vpcId });
    add(['ec2:CreateSecurityGroup'], [vpcArn]);
    add(['ec2:CreateSecurityGroup'], [group], {
      StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true', [`aws:RequestTag/${NETWORK_TAG}`]: 'project' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_TAG, PROJECT_TAG, NETWORK_TAG] },
    });
    add(['ec2:CreateTags'], [group], { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } });
    add(['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'], [group], {
      StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true', [`aws:ResourceTag/${NETWORK_TAG}`]: 'project', 'ec2:Vpc': vpcArn },
    });
    // EC2 offers no resource-level permission for Describe* calls.
    add(['ec2:DescribeSecurityGroups'], ['*']);
    // Pods' Secret values for ECS to fetch: written only under berth/, tagged as Berth's when made.
    add(['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'], [this.podSecretsArn]);
    // …and deleted with their project (the project finalizer): only Berth's, found by ListSecrets,
    // which has no resource-level permission.
    add(['secretsmanager:DeleteSecret'], [this.podSecretsArn], { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } });
    add(['secretsmanager:ListSecrets'], ['*']);
    add(['iam:PassRole'], [this.builder.taskDefinition.taskRole.roleArn, this.builder.taskDefinition.obtainExecutionRole().roleArn], {
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    this.projectRoles.grantPass(grantee);
    add(['iam:PassRole'], [this.podTaskRole.roleArn], { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  }
}
