// Every AWS request Berth's adapters send, evaluated against the synthesised IAM policies of the
// component that sends it. The adapters run through representative operations against AWS SDK
// clients mocked with aws-sdk-client-mock (answers in the documented shapes); each captured
// command becomes the IAM requests AWS authorises for it (action, resource ARN, condition keys,
// per the Service Authorization Reference), and @cloud-copilot/iam-simulate, with AWS's policy
// evaluation logic, decides each under the policies synthesised once from the CDK app.
// Components: the resync function (the ECS fleet pass, project security groups, and the
// reconcilers), the stream function (the reconcilers: builder tasks, build credentials, tenant
// repositories, project roles, uploaded sources, the routers' feed), the API function (source
// uploads), a build (the build scope role with its session tags), a router host, and a pod (its
// project's execution role under the boundary: the pulls and log writes the ECS agent makes for
// the task definitions the fleet pass registered). Then the cross-tenant cases, which must be
// denied: one project's build or pod touching another project's repository, a router host
// writing the table, a build reading another build's or project's secrets.
// AWS documentation: Service Authorization Reference, "Actions, resources, and condition keys"
// for Amazon ECS (ListTasks by startedBy alone is authorised against "*"; StartTask and RunTask:
// task-definition, ecs:cluster; tags given on create are authorised as ecs:TagResource with
// ecs:CreateAction), Amazon ECR (repository resources; GetAuthorizationToken: "*"), Amazon EC2
// (CreateSecurityGroup: vpc and security-group; tags on create: ec2:CreateTags with
// ec2:CreateAction; Describe*: "*"), IAM (CreateRole with tags also needs iam:TagRole;
// iam:PermissionsBoundary; iam:PassedToService), AWS STS (AssumeRole with tags: sts:TagSession),
// Amazon S3 (object ARNs), Amazon DynamoDB (dynamodb:LeadingKeys), CloudWatch Logs (log-stream),
// AWS Secrets Manager (secret; tags on create: secretsmanager:TagResource), AWS KMS (key;
// kms:EncryptionContext:<key>); DynamoDB Developer Guide, "Using IAM with DynamoDB transactions"
// (TransactWriteItems is authorised as each item's PutItem, UpdateItem, DeleteItem, ConditionCheckItem).
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetItemCommand, BatchWriteItemCommand, DeleteItemCommand, ScanCommand, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand, UpdateItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListTagsForResourceCommand,
  PutLifecyclePolicyCommand,
  RepositoryAlreadyExistsException,
} from '@aws-sdk/client-ecr';
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  ExecuteCommandCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, EntityAlreadyExistsException, GetRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand, ListSecretsCommand, PutSecretValueCommand, ResourceExistsException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { KmsSecretBox } from '../../shared/secrets/kms.ts';
import { DynamoObjectStore, encode, keyItem } from '../../shared/store/dynamo.ts';
import { HostReservations } from '../../shared/scheduler/reservations.ts';
import { ensureLookups } from '../../shared/store/lookups-migration.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { bootstrapAdminFromSecret } from '../../functions/admin-bootstrap.ts';
import type { Identity } from '../../shared/auth/identity.ts';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CodeartifactClient, GetAuthorizationTokenCommand as GetPackageIndexTokenCommand, GetRepositoryEndpointCommand } from '@aws-sdk/client-codeartifact';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { CloudMapDiscovery } from '../../shared/aws/cloud-map.ts';
import { FakeCloudMap } from './cloud-map-fake.ts';
import { EcrPushCredentials, ECR_PUSH_ACTIONS } from '../../shared/aws/ecr-push-credentials.ts';
import { EcsImageImports, IMPORT_FAMILY } from '../../shared/aws/ecs-image-imports.ts';
import { cloudWatchLogPages, cloudWatchLogReader } from '../../shared/aws/cloudwatch-pod-logs.ts';
import { EcsExecBroker, PORT_FORWARDING_DOCUMENT } from '../../shared/aws/ecs-exec.ts';
import { SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import { CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand, EFSClient, type AccessPointDescription } from '@aws-sdk/client-efs';
import { EfsClaims } from '../../shared/aws/efs-claims.ts';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { ec2SecurityGroups } from '../../shared/aws/ec2-security-groups.ts';
import { CodeArtifactEgress } from '../../shared/aws/codeartifact-egress.ts';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { FakeEcr, digest } from './ecr-fake.ts';
import { discoverEcsHosts, hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import { EcsBuildLauncher } from '../../shared/aws/ecs-launcher.ts';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import { EcsServiceProxies } from '../../shared/aws/ecs-service-proxies.ts';
import { PROXY_RESERVATION, proxyContentHash, proxyFamily, proxyRoomKey, proxyTags, proxyTaskDefinitionInput, proxyToken } from '../../shared/aws/service-proxy-task.ts';
import { dropWanted, WANTED_KIND, wantedRoom } from '../../shared/scheduler/wanted-room.ts';
import { EcsPodSecrets } from '../../shared/aws/ecs-pod-secrets.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import { IamProjectRoles } from '../../shared/aws/iam-project-roles.ts';
import { claimMountPolicy, EXEC_CHANNEL_ACTIONS, PROJECT_ROLE_PATH, projectRoleArn, projectRolePolicy } from '../../shared/aws/project-roles.ts';
import { scopedBuildCredentials } from '../../shared/aws/build-credentials.ts';
import { ProjectSecurityGroups } from '../../shared/aws/project-security-groups.ts';
import { S3SourceArchives } from '../../shared/aws/s3-sources.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';
import { RouterFeedTable } from '../../shared/routing/feed.ts';
import {
  ADMIN_SECRET, ROUTER_CERT, SECRETS_KEY, PUSH_ROLE, IMPORT_TASK_ROLE, IMPORT_EXECUTION_ROLE, accessPoint, CLAIMS_DATA_AP, CLAIMS_FS, CLAIMS_FS_ARN, ACCOUNT, BOUNDARY, BUCKET, POD_TASK_ROLE, BUILD_SCOPE_ROLE, BUILDER_EXECUTION_ROLE, BUILDER_TASK_ROLE, CLUSTER, CLUSTER_ARN, deployed, POD_LOG_GROUP, REGION, REGISTRY, repo, role, TABLE, VPC_ID,
} from '../infra/deployed.ts';
import { decide, identityPolicy, type PolicyDocument } from '../infra/iam.ts';
import { statements, synthBerth, type Statement } from '../infra/synth.ts';

const INSTANCE = `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${CLUSTER}/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c`;
const TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
const TD = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-pod-demo_web:7`;
const GROUP_ID = 'sg-0123456789abcdef0';
const ROUTERS_GROUP = 'sg-0fedcba9876543210';

interface Sent {
  name: string;
  input: Record<string, unknown>;
}

interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

const mocks = {
  ecs: mockClient(ECSClient), ecr: mockClient(ECRClient), ec2: mockClient(EC2Client), iam: mockClient(IAMClient),
  sts: mockClient(STSClient), s3: mockClient(S3Client), dynamodb: mockClient(DynamoDBClient), sm: mockClient(SecretsManagerClient),
  codeartifact: mockClient(CodeartifactClient), logs: mockClient(CloudWatchLogsClient), efs: mockClient(EFSClient), ssm: mockClient(SSMClient),
  kms: mockClient(KMSClient),
};

/** Runs `act` with every client reset, and returns the commands the adapters sent, in order of client. */
async function capture(act: () => Promise<unknown>): Promise<Sent[]> {
  for (const m of Object.values(mocks)) m.resetHistory();
  await act();
  return Object.values(mocks).flatMap((m) => m.calls().map((c) => {
    const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
    return { name: command.constructor.name, input: command.input };
  }));
}

/** A Secrets Manager secret by name, with the random suffix AWS adds to its ARN. */
const smSecret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
const cloudMapArn = (kind: string, id: string) => `arn:aws:servicediscovery:${REGION}:${ACCOUNT}:${kind}/${id}`;
const berthTagged = { 'aws:ResourceTag/berth:managed': 'true' };
const ecrRepo = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
const projectRole = (name: string) => `arn:aws:iam::${ACCOUNT}:role${PROJECT_ROLE_PATH}${name}`;
const inCluster = { 'ecs:cluster': CLUSTER_ARN };
const tagContext = (tags: { Key?: string; Value?: string }[] = []) => ({
  ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value ?? ''])),
  'aws:TagKeys': tags.map((t) => t.Key ?? ''),
});
/** A resource's own tags as IAM sees them (aws:ResourceTag/…). */
const resourceTagContext = (tags: { key?: string; value?: string }[] = []) => Object.fromEntries(tags.map((t) => [`aws:ResourceTag/${t.key}`, t.value ?? '']));
const ecsTagContext = (tags: { key?: string; value?: string }[] = []) => tagContext(tags.map((t) => ({ Key: t.key, Value: t.value })));
/** The partition key a DynamoDB request names (its dynamodb:LeadingKeys). */
function leadingKey(input: Record<string, unknown>): string {
  const key = (input.Key ?? input.Item) as Record<string, { S: string }> | undefined;
  if (key) return key.pk!.S;
  const placeholder = /pk\s*=\s*(:\w+)/.exec(String(input.KeyConditionExpression))![1]!;
  return (input.ExpressionAttributeValues as Record<string, { S: string }>)[placeholder]!.S;
}

/** What IAM authorises for one captured command (Service Authorization Reference). */
function iamRequestsOf({ name, input }: Sent): IamRequest[] {
  const s = (k: string) => input[k] as string;
  switch (name) {
    // ECS
    case 'ListTasksCommand':
      return [{ action: 'ecs:ListTasks', resource: (input.containerInstance as string | undefined) ?? '*', context: inCluster }];
    case 'DescribeTasksCommand':
      return (input.tasks as string[]).map((t) => ({ action: 'ecs:DescribeTasks', resource: t, context: inCluster }));
    case 'StopTaskCommand':
      return [{ action: 'ecs:StopTask', resource: s('task'), context: inCluster }];
    case 'StartTaskCommand':
      return [
        { action: 'ecs:StartTask', resource: s('taskDefinition'), context: { ...inCluster, 'ecs:container-instances': input.containerInstances as string[] } },
        { action: 'ecs:TagResource', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/new`, context: { 'ecs:CreateAction': 'StartTask', ...ecsTagContext(input.tags as []) } },
      ];
    case 'RunTaskCommand': {
      // A Service's proxy names its registered task definition's ARN, run with its project's role; a build names the builder's family, an import the import family.
      const proxyOf = (input.tags as { key: string; value: string }[] | undefined)?.find((t) => t.key === 'berth:service') ? (input.tags as { key: string; value: string }[]).find((t) => t.key === 'berth:project')!.value : undefined;
      const isImport = (input.tags as { key: string }[] | undefined)?.some((t) => t.key === 'berth:import');
      return [
        { action: 'ecs:RunTask', resource: s('taskDefinition').startsWith('arn:') ? s('taskDefinition') : `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${s('taskDefinition')}:1`, context: inCluster },
        { action: 'ecs:TagResource', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/new`, context: { 'ecs:CreateAction': 'RunTask', ...ecsTagContext(input.tags as []) } },
        // The task definition's roles are passed to ECS as the task runs.
        ...(proxyOf ? [projectRoleArn(BOUNDARY, proxyOf)] : isImport ? [IMPORT_TASK_ROLE, IMPORT_EXECUTION_ROLE] : [BUILDER_TASK_ROLE, BUILDER_EXECUTION_ROLE]).map((r) => ({ action: 'iam:PassRole', resource: r, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } })),
      ];
    }
    case 'RegisterTaskDefinitionCommand':
      return [
        { action: 'ecs:RegisterTaskDefinition', resource: '*' },
        { action: 'ecs:TagResource', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${s('family')}:1`, context: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
        ...(input.executionRoleArn ? [{ action: 'iam:PassRole', resource: s('executionRoleArn'), context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }] : []),
        ...(input.taskRoleArn ? [{ action: 'iam:PassRole', resource: s('taskRoleArn'), context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }] : []),
      ];
    // ECS Exec authorises ExecuteCommand on the cluster and on the task, with the task's tags
    // (ECS Developer Guide, "Monitor Amazon ECS containers with ECS Exec": IAM for ECS Exec).
    case 'ExecuteCommandCommand': {
      const cluster = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${s('cluster')}`;
      return [
        { action: 'ecs:ExecuteCommand', resource: cluster, context: { 'ecs:cluster': cluster } },
        { action: 'ecs:ExecuteCommand', resource: s('task'), context: { 'ecs:cluster': cluster, 'ecs:container-name': s('container'), ...resourceTagContext(task.tags) } },
      ];
    }
    // Session Manager: the document and the target (an ECS task's ARN for `ecs:<cluster>_<task>_<runtime>`).
    case 'StartSessionCommand': {
      const [, cluster, taskId] = /^ecs:(.+)_([0-9a-f]+)_[^_]+$/.exec(s('Target'))!;
      return [
        // (the policy simulator takes an AWS-owned document's ARN with an account only)
        { action: 'ssm:StartSession', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:document/${s('DocumentName')}` },
        { action: 'ssm:StartSession', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${taskId}`, context: { 'ssm:SessionDocumentAccessCheck': 'true' } },
      ];
    }
    // CloudWatch Logs: GetLogEvents on the log stream.
    case 'GetLogEventsCommand':
      return [{ action: 'logs:GetLogEvents', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${s('logGroupName')}:log-stream:${s('logStreamName')}` }];
    case 'DescribeTaskDefinitionCommand':
      return [{ action: 'ecs:DescribeTaskDefinition', resource: '*' }];
    case 'ListContainerInstancesCommand':
      return [{ action: 'ecs:ListContainerInstances', resource: CLUSTER_ARN }];
    case 'DescribeContainerInstancesCommand':
      return (input.containerInstances as string[]).map((ci) => ({ action: 'ecs:DescribeContainerInstances', resource: ci, context: inCluster }));
    // ECR
    case 'CreateRepositoryCommand':
      return [
        { action: 'ecr:CreateRepository', resource: ecrRepo(s('repositoryName')), context: tagContext(input.tags as []) },
        { action: 'ecr:TagResource', resource: ecrRepo(s('repositoryName')), context: tagContext(input.tags as []) },
      ];
    case 'PutLifecyclePolicyCommand':
      return [{ action: 'ecr:PutLifecyclePolicy', resource: ecrRepo(s('repositoryName')) }];
    case 'DescribeRepositoriesCommand':
      // Without names it lists the registry, which ECR authorises against "*" (its AccessDenied
      // names "ecr:DescribeRepositories on resource: *").
      if (!input.repositoryNames) return [{ action: 'ecr:DescribeRepositories', resource: '*' }];
      return (input.repositoryNames as string[]).map((r) => ({ action: 'ecr:DescribeRepositories', resource: ecrRepo(r) }));
    case 'DescribeImagesCommand':
      return [{ action: 'ecr:DescribeImages', resource: ecrRepo(s('repositoryName')) }];
    case 'BatchGetImageCommand':
      return [{ action: 'ecr:BatchGetImage', resource: ecrRepo(s('repositoryName')) }];
    case 'GetDownloadUrlForLayerCommand':
      return [{ action: 'ecr:GetDownloadUrlForLayer', resource: ecrRepo(s('repositoryName')) }];
    case 'ListTagsForResourceCommand':
      // ECR's and Cloud Map's commands share the name; Cloud Map's names a ResourceARN (and has no resource type for it).
      if (input.ResourceARN) return [{ action: 'servicediscovery:ListTagsForResource', resource: '*' }];
      return [{ action: 'ecr:ListTagsForResource', resource: s('resourceArn') }];
    case 'DeleteRepositoryCommand':
      return [{ action: 'ecr:DeleteRepository', resource: ecrRepo(s('repositoryName')) }];
    // ECR's and CodeArtifact's commands share the name; CodeArtifact's names a domain. Its token
    // also takes sts:GetServiceBearerToken for codeartifact.amazonaws.com (CodeArtifact User
    // Guide, "Using service-linked roles" / "Authentication and tokens").
    case 'GetAuthorizationTokenCommand':
      if (input.domain) {
        return [
          { action: 'codeartifact:GetAuthorizationToken', resource: `arn:aws:codeartifact:${REGION}:${s('domainOwner')}:domain/${s('domain')}` },
          { action: 'sts:GetServiceBearerToken', resource: '*', context: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
        ];
      }
      return [{ action: 'ecr:GetAuthorizationToken', resource: '*' }];
    // CodeArtifact
    case 'GetRepositoryEndpointCommand':
      return [{ action: 'codeartifact:GetRepositoryEndpoint', resource: `arn:aws:codeartifact:${REGION}:${s('domainOwner')}:repository/${s('domain')}/${s('repository')}` }];
    // EC2
    case 'DescribeSecurityGroupsCommand':
      return [{ action: 'ec2:DescribeSecurityGroups', resource: '*' }];
    case 'CreateSecurityGroupCommand': {
      const tags = (input.TagSpecifications as { Tags: [] }[])[0]!.Tags;
      return [
        { action: 'ec2:CreateSecurityGroup', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${s('VpcId')}` },
        { action: 'ec2:CreateSecurityGroup', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*`, context: tagContext(tags) },
        { action: 'ec2:CreateTags', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*`, context: { 'ec2:CreateAction': 'CreateSecurityGroup', ...tagContext(tags) } },
      ];
    }
    case 'AuthorizeSecurityGroupIngressCommand':
    case 'DeleteSecurityGroupCommand':
      return [{
        action: name === 'DeleteSecurityGroupCommand' ? 'ec2:DeleteSecurityGroup' : 'ec2:AuthorizeSecurityGroupIngress',
        resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${s('GroupId')}`,
        // The group's own tags and VPC, as EC2 made it (CreateSecurityGroup above).
        context: { 'aws:ResourceTag/berth:managed': 'true', 'aws:ResourceTag/berth:network': 'project', 'ec2:Vpc': `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${VPC_ID}` },
      }];
    // IAM: project roles live under /berth/projects/ with the boundary (requests on an existing role carry its boundary).
    case 'CreateRoleCommand':
      return [
        { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role${s('Path')}${s('RoleName')}`, context: { 'iam:PermissionsBoundary': s('PermissionsBoundary'), ...tagContext(input.Tags as []) } },
        { action: 'iam:TagRole', resource: `arn:aws:iam::${ACCOUNT}:role${s('Path')}${s('RoleName')}`, context: tagContext(input.Tags as []) },
      ];
    case 'GetRoleCommand':
    case 'PutRolePolicyCommand':
    case 'DeleteRolePolicyCommand':
    case 'DeleteRoleCommand':
      return [{ action: `iam:${name.replace(/Command$/, '')}`, resource: projectRole(s('RoleName')), context: { 'iam:PermissionsBoundary': BOUNDARY } }];
    // EFS: an access point's tags on create are authorised as TagResource with
    // elasticfilesystem:CreateAction; the file system and Berth's access points carry berth:managed.
    case 'CreateAccessPointCommand':
      return [
        { action: 'elasticfilesystem:CreateAccessPoint', resource: `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${s('FileSystemId')}`, context: tagContext(input.Tags as []) },
        { action: 'elasticfilesystem:TagResource', resource: accessPoint('fsap-0000000000000new0'), context: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint', ...tagContext(input.Tags as []) } },
      ];
    case 'DescribeAccessPointsCommand':
      return [{
        action: 'elasticfilesystem:DescribeAccessPoints',
        resource: input.FileSystemId ? `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${s('FileSystemId')}` : accessPoint(s('AccessPointId')),
        context: { 'aws:ResourceTag/berth:managed': 'true' },
      }];
    case 'DeleteAccessPointCommand':
      return [{ action: 'elasticfilesystem:DeleteAccessPoint', resource: accessPoint(s('AccessPointId')), context: { 'aws:ResourceTag/berth:managed': 'true' } }];
    // STS
    case 'AssumeRoleCommand':
      return [
        { action: 'sts:AssumeRole', resource: s('RoleArn') },
        ...(input.Tags ? [{ action: 'sts:TagSession', resource: s('RoleArn'), context: tagContext(input.Tags as []) }] : []),
      ];
    // Secrets Manager: ListSecrets has no resource-level permission; DeleteSecret is authorised on the secret, with its tags.
    case 'ListSecretsCommand':
      return [{ action: 'secretsmanager:ListSecrets', resource: '*' }];
    case 'DeleteSecretCommand':
      return [{ action: 'secretsmanager:DeleteSecret', resource: s('SecretId'), context: { 'aws:ResourceTag/berth:managed': 'true', 'aws:ResourceTag/berth:project': s('SecretId').split(':secret:berth/')[1]!.split('/')[0]! } }];
    case 'CreateSecretCommand':
      return [
        { action: 'secretsmanager:CreateSecret', resource: smSecret(s('Name')), context: tagContext(input.Tags as []) },
        { action: 'secretsmanager:TagResource', resource: smSecret(s('Name')), context: tagContext(input.Tags as []) },
      ];
    case 'PutSecretValueCommand':
    case 'GetSecretValueCommand':
      return [{ action: `secretsmanager:${name.replace(/Command$/, '')}`, resource: s('SecretId').startsWith('arn:') ? s('SecretId') : smSecret(s('SecretId')) }];
    // KMS: the key. The request's encryption context (kms:EncryptionContext:<key>) is decided by
    // underContext: the simulator does not evaluate those keys.
    case 'GenerateDataKeyCommand':
    case 'DecryptCommand':
      return [{ action: `kms:${name.replace(/Command$/, '')}`, resource: s('KeyId') }];
    // S3
    case 'PutObjectCommand':
    case 'GetObjectCommand':
    case 'DeleteObjectCommand':
      return [{ action: `s3:${name.replace(/Command$/, '')}`, resource: `arn:aws:s3:::${s('Bucket')}/${s('Key')}` }];
    // DynamoDB
    case 'GetItemCommand':
    case 'PutItemCommand':
    case 'UpdateItemCommand':
    case 'QueryCommand':
      if (input.IndexName) {
        const key = /(\w+)\s*=\s*(:\w+)/.exec(String(input.KeyConditionExpression))!;
        return [{ action: 'dynamodb:Query', resource: `${TABLE}/index/${s('IndexName')}`, context: { 'dynamodb:LeadingKeys': [(input.ExpressionAttributeValues as Record<string, { S: string }>)[key[2]!]!.S] } }];
      }
      return [{ action: `dynamodb:${name.replace(/Command$/, '')}`, resource: TABLE, context: { 'dynamodb:LeadingKeys': [leadingKey(input)] } }];
    case 'DeleteItemCommand':
      return [{ action: 'dynamodb:DeleteItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': [leadingKey(input)] } }];
    case 'ScanCommand':
      return [{ action: 'dynamodb:Scan', resource: TABLE }];
    case 'BatchWriteItemCommand':
      return Object.values(input.RequestItems as Record<string, { PutRequest?: { Item: Record<string, { S: string }> }; DeleteRequest?: { Key: Record<string, { S: string }> } }[]>).flatMap((requests) =>
        requests.map((r) => ({ action: 'dynamodb:BatchWriteItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': [(r.PutRequest?.Item ?? r.DeleteRequest!.Key).pk!.S] } })));
    case 'BatchGetItemCommand':
      return Object.values(input.RequestItems as Record<string, { Keys: Record<string, { S: string }>[] }>).flatMap(({ Keys }) =>
        Keys.map((k) => ({ action: 'dynamodb:BatchGetItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': [k.pk!.S] } })));
    case 'TransactWriteItemsCommand':
      return (input.TransactItems as Record<string, { Key?: Record<string, { S: string }>; Item?: Record<string, { S: string }> }>[]).map((item) => {
        const [op, body] = Object.entries(item)[0]!;
        const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[op]!;
        return { action: `dynamodb:${action}`, resource: TABLE, context: { 'dynamodb:LeadingKeys': [(body.Key ?? body.Item)!.pk!.S] } };
      });
    // Cloud Map (Service Authorization Reference, AWS Cloud Map; its Developer Guide's "API
    // permissions reference" for what it does in Route 53 and EC2 for the caller): namespaces and
    // services are named by id, and carry Berth's tags as the fake made them.
    case 'CreatePrivateDnsNamespaceCommand':
      return [
        { action: 'servicediscovery:CreatePrivateDnsNamespace', resource: '*', context: tagContext(input.Tags as []) },
        ...['route53:CreateHostedZone', 'route53:ListHostedZonesByName', 'ec2:DescribeVpcs', 'ec2:DescribeRegions'].map((action) => ({ action, resource: '*', context: { 'aws:ViaAWSService': 'true' } })),
        { action: 'route53:GetHostedZone', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ', context: { 'aws:ViaAWSService': 'true' } },
      ];
    case 'GetOperationCommand':
    case 'ListNamespacesCommand':
    case 'ListServicesCommand':
      return [{ action: `servicediscovery:${name.replace(/Command$/, '')}`, resource: '*' }];
    case 'CreateServiceCommand':
      return [
        { action: 'servicediscovery:CreateService', resource: cloudMapArn('namespace', s('NamespaceId')), context: berthTagged },
        { action: 'servicediscovery:CreateService', resource: cloudMapArn('service', 'srv-new'), context: tagContext(input.Tags as []) },
      ];
    case 'RegisterInstanceCommand':
    case 'DeregisterInstanceCommand':
    case 'ListInstancesCommand':
      return [
        { action: `servicediscovery:${name.replace(/Command$/, '')}`, resource: cloudMapArn('service', s('ServiceId')), context: berthTagged },
        ...(name === 'ListInstancesCommand' ? [] : [{ action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ', context: { 'aws:ViaAWSService': 'true', 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['db.shop.svc'] } }]),
      ];
    case 'DeleteServiceCommand':
      return [{ action: 'servicediscovery:DeleteService', resource: cloudMapArn('service', s('Id')), context: berthTagged }];
    case 'DeleteNamespaceCommand':
      return [
        { action: 'servicediscovery:DeleteNamespace', resource: cloudMapArn('namespace', s('Id')), context: berthTagged },
        { action: 'route53:DeleteHostedZone', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ', context: { 'aws:ViaAWSService': 'true' } },
      ];
    default:
      throw new Error(`no IAM mapping for ${name}`);
  }
}

// ---- the components' policies, from one synthesis ----

interface Principal {
  name: string;
  arn: string;
  policy: PolicyDocument;
  boundary?: PolicyDocument;
  context?: Record<string, string>;
}

let all: Statement[];
const policyOf = (stack: Statement['stack'], holder: RegExp) => {
  // Identity policies only: a role's trust policy has a Principal.
  const found = all.filter((s) => s.stack === stack && holder.test(s.holder) && !('Principal' in s.raw));
  expect(found.length, `${stack}/${holder}`).toBeGreaterThan(0);
  return identityPolicy(found, deployed.value, deployed.deep);
};
let resync: Principal;
let stream: Principal;
let api: Principal;
let router: Principal;
let claims: Principal;
let pushRole: PolicyDocument;
/**
 * A push login's session: the push role's policy narrowed by the session policy the API sent
 * (IAM evaluates a session policy as it does a boundary: only what both allow is allowed).
 */
const pushSession = (sessionPolicy: PolicyDocument): Principal => ({
  name: 'push login', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-ControlPlane-RegistryPushRole/berth-push-alice`, policy: pushRole, boundary: sessionPolicy,
});
let boundary: PolicyDocument;
const build = (project: string, name: string): Principal => ({
  name: `build ${project}/${name}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-Fleet-BuildScopeRole/build-${project}-${name}`,
  policy: buildScope,
  context: { 'aws:PrincipalTag/berth-project': project, 'aws:PrincipalTag/berth-build': name },
});
let buildScope: PolicyDocument;
let podTask: Principal;
const podOf = (project: string): Principal => ({
  name: `pod of ${project}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/berth-${project}/0a1b2c3d4e5f60718293a4b5c6d7e8f9`,
  policy: projectRolePolicy(project, { boundaryArn: BOUNDARY, region: REGION, repositoryPrefix: 'berth', logGroup: POD_LOG_GROUP }),
  boundary,
  context: { 'aws:PrincipalTag/berth:project': project, 'aws:PrincipalTag/berth:managed': 'true' },
});

beforeAll(() => {
  all = statements(synthBerth().templates);
  // The reconciler functions also hold the Cloud Map policy (infra/constructs/service-discovery.ts).
  resync = { name: 'resync function', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ResyncFunctionRole/berth-resync`, policy: policyOf('controlPlane', /^(ResyncFunctionRoleDefaultPolicy|ServiceDiscoveryPolicy)/) };
  stream = { name: 'stream function', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/StreamFunctionRole/berth-stream`, policy: policyOf('controlPlane', /^(StreamFunctionRoleDefaultPolicy|ServiceDiscoveryPolicy)/) };
  api = { name: 'API function', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ApiFunctionRole/berth-api`, policy: policyOf('controlPlane', /^ApiFunctionRoleDefaultPolicy/) };
  claims = { name: 'claims function', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ClaimsFunctionRole/berth-claims`, policy: policyOf('controlPlane', /^ClaimsFunctionRoleDefaultPolicy/) };
  router = { name: 'router host', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-Router-InstanceRole/i-0123456789abcdef0`, policy: policyOf('router', /^InstanceRole/) };
  buildScope = policyOf('fleet', /^BuildScopeRoleDefaultPolicy/);
  podTask = { name: 'a pod (its task role)', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-Fleet-PodTaskRole/${TASK.split('/').pop()}`, policy: policyOf('fleet', /^PodTaskRoleDefaultPolicy/) };
  boundary = identityPolicy(all.filter((s) => s.holder.startsWith('ProjectRolesBoundary')), deployed.value, deployed.deep);
  pushRole = policyOf('controlPlane', /^RegistryPushRoleDefaultPolicy/);
}, 120_000);

/** `verdict ← via: action on resource` for each request, as `who` sends it. */
async function decideAll(who: Principal, requests: { via: string; req: IamRequest }[]): Promise<string[]> {
  const out: string[] = [];
  for (const { via, req } of requests) {
    const verdict = await decide(who.policy, { principal: who.arn, action: req.action, resource: req.resource, accountId: ACCOUNT, context: { ...who.context, ...req.context } }, who.boundary);
    out.push(`${verdict} ← ${via}: ${req.action} on ${req.resource}`);
  }
  return out;
}
/** The verdicts of every IAM request of every captured command, as `who` sends them. */
const verdicts = (who: Principal, sent: Sent[]) => decideAll(who, sent.flatMap((c) => iamRequestsOf(c).map((req) => ({ via: c.name, req }))));
const refused = (v: string[]) => v.filter((x) => !x.startsWith('Allowed'));

// ---- the adapters, through representative operations ----

const spec = (project: string, image: string): PodSpecForHost => ({
  project, deployment: 'web', revision: 7, pod: 'web-7-x7k2p', image,
  env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 }, uid: 1_000_120_000,
});
const task: Task = {
  taskArn: TASK, containerInstanceArn: INSTANCE, startedBy: podToken('demo', 'web-7-x7k2p'), lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
  containers: [{ name: 'web', image: `${REGISTRY}/berth/demo/web@sha256:old`, networkBindings: [] }],
  tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'demo' }, { key: 'berth:deployment', value: 'web' }, { key: 'berth:revision', value: '6' }, { key: 'berth:pod', value: 'web-7-x7k2p' }],
};

function answer(): void {
  const { ecs, ecr, ec2, iam, sts, s3, dynamodb, sm } = mocks;
  // Secrets Manager API Reference: ListSecrets (SecretList with Name, ARN, Tags), DeleteSecret.
  sm.on(ListSecretsCommand).callsFake((input: { Filters: { Values: string[] }[] }) => {
    const name = `${input.Filters[0]!.Values[0]}db`;
    return { SecretList: [{ Name: name, ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`, Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: name.split('/')[1] }] }] };
  });
  sm.on(DeleteSecretCommand).resolves({});
  // ECS API Reference: ListContainerInstances, DescribeContainerInstances, ListTasks, DescribeTasks, StopTask, StartTask, RunTask, RegisterTaskDefinition.
  ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [INSTANCE] });
  ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: INSTANCE, status: 'ACTIVE', agentConnected: true, attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.3.17' }] }] });
  ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [task], failures: [] });
  ecs.on(StopTaskCommand).resolves({ task: { ...task, desiredStatus: 'STOPPED' } });
  ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
  ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD, status: 'ACTIVE' } });
  ecs.on(StartTaskCommand).resolves({ tasks: [{ ...task, taskArn: `${TASK}0`, lastStatus: 'PENDING' }], failures: [] });
  // ECS API Reference, ExecuteCommand: session{sessionId, streamUrl, tokenValue}.
  ecs.on(ExecuteCommandCommand).resolves({ session: { sessionId: 'ecs-execute-command-0a1b', streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b`, tokenValue: 'token' }, taskArn: TASK, containerName: 'web', interactive: true });
  // CloudWatch Logs API Reference, GetLogEvents: events, nextForwardToken, nextBackwardToken.
  mocks.logs.on(GetLogEventsCommand).resolves({ events: [{ timestamp: 1, message: 'hello', ingestionTime: 2 }], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' });
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: `${TASK}1`, lastStatus: 'PROVISIONING' }], failures: [] });
  // ECR API Reference: CreateRepository, DescribeRepositories, ListTagsForResource, GetAuthorizationToken.
  ecr.on(CreateRepositoryCommand).resolves({ repository: { repositoryName: 'berth/shop/web', repositoryArn: repo('shop/web') } });
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecr.on(DescribeRepositoriesCommand).callsFake((input: { repositoryNames: string[] }) => ({ repositories: [{ repositoryName: input.repositoryNames[0], repositoryArn: ecrRepo(input.repositoryNames[0]!) }] }));
  ecr.on(ListTagsForResourceCommand).callsFake((input: { resourceArn: string }) => ({ tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: input.resourceArn.split('/')[2] }] }));
  ecr.on(DeleteRepositoryCommand).resolves({});
  ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:secret').toString('base64'), proxyEndpoint: `https://${REGISTRY}`, expiresAt: new Date(Date.now() + 12 * 3600_000) }] });
  // EC2 API Reference: DescribeSecurityGroups, CreateSecurityGroup, AuthorizeSecurityGroupIngress, DeleteSecurityGroup.
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: GROUP_ID });
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  ec2.on(DeleteSecurityGroupCommand).resolves({ Return: true, GroupId: GROUP_ID });
  // IAM API Reference: CreateRole, PutRolePolicy, GetRole, DeleteRolePolicy, DeleteRole.
  iam.on(CreateRoleCommand).resolves({});
  iam.on(PutRolePolicyCommand).resolves({});
  iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) => ({
    Role: {
      Path: PROJECT_ROLE_PATH, RoleName: input.RoleName, RoleId: 'AROA1234567890EXAMPLE', Arn: projectRole(input.RoleName), CreateDate: new Date(),
      PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: BOUNDARY },
      Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: input.RoleName.replace(/^berth-/, '') }],
    },
  }));
  iam.on(DeleteRolePolicyCommand).resolves({});
  iam.on(DeleteRoleCommand).resolves({});
  // STS API Reference: AssumeRole.
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3600_000) } });
  // S3 API Reference: PutObject, GetObject, DeleteObject.
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('tar')]) as never });
  s3.on(DeleteObjectCommand).resolves({});
  // DynamoDB API Reference: GetItem, Query, UpdateItem, PutItem.
  dynamodb.on(GetItemCommand).resolves({ Item: { pk: { S: 'F#router' }, sk: { S: 'seq' }, seq: { N: '41' } } });
  dynamodb.on(QueryCommand).resolves({ Items: [{ pk: { S: 'F#router' }, sk: { S: '000000000042' }, kind: { S: 'Route' }, project: { S: 'shop' }, name: { S: 'web' } }] });
  dynamodb.on(UpdateItemCommand).resolves({ Attributes: { seq: { N: '42' } } });
  dynamodb.on(PutItemCommand).resolves({});
}

const ecsClient = () => new ECSClient({ region: REGION });

// ---- claims on EFS ----

/** An access point of the claims file system as DescribeAccessPoints gives it (EFS API Reference, AccessPointDescription). */
const ap = (id: string, project: string, claim: string): AccessPointDescription => ({
  AccessPointId: id, AccessPointArn: accessPoint(id), FileSystemId: CLAIMS_FS, LifeCycleState: 'available', OwnerId: ACCOUNT,
  RootDirectory: { Path: `/berth/${project}/${claim}-7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7` },
  Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: project }, { Key: 'berth:claim', Value: claim }, { Key: 'Name', Value: `${project}/${claim}` }],
});
const SHOP_DB = 'fsap-0123456789abcdef0';
const VICTIM_DB = 'fsap-0fedcba987654321f';
/** The claims function's work: a claim's access point made and its project's grant written, then deleted and the grant removed. */
const claimsWork = () => capture(async () => {
  // EFS API Reference: CreateAccessPoint, DescribeAccessPoints, DeleteAccessPoint.
  mocks.efs.on(CreateAccessPointCommand).resolves(ap(SHOP_DB, 'shop', 'db'));
  mocks.efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [ap(SHOP_DB, 'shop', 'db'), ap(VICTIM_DB, 'victim', 'db')] });
  mocks.efs.on(DeleteAccessPointCommand).resolves({});
  const efsClaims = new EfsClaims({ client: new EFSClient({ region: REGION }), fileSystemId: CLAIMS_FS, fileSystemArn: CLAIMS_FS_ARN, grants: projectRoles() });
  await efsClaims.provision({ project: 'shop', name: 'db', uid: '7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7', bytes: 2 ** 30, ownerUid: 1_000_120_000 });
  mocks.efs.on(DescribeAccessPointsCommand, { AccessPointId: SHOP_DB }).resolves({ AccessPoints: [ap(SHOP_DB, 'shop', 'db')] });
  mocks.efs.on(DescribeAccessPointsCommand, { FileSystemId: CLAIMS_FS }).resolves({ AccessPoints: [ap(VICTIM_DB, 'victim', 'db')] });
  await efsClaims.remove(SHOP_DB);
});
/** A pod of `project` with claims: its role's policies (pull-and-logs, claim-mounts) under the boundary. */
const podWithClaims = (project: string, own: string[]): Principal => {
  const base = podOf(project);
  return { ...base, policy: { ...base.policy, Statement: [...base.policy.Statement, ...claimMountPolicy(CLAIMS_FS_ARN, own.map(accessPoint)).Statement] } as PolicyDocument };
};
/** What the ECS agent's EFS mount asks as the task role (EFS User Guide, "Using IAM to control file system data access"). */
const mountRequests = (apId: string | undefined): IamRequest[] => ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'].map((action) => ({
  action, resource: CLAIMS_FS_ARN, context: apId ? { 'elasticfilesystem:AccessPointArn': accessPoint(apId) } : ({} as Record<string, string>),
}));
const pods = (executionRoleOf = (project: string) => projectRoleArn(BOUNDARY, project)) =>
  new EcsPodContainers({ client: ecsClient(), cluster: CLUSTER, containerInstanceArn: INSTANCE, address: '10.0.3.17', executionRoleOf, taskRoleArn: POD_TASK_ROLE, logGroup: POD_LOG_GROUP, region: REGION, taskDefinitions: new Map() });

/** The API's pod streams: a pod's log read and followed (CloudWatch Logs), an exec and a port-forward session brokered. */
const podStreamsWork = () => capture(async () => {
  const logsClient = new CloudWatchLogsClient({ region: REGION });
  // The pod's task with its container's runtime id (ECS API Reference, DescribeTasks: containers[].runtimeId).
  mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ ...task, containers: [{ ...task.containers![0]!, runtimeId: `${TASK.split('/').pop()}-3024191652` }] }], failures: [] });
  const p = new EcsPodContainers({ client: ecsClient(), cluster: CLUSTER, containerInstanceArn: INSTANCE, region: REGION, logGroup: POD_LOG_GROUP, readLogs: cloudWatchLogReader(logsClient), readLogPage: cloudWatchLogPages(logsClient) });
  await p.logs('demo', 'web-7-x7k2p', { tail: 10 });
  await p.pollLogs('demo', 'web-7-x7k2p', {});
  // Systems Manager API Reference, StartSession: SessionId, StreamUrl, TokenValue.
  mocks.ssm.on(StartSessionCommand).resolves({ SessionId: 'berth-api-0a1b2c3d', StreamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/berth-api-0a1b2c3d`, TokenValue: 'token' });
  const broker = new EcsExecBroker({ ecs: ecsClient(), ssm: new SSMClient({ region: REGION }), cluster: CLUSTER, uidFor: async () => 1_000_120_000 });
  await broker.exec('demo', 'web-7-x7k2p', { command: ['python', 'manage.py', 'shell'], tty: true });
  await broker.portForward('demo', 'web-7-x7k2p', 5432);
});
const registry = () => new EcrRegistry({ client: new ECRClient({ region: REGION }), host: REGISTRY, prefix: 'berth' });
const sources = () => new S3SourceArchives({ client: new S3Client({ region: REGION }), bucket: BUCKET });
const feed = () => new RouterFeedTable({ client: new DynamoDBClient({ region: REGION }), tableName: 'berth' });
const projectRoles = () => new IamProjectRoles({ client: new IAMClient({ region: REGION }), boundaryArn: BOUNDARY, region: REGION, repositoryPrefix: 'berth', logGroup: POD_LOG_GROUP });
const buildRef = { kind: 'Build', project: 'shop', name: 'web-3' };

/** The fleet pass: hosts found, a pod's outdated task replaced, inspected, removed; its project's network group made and pruned. */
const fleetPass = () => capture(async () => {
  await discoverEcsHosts({ client: ecsClient(), cluster: CLUSTER });
  const p = pods();
  await p.listPods();
  await p.ensurePod(spec('demo', `${REGISTRY}/berth/demo/web@sha256:abc`));
  await p.inspectPod('demo', 'web-7-x7k2p');
  await p.removePod('demo', 'web-7-x7k2p');
  const groups = new ProjectSecurityGroups({ ec2: ec2SecurityGroups(new EC2Client({ region: REGION })), vpcId: VPC_ID, routersGroupId: ROUTERS_GROUP });
  await groups.securityGroupOf('demo');
  mocks.ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: GROUP_ID, Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:network', Value: 'project' }, { Key: 'berth:project', Value: 'demo' }] }] });
  await groups.prune(new Set());
  mocks.ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
});

/** The reconcilers: a build launched with its scoped credentials, watched and stopped; an image stream's repository deleted; a project's role made, found again and removed, and its pods' secrets; a build's upload removed; a route change written to the routers' feed. */
const reconcilerWork = () => capture(async () => {
  const launcher = new EcsBuildLauncher({
    client: ecsClient(), cluster: CLUSTER, taskDefinition: 'berth-builder', capacityProvider: 'berth-build',
    credentials: scopedBuildCredentials(new STSClient({ region: REGION }), BUILD_SCOPE_ROLE),
  });
  mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: `${TASK}1`, lastStatus: 'RUNNING', tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'shop' }, { key: 'berth:build', value: 'web-3' }] }], failures: [] });
  const agent = await launcher.launch(buildRef);
  await launcher.running(agent);
  await launcher.stop(agent);
  mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [task], failures: [] });
  await registry().deleteRepository('shop', 'web');
  const roles = projectRoles();
  await roles.ensure('shop');
  mocks.iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: 'Role with name berth-shop already exists.', $metadata: { httpStatusCode: 409 } }));
  await roles.ensure('shop');
  mocks.iam.on(CreateRoleCommand).resolves({});
  await roles.remove('shop');
  await new EcsPodSecrets({ client: new SecretsManagerClient({ region: REGION }) }).removeProject('shop');
  await sources().delete(buildRef);
  await feed().append({ kind: 'Route', project: 'shop', name: 'web' });
});

/** A build of `project`: its repository made (and found again), a registry login, its uploaded source read. */
// CodeArtifact API Reference: GetAuthorizationToken (authorizationToken, expiration), GetRepositoryEndpoint (repositoryEndpoint).
const packageIndexWork = () => capture(async () => {
  mocks.codeartifact.on(GetPackageIndexTokenCommand).resolves({ authorizationToken: 'token', expiration: new Date() });
  mocks.codeartifact.on(GetRepositoryEndpointCommand).resolves({ repositoryEndpoint: `https://berth-${ACCOUNT}.d.codeartifact.${REGION}.amazonaws.com/pypi/pypi-store/` });
  await new CodeArtifactEgress({ client: new CodeartifactClient({ region: REGION }), domain: 'berth', domainOwner: ACCOUNT, repository: 'pypi-store' }).open();
});
/** What pip's requests to the repository endpoint are authorised as (CodeArtifact User Guide, "CodeArtifact permissions reference"). */
const PIP_READ: IamRequest = { action: 'codeartifact:ReadFromRepository', resource: `arn:aws:codeartifact:${REGION}:${ACCOUNT}:repository/berth/pypi-store` };

const buildWork = (project: string) => capture(async () => {
  const r = registry();
  await r.ensureRepository(project, 'web');
  mocks.ecr.on(CreateRepositoryCommand).rejects(new RepositoryAlreadyExistsException({ message: `The repository with name 'berth/${project}/web' already exists`, $metadata: { httpStatusCode: 400 } }));
  await r.ensureRepository(project, 'web');
  mocks.ecr.on(CreateRepositoryCommand).resolves({});
  await r.auth();
  await sources().get({ kind: 'Build', project, name: 'web-3' });
});

/**
 * What the ECS agent does with a pod's execution role for each task definition the fleet pass
 * registered: log in, pull the image's repository, create and write the task's log stream
 * (ECS Developer Guide, "Amazon ECS task execution IAM role"; awslogs stream
 * <prefix>/<container>/<task id>).
 */
function agentRequests(sent: Sent[]): { role: string; requests: IamRequest[] }[] {
  return sent.filter((c) => c.name === 'RegisterTaskDefinitionCommand').map((c) => {
    const container = (c.input.containerDefinitions as { name: string; image: string; logConfiguration: { options: Record<string, string> } }[])[0]!;
    const repository = container.image.slice(REGISTRY.length + 1).replace(/[@:].*$/, '');
    const options = container.logConfiguration.options;
    const logStream = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${options['awslogs-group']}:log-stream:${options['awslogs-stream-prefix']}/${container.name}/0a1b2c3d4e5f6071`;
    return {
      role: c.input.executionRoleArn as string,
      requests: [
        { action: 'ecr:GetAuthorizationToken', resource: '*' },
        ...['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'].map((action) => ({ action, resource: ecrRepo(repository) })),
        { action: 'logs:CreateLogStream', resource: logStream },
        { action: 'logs:PutLogEvents', resource: logStream },
      ],
    };
  });
}
/** The verdicts of the ECS agent's requests for the one task definition registered, under the project's role. */
async function podVerdicts(project: string, sent: Sent[]): Promise<string[]> {
  const registered = agentRequests(sent);
  expect(registered.map((r) => r.role)).toEqual([projectRoleArn(BOUNDARY, project)]);
  return decideAll(podOf(project), registered[0]!.requests.map((req) => ({ via: 'ECS agent', req })));
}

describe('every request the adapters send is allowed to the component that sends it', () => {
  it('the fleet pass (ECS, EC2), under the resync function\'s policies', async () => {
    answer();
    const sent = await fleetPass();
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual([
      'AuthorizeSecurityGroupIngressCommand', 'CreateSecurityGroupCommand', 'DeleteSecurityGroupCommand', 'DescribeContainerInstancesCommand',
      'DescribeSecurityGroupsCommand', 'DescribeTaskDefinitionCommand', 'DescribeTasksCommand', 'ListContainerInstancesCommand',
      'ListTasksCommand', 'RegisterTaskDefinitionCommand', 'StartTaskCommand', 'StopTaskCommand',
    ]);
    // The call that kept every pod Pending: a pod's tasks listed by their token only.
    expect(sent.some((c) => c.name === 'ListTasksCommand' && c.input.startedBy && !c.input.containerInstance)).toBe(true);
    expect(refused(await verdicts(resync, sent))).toEqual([]);
  });

  it.each([['stream'], ['resync']])('the reconcilers (ECS, STS, ECR, IAM, Secrets Manager, S3, DynamoDB), under the %s function\'s policies', async (which) => {
    answer();
    const sent = await reconcilerWork();
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual([
      'AssumeRoleCommand', 'CreateRoleCommand', 'DeleteObjectCommand', 'DeleteRepositoryCommand', 'DeleteRoleCommand', 'DeleteRolePolicyCommand',
      'DeleteSecretCommand', 'DescribeRepositoriesCommand', 'DescribeTasksCommand', 'GetRoleCommand', 'ListSecretsCommand', 'ListTagsForResourceCommand',
      'PutItemCommand', 'PutRolePolicyCommand', 'RunTaskCommand', 'StopTaskCommand', 'UpdateItemCommand',
    ]);
    expect(refused(await verdicts(which === 'stream' ? stream : resync, sent))).toEqual([]);
  });

  it('a source upload (S3), under the API function\'s policies', async () => {
    answer();
    const sent = await capture(() => sources().put(buildRef, Readable.from([Buffer.from('tar')]), 1024));
    expect(sent.map((c) => c.name)).toEqual(['PutObjectCommand']);
    expect(refused(await verdicts(api, sent))).toEqual([]);
  });

  it('a build (ECR, S3), under the build scope with its own session tags', async () => {
    answer();
    const sent = await buildWork('shop');
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual([
      'CreateRepositoryCommand', 'DescribeRepositoriesCommand', 'GetAuthorizationTokenCommand', 'GetObjectCommand', 'ListTagsForResourceCommand', 'PutLifecyclePolicyCommand',
    ]);
    expect(refused(await verdicts(build('shop', 'web-3'), sent))).toEqual([]);
  });

  it('a build fetching its package index token and endpoint (CodeArtifact), and pip reading the repository, under the build scope', async () => {
    const sent = await packageIndexWork();
    expect(sent.map((c) => c.name).sort()).toEqual(['GetAuthorizationTokenCommand', 'GetRepositoryEndpointCommand']);
    expect(refused(await verdicts(build('shop', 'web-3'), sent))).toEqual([]);
    expect(refused(await decideAll(build('shop', 'web-3'), [{ via: 'pip', req: PIP_READ }]))).toEqual([]);
  });

  it('a router host reading the routers\' feed (DynamoDB), under the router role', async () => {
    answer();
    const sent = await capture(async () => {
      const f = feed();
      await f.since(await f.head());
    });
    expect(sent.map((c) => c.name)).toEqual(['GetItemCommand', 'QueryCommand']);
    expect(refused(await verdicts(router, sent))).toEqual([]);
  });

  it('a pod\'s image pull and logs, under its project\'s execution role and the boundary', async () => {
    answer();
    const sent = await capture(() => pods().ensurePod(spec('demo', `${REGISTRY}/berth/demo/web@sha256:abc`)));
    expect(refused(await podVerdicts('demo', sent))).toEqual([]);
    // A shared builder image runs too.
    answer();
    const shared = await capture(() => pods().ensurePod(spec('demo', `${REGISTRY}/berth/s2i/python:latest`)));
    expect(refused(await podVerdicts('demo', shared))).toEqual([]);
  });
});

describe('the API\'s pod logs and sessions into pods', () => {
  it('are allowed under the API function\'s policies: ListTasks, DescribeTasks, ExecuteCommand, StartSession, GetLogEvents', async () => {
    answer();
    const sent = await podStreamsWork();
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual(['DescribeTasksCommand', 'ExecuteCommandCommand', 'GetLogEventsCommand', 'ListTasksCommand', 'StartSessionCommand']);
    expect(sent.find((c) => c.name === 'StartSessionCommand')!.input.DocumentName).toBe(PORT_FORWARDING_DOCUMENT);
    expect(refused(await verdicts(api, sent))).toEqual([]);
  });

  it('are denied on another cluster\'s tasks, on a task without Berth\'s tag, with another document, and on another log group', async () => {
    const other = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/not-berth`;
    const otherTask = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/not-berth/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
    const verdictsOf = await decideAll(api, [
      { via: 'ExecuteCommand', req: { action: 'ecs:ExecuteCommand', resource: other, context: { 'ecs:cluster': other } } },
      { via: 'ExecuteCommand', req: { action: 'ecs:ExecuteCommand', resource: otherTask, context: { 'ecs:cluster': other, 'aws:ResourceTag/berth:managed': 'true' } } },
      { via: 'ExecuteCommand', req: { action: 'ecs:ExecuteCommand', resource: TASK, context: { ...inCluster, 'aws:ResourceTag/team': 'ops' } } },
      { via: 'StartSession', req: { action: 'ssm:StartSession', resource: otherTask, context: { 'ssm:SessionDocumentAccessCheck': 'true' } } },
      { via: 'StartSession', req: { action: 'ssm:StartSession', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:document/AWS-StartInteractiveCommand` } },
      { via: 'StartSession', req: { action: 'ssm:StartSession', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0` } },
      { via: 'GetLogEvents', req: { action: 'logs:GetLogEvents', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/berth-api:log-stream:x` } },
    ]);
    expect(verdictsOf.filter((v) => v.startsWith('Allowed'))).toEqual([]);
  });

  it('a tenant\'s pod, with its task role, cannot open sessions into any task nor read pods\' logs; it holds only ECS Exec\'s channels', async () => {
    answer();
    const sent = await podStreamsWork();
    const v = await verdicts(podTask, sent);
    expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    const channels = ['CreateControlChannel', 'CreateDataChannel', 'OpenControlChannel', 'OpenDataChannel'].map((a) => ({ via: 'SSM agent', req: { action: `ssmmessages:${a}`, resource: '*' } }));
    expect(refused(await decideAll(podTask, channels))).toEqual([]);
  });
});

/** A push login for `project`: the project's stream repositories made, the push role assumed with the session policy, ECR's login asked for. */
const pushLoginWork = (project: string) => capture(async () => {
  await new EcrPushCredentials({
    sts: new STSClient({ region: REGION }), roleArn: PUSH_ROLE, region: REGION, prefix: 'berth', host: REGISTRY,
    ensureRepository: (p, stream) => registry().ensureRepository(p, stream),
  }).issue(project, 'alice', ['web']);
});
/** What a docker push of `name` asks ECR for, as the login's session (ECR User Guide, "Pushing an image"; layer mounts read). */
const pushRequests = (name: string): IamRequest[] => [{ action: 'ecr:GetAuthorizationToken', resource: '*' }, ...ECR_PUSH_ACTIONS.map((action) => ({ action, resource: repo(name) }))];
const sessionPolicyOf = (sent: Sent[]) => JSON.parse(sent.find((c) => c.name === 'AssumeRoleCommand')!.input.Policy as string) as PolicyDocument;

describe('pushes from outside (push logins per project)', () => {
  it('the API makes the project\'s repositories and assumes the push role; the session pushes to its own project\'s repositories', async () => {
    answer();
    const sent = await pushLoginWork('shop');
    expect(sent.map((c) => c.name)).toEqual(['CreateRepositoryCommand', 'PutLifecyclePolicyCommand', 'GetAuthorizationTokenCommand', 'AssumeRoleCommand']);
    // The login is asked for with the session's credentials: the API's own policies need not allow it.
    expect(refused(await verdicts(api, sent.filter((c) => c.name !== 'GetAuthorizationTokenCommand')))).toEqual([]);
    const session = pushSession(sessionPolicyOf(sent));
    expect(refused(await decideAll(session, pushRequests('shop/web').map((req) => ({ via: 'docker push', req }))))).toEqual([]);
  });

  it('project A\'s session is denied every push and pull on project B\'s repositories and on the platform\'s own', async () => {
    answer();
    const session = pushSession(sessionPolicyOf(await pushLoginWork('shop')));
    for (const name of ['victim/web', 'openshift/postgresql', 's2i/python', 'builder']) {
      const v = await decideAll(session, pushRequests(name).filter((r) => r.resource !== '*').map((req) => ({ via: 'docker push', req })));
      expect(v).toHaveLength(ECR_PUSH_ACTIONS.length);
      expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    }
  });

  it('even a session policy asking for every repository cannot push to the platform\'s own: the role denies them', async () => {
    const greedy = pushSession({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecr:*'], Resource: ['*'] }] });
    for (const name of ['openshift/postgresql', 's2i/python', 'builder']) {
      expect((await decideAll(greedy, pushRequests(name).filter((r) => r.resource !== '*').map((req) => ({ via: 'docker push', req })))).filter((x) => x.startsWith('Allowed'))).toEqual([]);
    }
  });

  it('only the API function may assume the push role; the others and pods are denied', async () => {
    for (const who of [stream, resync, claims, router, podOf('shop'), build('shop', 'web-3')]) {
      expect(await decide(who.policy, { principal: who.arn, action: 'sts:AssumeRole', resource: PUSH_ROLE, accountId: ACCOUNT, context: who.context }, who.boundary)).not.toBe('Allowed');
    }
    expect(await decide(api.policy, { principal: api.arn, action: 'sts:AssumeRole', resource: PUSH_ROLE, accountId: ACCOUNT })).toBe('Allowed');
  });

  it('the API may make tenant repositories but not delete any, nor change the platform\'s own', async () => {
    for (const [action, name] of [['ecr:DeleteRepository', 'shop/web'], ['ecr:BatchDeleteImage', 'shop/web'], ['ecr:PutLifecyclePolicy', 'builder'], ['ecr:PutImage', 'shop/web']] as const) {
      expect(await decide(api.policy, { principal: api.arn, action, resource: repo(name), accountId: ACCOUNT })).not.toBe('Allowed');
    }
  });
});

/** An import into `project`'s stream `web`: its repository made, the push role assumed narrowed to it, the task run, its end read, the image read back. */
const importWork = (project: string) => capture(async () => {
  const imports = new EcsImageImports({
    ecs: new ECSClient({ region: REGION }), sts: new STSClient({ region: REGION }), ecrWith: () => new ECRClient({ region: REGION }),
    cluster: CLUSTER, taskDefinition: IMPORT_FAMILY, capacityProvider: 'berth-fleet-BuildHosts', roleArn: PUSH_ROLE, region: REGION, prefix: 'berth', host: REGISTRY,
    ensureRepository: (p, stream) => registry().ensureRepository(p, stream),
    fetch: async () => new Response(JSON.stringify({ config: { ExposedPorts: { '8080/tcp': {} } } })),
  });
  const task = await imports.start({ project, stream: 'web', tag: 'v1', from: 'quay.io/org/web:1' });
  await imports.state(task);
  await imports.result(project, 'web', 'v1');
});
const IMPORT_MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: `sha256:${'c'.repeat(64)}`, size: 100 }, layers: [] });

describe('imports (berth import-image) as ECS tasks', () => {
  const answerImports = () => {
    answer();
    // ECS API Reference, "DescribeTasks"; ECR API Reference, "BatchGetImage", "GetDownloadUrlForLayer".
    mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: `${TASK}1`, lastStatus: 'STOPPED', containers: [{ name: 'importer', exitCode: 0 }] }], failures: [] });
    mocks.ecr.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: `sha256:${'d'.repeat(64)}`, imageTag: 'v1' }, imageManifest: IMPORT_MANIFEST }], failures: [] });
    mocks.ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: 'https://prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com/x', layerDigest: `sha256:${'c'.repeat(64)}` });
  };
  const bySender = (sent: Sent[]) => ({
    // The read-back runs with the narrowed session's credentials (ecrWith), the rest as the API.
    api: sent.filter((c) => !['BatchGetImageCommand', 'GetDownloadUrlForLayerCommand'].includes(c.name)),
    session: sent.filter((c) => ['BatchGetImageCommand', 'GetDownloadUrlForLayerCommand'].includes(c.name)),
  });

  it('the API may make the repository, assume the push role, run the import family and read its task; the narrowed session copies into and reads back that one repository', async () => {
    answerImports();
    const sent = await importWork('shop');
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual([
      'AssumeRoleCommand', 'BatchGetImageCommand', 'CreateRepositoryCommand', 'DescribeTasksCommand', 'GetDownloadUrlForLayerCommand', 'PutLifecyclePolicyCommand', 'RunTaskCommand',
    ]);
    const { api: byApi, session: bySession } = bySender(sent);
    expect(refused(await verdicts(api, byApi))).toEqual([]);
    const session = pushSession(sessionPolicyOf(sent));
    expect(refused(await verdicts(session, bySession))).toEqual([]);
    // What the task itself sends with that session: ECR's login and a push of the one repository.
    expect(refused(await decideAll(session, pushRequests('shop/web').map((req) => ({ via: 'import task', req }))))).toEqual([]);
  });

  it('the task\'s session is denied the project\'s other repositories, another project\'s and the platform\'s own', async () => {
    answerImports();
    const session = pushSession(sessionPolicyOf(await importWork('shop')));
    for (const name of ['shop/api', 'victim/web', 'openshift/postgresql', 's2i/python', 'builder']) {
      const v = await decideAll(session, pushRequests(name).filter((r) => r.resource !== '*').map((req) => ({ via: 'import task', req })));
      expect(v).toHaveLength(ECR_PUSH_ACTIONS.length);
      expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    }
  });

  it('the API may RunTask only the import (and no other) family here, in this cluster only, and pass only its roles', async () => {
    const td = (family: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:1`;
    const other = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/not-berth`;
    expect(await decide(api.policy, { principal: api.arn, action: 'ecs:RunTask', resource: td(IMPORT_FAMILY), accountId: ACCOUNT, context: inCluster })).toBe('Allowed');
    const denied = await decideAll(api, [
      { via: 'RunTask', req: { action: 'ecs:RunTask', resource: td(IMPORT_FAMILY), context: { 'ecs:cluster': other } } },
      { via: 'RunTask', req: { action: 'ecs:RunTask', resource: td('berth-builder'), context: inCluster } },
      { via: 'RunTask', req: { action: 'ecs:RunTask', resource: td('berth-pod-victim_web'), context: inCluster } },
      { via: 'RunTask', req: { action: 'ecs:RunTask', resource: td('something-else'), context: inCluster } },
      { via: 'PassRole', req: { action: 'iam:PassRole', resource: BUILDER_TASK_ROLE, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
      { via: 'PassRole', req: { action: 'iam:PassRole', resource: projectRoleArn(BOUNDARY, 'victim'), context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
      { via: 'PassRole', req: { action: 'iam:PassRole', resource: PUSH_ROLE, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
    ]);
    expect(denied.filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });

  it('no other function, build or pod may run the import family', async () => {
    const td = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${IMPORT_FAMILY}:1`;
    for (const who of [stream, resync, claims, router, podOf('shop'), build('shop', 'web-3')]) {
      expect(await decide(who.policy, { principal: who.arn, action: 'ecs:RunTask', resource: td, accountId: ACCOUNT, context: { ...who.context, ...inCluster } }, who.boundary), who.name).not.toBe('Allowed');
    }
  });
});

describe('the ECR resync and a deleted project\'s repositories', () => {
  /** The resync's reads (every repository, each one's tagged images) and project `gone`'s deletion, against a registry holding both projects and the platform's own. */
  async function ecrResyncWork(): Promise<Sent[]> {
    answer();
    new FakeEcr(mocks.ecr, [
      { name: 'berth/builder' }, { name: 'berth/openshift/postgresql', images: [{ digest: digest('1'), tags: ['15'] }] },
      { name: 'berth/shop/web', images: [{ digest: digest('2'), tags: ['v1'] }] }, { name: 'berth/gone/web' }, { name: 'berth/gone/login-only' },
    ]);
    return capture(async () => {
      const reg = registry();
      for await (const r of reg.listRepositories()) await reg.listTags(r);
      await reg.deleteProjectRepositories('gone');
    });
  }

  it.each([['stream'], ['resync']])('are allowed under the %s function\'s policies: DescribeRepositories, DescribeImages, ListTagsForResource, DeleteRepository', async (which) => {
    const sent = await ecrResyncWork();
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual(['DeleteRepositoryCommand', 'DescribeImagesCommand', 'DescribeRepositoriesCommand', 'ListTagsForResourceCommand']);
    expect(sent.filter((c) => c.name === 'DeleteRepositoryCommand').map((c) => c.input.repositoryName)).toEqual(['berth/gone/web', 'berth/gone/login-only']);
    expect(refused(await verdicts(which === 'stream' ? stream : resync, sent))).toEqual([]);
  });

  it('the control plane may not delete the platform\'s own repositories nor any outside berth/; no tenant, build, push login or router may list, read or delete another project\'s', async () => {
    for (const name of ['openshift/postgresql', 'builder', 's2i/python']) {
      expect(await decide(resync.policy, { principal: resync.arn, action: 'ecr:DeleteRepository', resource: repo(name), accountId: ACCOUNT })).not.toBe('Allowed');
    }
    for (const action of ['ecr:DeleteRepository', 'ecr:DescribeImages']) {
      expect(await decide(resync.policy, { principal: resync.arn, action, resource: ecrRepo('other-team/web'), accountId: ACCOUNT })).not.toBe('Allowed');
    }
    const session = pushSession(sessionPolicyOf(await pushLoginWork('shop')));
    for (const who of [podOf('shop'), build('shop', 'web-3'), router, api, session]) {
      for (const action of ['ecr:DeleteRepository', 'ecr:DescribeImages']) {
        expect(await decide(who.policy, { principal: who.arn, action, resource: repo('victim/web'), accountId: ACCOUNT, context: who.context }, who.boundary), `${who.name} ${action}`).not.toBe('Allowed');
      }
    }
    for (const who of [podOf('shop'), build('shop', 'web-3'), router, session]) {
      expect(await decide(who.policy, { principal: who.arn, action: 'ecr:DescribeRepositories', resource: '*', accountId: ACCOUNT, context: who.context }, who.boundary), who.name).not.toBe('Allowed');
    }
  });
});

describe('claims on EFS', () => {
  it('the claims function makes and deletes access points and writes its projects\' grants (EFS, IAM), under its policies', async () => {
    answer();
    const sent = await claimsWork();
    expect(sent.map((c) => c.name)).toEqual([
      'GetRoleCommand', 'PutRolePolicyCommand', 'GetRoleCommand', 'DeleteRolePolicyCommand',
      'CreateAccessPointCommand', 'DescribeAccessPointsCommand', 'DescribeAccessPointsCommand', 'DeleteAccessPointCommand', 'DescribeAccessPointsCommand',
    ]);
    expect(refused(await verdicts(claims, sent))).toEqual([]);
  });

  it('the claims function mounts the file system as root through its own access point only', async () => {
    const root = (apId: string) => ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'].map((action) => ({ via: 'Lambda mount', req: { action, resource: CLAIMS_FS_ARN, context: { 'elasticfilesystem:AccessPointArn': accessPoint(apId) } } }));
    expect(refused(await decideAll(claims, root(CLAIMS_DATA_AP)))).toEqual([]);
    expect((await decideAll(claims, root(SHOP_DB))).filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });

  it('a pod mounts its own project\'s claim, under its role\'s claim-mounts policy and the boundary', async () => {
    expect(refused(await decideAll(podWithClaims('shop', [SHOP_DB]), mountRequests(SHOP_DB).map((req) => ({ via: 'ECS agent', req }))))).toEqual([]);
  });

  it('a pod with claims (its task role is its project\'s role) opens ECS Exec\'s channels, and nothing more than a pod task role could: no session into any task, no pod log read', async () => {
    const channels = EXEC_CHANNEL_ACTIONS.map((action) => ({ via: 'SSM agent', req: { action, resource: '*' } }));
    expect(refused(await decideAll(podWithClaims('shop', [SHOP_DB]), channels))).toEqual([]);
    // Without claims the role is only an execution role: no channel.
    expect((await decideAll(podOf('shop'), channels)).filter((x) => x.startsWith('Allowed'))).toEqual([]);
    answer();
    const sent = await podStreamsWork();
    const v = await verdicts(podWithClaims('shop', [SHOP_DB]), sent);
    expect(v.length).toBeGreaterThan(5);
    expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    // Even an inline policy asking for every Session Manager and ECS action stays inside the boundary.
    const greedy: Principal = { ...podOf('shop'), policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:*', 'ssmmessages:*', 'ecs:*'], Resource: ['*'] }] } as PolicyDocument };
    const beyond = await decideAll(greedy, [
      ...sent.flatMap((c) => iamRequestsOf(c).map((req) => ({ via: c.name, req }))),
      { via: 'SSM', req: { action: 'ssm:SendCommand', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0` } },
      { via: 'SSM', req: { action: 'ssmmessages:OpenDataChannel', resource: '*' } },
    ]);
    expect(beyond.filter((x) => x.startsWith('Allowed'))).toEqual(['Allowed ← SSM: ssmmessages:OpenDataChannel on *']);
  });

  it('a pod cannot mount another project\'s claim, the file system without an access point, or as root', async () => {
    const shop = podWithClaims('shop', [SHOP_DB]);
    const v = await decideAll(shop, [
      ...mountRequests(VICTIM_DB), ...mountRequests(undefined),
      { action: 'elasticfilesystem:ClientRootAccess', resource: CLAIMS_FS_ARN, context: { 'elasticfilesystem:AccessPointArn': accessPoint(SHOP_DB) } },
    ].map((req) => ({ via: 'ECS agent', req })));
    expect(v).toHaveLength(5);
    expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });

  it('a pod\'s role cannot touch EFS\'s API: no access point made, listed or deleted, whatever its inline policies said', async () => {
    answer();
    const sent = (await claimsWork()).filter((c) => /AccessPoint/.test(c.name));
    // Even a role whose inline policy allowed everything stays inside the boundary.
    const greedy: Principal = { ...podOf('attacker'), policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['elasticfilesystem:*'], Resource: ['*'] }] } as PolicyDocument };
    for (const who of [podWithClaims('attacker', []), greedy]) {
      const v = await verdicts(who, sent);
      expect(v.length).toBeGreaterThan(4);
      expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    }
  });

  it('the stream and resync functions have no EFS rights: claims are the claims function\'s alone', async () => {
    answer();
    const sent = (await claimsWork()).filter((c) => /AccessPoint/.test(c.name));
    for (const who of [stream, resync]) expect((await verdicts(who, sent)).filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });
});

/** Services' names in Cloud Map: a Service synced (namespace, its names, instances in two shards), then removed with its project. */
async function cloudMapWork(): Promise<Sent[]> {
  const fake = new FakeCloudMap();
  fake.pendingPolls = 0;
  const names = new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: REGION }), vpcId: VPC_ID, polls: 2, sleep: async () => {} });
  const db = { project: 'shop', projectUid: '7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7', name: 'db', uid: '0d9c8b7a-6f5e-4d3c-2b1a-09f8e7d6c5b4', version: '3' };
  // Nine ready pods: a second shard of the endpoints' names is made.
  await names.sync(db, { endpoints: Array.from({ length: 9 }, (_, i) => ({ id: `db-1-${i}`, ip: `10.0.3.${41 + i}`, port: 5432 })) });
  await names.sync({ ...db, version: '4' }, { endpoints: [{ id: 'db-1-b', ip: '10.0.3.62', port: 5432 }], service: [{ id: 'proxy', ip: '10.0.3.99', port: 5432 }] });
  while ((await names.removeProject('shop')) === 'pending');
  const sent = fake.sent().map((c) => ({ name: `${c.name}Command`, input: c.input }));
  fake.mock.restore();
  return sent;
}

describe('Services\' names in Cloud Map', () => {
  it('the stream and resync functions make, fill and remove a project\'s namespace under their policies (Cloud Map, Route 53 through it)', async () => {
    const sent = await cloudMapWork();
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual([
      'CreatePrivateDnsNamespaceCommand', 'CreateServiceCommand', 'DeleteNamespaceCommand', 'DeleteServiceCommand', 'DeregisterInstanceCommand', 'GetOperationCommand',
      'ListInstancesCommand', 'ListNamespacesCommand', 'ListServicesCommand', 'ListTagsForResourceCommand', 'RegisterInstanceCommand',
    ]);
    for (const who of [stream, resync]) expect(refused(await verdicts(who, sent))).toEqual([]);
  });

  it('the control plane cannot touch a namespace or service Berth did not make, make one without its tags, or call Route 53 itself', async () => {
    const foreign = { 'aws:ResourceTag/team': 'payments' };
    const v = await decideAll(stream, [
      { via: 'DeleteNamespace', req: { action: 'servicediscovery:DeleteNamespace', resource: cloudMapArn('namespace', 'ns-payments'), context: foreign } },
      { via: 'CreateService', req: { action: 'servicediscovery:CreateService', resource: cloudMapArn('namespace', 'ns-payments'), context: foreign } },
      { via: 'RegisterInstance', req: { action: 'servicediscovery:RegisterInstance', resource: cloudMapArn('service', 'srv-payments'), context: foreign } },
      { via: 'DeregisterInstance', req: { action: 'servicediscovery:DeregisterInstance', resource: cloudMapArn('service', 'srv-payments'), context: foreign } },
      { via: 'DeleteService', req: { action: 'servicediscovery:DeleteService', resource: cloudMapArn('service', 'srv-payments'), context: foreign } },
      { via: 'CreatePrivateDnsNamespace', req: { action: 'servicediscovery:CreatePrivateDnsNamespace', resource: '*', context: tagContext([{ Key: 'team', Value: 'payments' }]) } },
      { via: 'direct', req: { action: 'route53:DeleteHostedZone', resource: 'arn:aws:route53:::hostedzone/Z0PAYMENTS', context: {} } },
      { via: 'direct', req: { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0PAYMENTS', context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['api.example.com'] } } },
      { via: 'Cloud Map', req: { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0PAYMENTS', context: { 'aws:ViaAWSService': 'true', 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['api.example.com'] } } },
    ]);
    expect(v).toHaveLength(9);
    expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });

  it('a pod (its project\'s execution role, its task role), a build and a router host cannot register into or remove any namespace: not their own project\'s, not another\'s', async () => {
    const sent = await cloudMapWork();
    for (const who of [podOf('shop'), podOf('attacker'), podTask, build('attacker', 'web-1'), router]) {
      const v = await verdicts(who, sent);
      expect(v.length).toBeGreaterThan(20);
      expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    }
  });
});

/**
 * A Service's proxy: its room reserved on a tenant Host (the table: Query, GetItem, PutItem), run
 * there (its task definition registered), found running with an old one beside it (stopped), and
 * stopped with its Service; ECS answering as its API Reference says (ListTasks taskArns;
 * DescribeTasks tasks with tags, containerInstanceArn and the ENI attachment;
 * RegisterTaskDefinition; RunTask).
 */
async function proxyWork(project = 'shop'): Promise<Sent[]> {
  answer();
  const spec = { project, service: 'db', ports: [{ port: 5432, target: 5432 }] };
  const settings = { image: `${REGISTRY}/berth/service-proxy:1`, executionRoleOf: (p: string) => projectRoleArn(BOUNDARY, p) };
  const hash = proxyContentHash(proxyTaskDefinitionInput(spec, settings));
  const proxyTask = (id: string, h: string): Task => ({
    taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${id}`, containerInstanceArn: INSTANCE, startedBy: proxyToken(project, 'db'), lastStatus: 'RUNNING', desiredStatus: 'RUNNING', tags: proxyTags(spec, h),
    attachments: [{ type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: '10.0.3.99' }] }],
  });
  const [fresh, old] = [proxyTask('0b1c2d3e4f5061728394a5b6c7d8e9f0', hash), proxyTask('0c1d2e3f405162738495a6b7c8d9e0f1', 'old')];
  mocks.ecs.on(ListTasksCommand).resolvesOnce({ taskArns: [] }).resolves({ taskArns: [fresh.taskArn!, old.taskArn!] });
  mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [fresh, old], failures: [] });
  mocks.ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${proxyFamily(project, 'db')}:1`, status: 'ACTIVE' } });
  // The tenant Host the room is reserved on, as the fleet's host discovery stores it.
  const d = mocks.dynamodb;
  d.on(TransactWriteItemsCommand).resolves({});
  d.on(PutItemCommand).resolves({});
  const store = new DynamoObjectStore({ client: new DynamoDBClient({ region: REGION }), tableName: TABLE });
  const host = await store.create({
    kind: 'Host', metadata: { name: hostNameOf(INSTANCE), project: '' },
    spec: { provider: 'ecs', endpoint: INSTANCE, address: '10.0.3.17', capacity: { cpu: '2000m', memory: '3800Mi' }, unschedulable: false, instanceId: 'i-0a1b2c3d4e5f60718' },
    status: { allocatable: { cpuMilli: 2000, memoryBytes: 3800 * 2 ** 20 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true, conditions: [] },
  } as never);
  const item = encode(host);
  d.on(QueryCommand).resolves({ Items: [item as never], Count: 1, ScannedCount: 1 });
  d.on(GetItemCommand).resolves({ Item: item as never });
  const proxies = new EcsServiceProxies({ client: ecsClient(), cluster: CLUSTER, subnets: ['subnet-0a1b2c3d'], securityGroupOf: async () => GROUP_ID, room: new HostReservations(store), ...settings });
  return capture(async () => {
    expect(await proxies.ensure(spec)).toEqual({});
    expect(await proxies.ensure(spec)).toEqual({ address: '10.0.3.99' });
    await proxies.remove(project, 'db');
  });
}

describe('Services\' proxies on ECS', () => {
  it.each([['stream'], ['resync']])('the %s function runs, replaces and stops them under its policies', async (which) => {
    const sent = await proxyWork();
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual([
      'DescribeTaskDefinitionCommand', 'DescribeTasksCommand', 'GetItemCommand', 'ListTasksCommand', 'PutItemCommand', 'QueryCommand', 'RegisterTaskDefinitionCommand', 'RunTaskCommand', 'StopTaskCommand',
    ]);
    // On the host whose room was reserved.
    expect(sent.find((c) => c.name === 'RunTaskCommand')!.input.placementConstraints).toContainEqual({ type: 'memberOf', expression: 'ec2InstanceId == i-0a1b2c3d4e5f60718' });
    const v = await verdicts(which === 'stream' ? stream : resync, sent);
    expect(v.some((x) => /ecs:RunTask on .*task-definition\/berth-proxy-shop_db:1$/.test(x))).toBe(true);
    expect(refused(v)).toEqual([]);
  });

  it.each([['stream'], ['resync']])('the %s function records and forgets the room a proxy waits for (its wanted reservation) under its policies', async (which) => {
    answer();
    const spec = { project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }] };
    const settings = { image: `${REGISTRY}/berth/service-proxy:1`, executionRoleOf: (p: string) => projectRoleArn(BOUNDARY, p) };
    mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const d = mocks.dynamodb;
    const store = new DynamoObjectStore({ client: new DynamoDBClient({ region: REGION }), tableName: TABLE });
    d.on(PutItemCommand).resolves({});
    d.on(DeleteItemCommand).resolves({});
    // A tenant Host with no room left, and the wanted reservation a first pass recorded.
    const host = encode({
      kind: 'Host', metadata: { name: hostNameOf(INSTANCE), project: '', uid: 'u1', resourceVersion: '1', generation: 1, creationTimestamp: '2026-12-04T10:00:00Z' },
      spec: { provider: 'ecs', endpoint: INSTANCE, address: '10.0.3.17', capacity: { cpu: '2000m', memory: '3800Mi' }, unschedulable: false, instanceId: 'i-0a1b2c3d4e5f60718' },
      status: { allocatable: { cpuMilli: 2000, memoryBytes: 3800 * 2 ** 20 }, requested: { cpuMilli: 2000, memoryBytes: 3800 * 2 ** 20 }, ready: true, conditions: [] },
    } as never);
    const key = proxyRoomKey('shop', 'db', proxyContentHash(proxyTaskDefinitionInput(spec, settings)));
    const wanted = encode({
      kind: WANTED_KIND, metadata: { name: key, project: '', uid: 'u2', resourceVersion: '1', generation: 1, creationTimestamp: '2026-12-04T10:00:00Z' },
      spec: { request: PROXY_RESERVATION, since: '2026-12-04T10:00:00.000Z' }, status: {},
    } as never);
    const itemOf = (pk: string) => (pk === `C#${WANTED_KIND}` ? wanted : host);
    d.on(QueryCommand).callsFake((input: Record<string, unknown>) => ({ Items: [itemOf(leadingKey(input)) as never], Count: 1, ScannedCount: 1 }));
    d.on(GetItemCommand).callsFake((input: Record<string, unknown>) => ({ Item: itemOf(leadingKey(input)) as never }));
    const proxies = new EcsServiceProxies({ client: ecsClient(), cluster: CLUSTER, subnets: ['subnet-0a1b2c3d'], securityGroupOf: async () => GROUP_ID, room: new HostReservations(store), ...settings });
    const sent = await capture(async () => {
      await expect(proxies.ensure(spec)).rejects.toThrow('no tenant host has room');
      await proxies.remove('shop', 'db');
      // The autoscaler's own reads and removals of wanted reservations (resync function) are these same requests.
      await dropWanted(store, (await wantedRoom(store)).map((w) => w.key));
    });
    const onWanted = sent.filter((c) => c.name !== 'ListTasksCommand' && leadingKey(c.input) === `C#${WANTED_KIND}`).map((c) => c.name);
    expect([...new Set(onWanted)].sort()).toEqual(['DeleteItemCommand', 'GetItemCommand', 'PutItemCommand', 'QueryCommand']);
    const v = await verdicts(which === 'stream' ? stream : resync, sent);
    expect(v.some((x) => x.startsWith('Allowed') && x.includes('dynamodb:PutItem'))).toBe(true);
    expect(refused(v)).toEqual([]);
  });

  it('a proxy pulls its image with its project\'s role (and the boundary); no project role may push it', async () => {
    const pulls = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'].map((action) => ({ via: 'ECS agent', req: { action, resource: ecrRepo('berth/service-proxy') } }));
    expect(refused(await decideAll(podOf('shop'), pulls))).toEqual([]);
    const push = await decideAll(podOf('shop'), [{ via: 'docker push', req: { action: 'ecr:PutImage', resource: ecrRepo('berth/service-proxy') } }]);
    expect(push.filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });

  it('a pod, a build and a router host cannot run, replace or stop any proxy: not their own project\'s, not another\'s', async () => {
    const sent = await proxyWork('victim');
    for (const who of [podOf('victim'), podOf('attacker'), podTask, build('attacker', 'web-1'), router]) {
      const v = await verdicts(who, sent);
      expect(v.length).toBeGreaterThan(10);
      expect(v.filter((x) => /ecs:(RunTask|StopTask|RegisterTaskDefinition)/.test(x) && x.startsWith('Allowed'))).toEqual([]);
    }
  });

  it('the control plane cannot run a proxy family in another cluster, nor RunTask a pod\'s family (pods are StartTask\'s, on the host Berth chose)', async () => {
    const other = { 'ecs:cluster': `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/someone-else` };
    const v = await decideAll(stream, [
      { via: 'RunTask', req: { action: 'ecs:RunTask', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-proxy-shop_db:1`, context: other } },
      { via: 'RunTask', req: { action: 'ecs:RunTask', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-pod-shop_web:1`, context: inCluster } },
      { via: 'RunTask', req: { action: 'ecs:RunTask', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/payments:1`, context: inCluster } },
    ]);
    expect(v).toHaveLength(3);
    expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });
});

describe('cross-tenant requests are denied', () => {
  it('a pod or a router host cannot read the package index: only builds can', async () => {
    const sent = await packageIndexWork();
    for (const who of [podOf('demo'), router]) {
      const v = await decideAll(who, [...sent.flatMap((c) => iamRequestsOf(c).map((req) => ({ via: c.name, req }))), { via: 'pip', req: PIP_READ }]);
      expect(v).toHaveLength(4);
      expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    }
  });

  it('a pod whose task definition names another project\'s image cannot pull it: its project\'s role is refused every pull', async () => {
    answer();
    const sent = await capture(() => pods().ensurePod(spec('attacker', `${REGISTRY}/berth/victim/web@sha256:abc`)));
    const v = await podVerdicts('attacker', sent);
    const pulls = v.filter((x) => /ecr:(BatchGetImage|GetDownloadUrlForLayer|BatchCheckLayerAvailability) on .*berth\/victim\/web$/.test(x));
    expect(pulls).toHaveLength(3);
    for (const p of pulls) expect(p).not.toMatch(/^Allowed/);
  });

  it('a build cannot make, inspect or push to another project\'s repository, nor read its source', async () => {
    answer();
    const sent = await buildWork('victim');
    const v = (await verdicts(build('attacker', 'web-1'), sent)).filter((x) => !/GetAuthorizationToken/.test(x));
    expect(v.length).toBeGreaterThan(5);
    expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    for (const action of ['ecr:PutImage', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) {
      expect(await decide(buildScope, { principal: build('attacker', 'web-1').arn, action, resource: repo('victim/web'), accountId: ACCOUNT, context: build('attacker', 'web-1').context })).not.toBe('Allowed');
    }
  });

  it('the control plane deletes only Berth\'s pod secrets: not a secret outside berth/, not one there that Berth did not make', async () => {
    const del = (resource: string, managed?: string) => decide(stream.policy, { principal: stream.arn, action: 'secretsmanager:DeleteSecret', resource, accountId: ACCOUNT, context: managed ? { 'aws:ResourceTag/berth:managed': managed } : {} });
    expect(await del(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:berth/shop/db-AbCdEf`, 'true')).toBe('Allowed');
    expect(await del(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/payments-AbCdEf`, 'true')).not.toBe('Allowed');
    expect(await del(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:berth/shop/hand-made-AbCdEf`)).not.toBe('Allowed');
  });

  it('a router host cannot write the table: the feed writes the stream function sends are refused to it', async () => {
    answer();
    const sent = await capture(() => feed().append({ kind: 'Route', project: 'victim', name: 'web' }));
    expect(sent.map((c) => c.name)).toEqual(['UpdateItemCommand', 'PutItemCommand']);
    const v = await verdicts(router, sent);
    expect(v).toHaveLength(2);
    expect(v.filter((x) => x.startsWith('Allowed'))).toEqual([]);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      expect(await decide(router.policy, { principal: router.arn, action, resource: TABLE, accountId: ACCOUNT, context: { 'dynamodb:LeadingKeys': ['P#victim'] } })).not.toBe('Allowed');
    }
  });

  it.each([
    ['another project\'s Secret (build env, source credentials)', 'dynamodb:GetItem', ['P#victim']],
    ['another project\'s objects by query', 'dynamodb:Query', ['P#victim']],
    ['another build\'s log in its own project', 'dynamodb:Query', ['L#shop/web-2']],
    ['another project\'s build log', 'dynamodb:Query', ['L#victim/web-1']],
  ])('a build cannot read %s', async (_what, action, keys) => {
    const who = build('shop', 'web-3');
    expect(await decide(who.policy, { principal: who.arn, action, resource: TABLE, accountId: ACCOUNT, context: { ...who.context, 'dynamodb:LeadingKeys': keys } })).not.toBe('Allowed');
  });

  it('a build cannot read another build\'s uploaded source, nor another project\'s', async () => {
    const who = build('shop', 'web-3');
    for (const key of ['sources/shop/web-2.tar', 'sources/victim/web-1.tar']) {
      expect(await decide(who.policy, { principal: who.arn, action: 's3:GetObject', resource: `arn:aws:s3:::${BUCKET}/${key}`, accountId: ACCOUNT, context: who.context })).not.toBe('Allowed');
    }
  });

  it.each([
    ['listing tasks by startedBy', 'ecs:ListTasks', '*'],
    ['listing an instance\'s tasks', 'ecs:ListTasks', `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/someone-else/1`],
    ['describing tasks', 'ecs:DescribeTasks', `arn:aws:ecs:${REGION}:${ACCOUNT}:task/someone-else/1`],
    ['stopping tasks', 'ecs:StopTask', `arn:aws:ecs:${REGION}:${ACCOUNT}:task/someone-else/1`],
  ])('the fleet pass cannot reach into another cluster: %s', async (_what, action, resource) => {
    expect(await decide(resync.policy, { principal: resync.arn, action, resource, accountId: ACCOUNT, context: { 'ecs:cluster': `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/someone-else` } })).not.toBe('Allowed');
  });

  it('the control plane may pass the pods\' task role to ECS tasks only', async () => {
    const pass = (context: Record<string, string>) => ({ via: 'RegisterTaskDefinition', req: { action: 'iam:PassRole', resource: POD_TASK_ROLE, context } });
    expect(await decideAll(resync, [pass({ 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }), pass({ 'iam:PassedToService': 'lambda.amazonaws.com' })])).toEqual([
      expect.stringMatching(/^Allowed/),
      expect.not.stringMatching(/^Allowed/),
    ]);
  });

  it('the roles the control plane may pass are the builder\'s and the projects\' only', async () => {
    expect(await decide(stream.policy, { principal: stream.arn, action: 'iam:PassRole', resource: role('Berth-ControlPlane-ApiFunctionRole'), accountId: ACCOUNT, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } })).not.toBe('Allowed');
  });
});

// ---- the state every function shares: the table, sealed secrets, pods' secret values, the generated ones ----

/** The object store's requests (DynamoDB API Reference: TransactWriteItems, GetItem, Query, BatchGetItem, PutItem, DeleteItem). */
const storeWork = () => capture(async () => {
  const d = mocks.dynamodb;
  d.on(TransactWriteItemsCommand).resolves({});
  d.on(PutItemCommand).resolves({});
  d.on(DeleteItemCommand).resolves({});
  d.on(BatchGetItemCommand).resolves({ Responses: { berth: [] } });
  d.on(QueryCommand).resolves({ Items: [], Count: 0, ScannedCount: 0 });
  const store = new DynamoObjectStore({ client: new DynamoDBClient({ region: REGION }), tableName: 'berth' });
  const created = await store.create({ kind: 'ConfigMap', metadata: { name: 'web', project: 'shop' }, data: { a: '1' } } as never);
  d.on(GetItemCommand).resolves({ Item: marshalled(created) as never });
  await store.get({ kind: 'ConfigMap', project: 'shop', name: 'web' });
  await store.update({ ...created, data: { a: '2' } } as never);
  await store.list('ConfigMap', 'shop');
  await store.listAll('Route');
  await store.listProject('shop');
  await store.delete({ kind: 'ConfigMap', project: 'shop', name: 'web' });
});

/**
 * The resync function's one-off lookups migration over `stored` (an object as the store wrote it)
 * and a deleted build's log removed (DynamoDB API Reference: Scan, BatchWriteItem, Query, GetItem, PutItem).
 */
const maintenanceWork = (stored: Record<string, unknown>) => capture(async () => {
  const d = mocks.dynamodb;
  d.on(GetItemCommand).resolves({});
  d.on(ScanCommand).resolves({ Items: [stored as never], Count: 1, ScannedCount: 1 });
  d.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
  d.on(PutItemCommand).resolves({});
  d.on(QueryCommand).resolves({ Items: [{ pk: { S: 'L#shop/web-3' }, sk: { S: '000000000001' } }], Count: 1, ScannedCount: 1 });
  const client = new DynamoDBClient({ region: REGION });
  expect(await ensureLookups(client, 'berth')).toBe(1);
  await new DynamoBuildLogs({ client, tableName: 'berth' }).delete({ kind: 'Build', project: 'shop', name: 'web-3' });
});

/** Pods' Secret values pinned by the fleet pass: made, then a new version (Secrets Manager API Reference: CreateSecret, PutSecretValue). */
const podSecretsWork = (project: string) => capture(async () => {
  const Name = `berth/${project}/db`;
  mocks.sm.on(CreateSecretCommand).resolves({ ARN: smSecret(Name), Name, VersionId: 'v1' });
  mocks.sm.on(PutSecretValueCommand).resolves({ ARN: smSecret(Name), Name, VersionId: 'v2', VersionStages: ['AWSCURRENT'] });
  const secrets = new EcsPodSecrets({ client: new SecretsManagerClient({ region: REGION }) });
  await secrets.pin(project, 'db', { password: 'one' });
  mocks.sm.on(CreateSecretCommand).rejects(new ResourceExistsException({ message: `The operation failed because the secret ${Name} already exists.`, $metadata: { httpStatusCode: 400 } }));
  await secrets.pin(project, 'db', { password: 'two' });
});

/** A Secret sealed by one function and opened by another (KMS API Reference: GenerateDataKey, Decrypt). */
const secretBoxWork = () => capture(async () => {
  const dataKey = new Uint8Array(32).fill(7);
  mocks.kms.on(GenerateDataKeyCommand).resolves({ KeyId: SECRETS_KEY, Plaintext: dataKey, CiphertextBlob: new Uint8Array(Buffer.from('wrapped-by-kms')) });
  mocks.kms.on(DecryptCommand).resolves({ KeyId: SECRETS_KEY, Plaintext: dataKey });
  const box = () => new KmsSecretBox({ client: new KMSClient({ region: REGION }), keyId: SECRETS_KEY });
  const sealed = await box().seal('s3cret');
  expect(await box().open(sealed)).toBe('s3cret');
});

/** The API's first cold start reads the generated administrator password (Secrets Manager API Reference: GetSecretValue). */
const adminWork = () => capture(async () => {
  mocks.sm.on(GetSecretValueCommand).resolves({ ARN: ADMIN_SECRET, Name: 'Berth-ControlPlane-AdminPassword', SecretString: 'generated-password' });
  const identity = { bootstrapAdmin: async (password: () => Promise<string>) => password() } as unknown as Identity;
  await bootstrapAdminFromSecret(identity, { BERTH_ADMIN_SECRET_ARN: ADMIN_SECRET, AWS_REGION: REGION });
});
/** What a router host sends at start (agents/router/main.ts): the shared default certificate. */
const ROUTER_CERT_READ: Sent = { name: 'GetSecretValueCommand', input: { SecretId: ROUTER_CERT } };

/** A stored object as DynamoDB gives it back: the store's own PutItem of it, as the transaction wrote it. */
function marshalled(obj: unknown): Record<string, unknown> {
  // Found by its key: the document itself is stored compressed.
  const { kind, metadata } = obj as { kind: string; metadata: { project: string; name: string } };
  const key = keyItem({ kind, project: metadata.project, name: metadata.name });
  const put = mocks.dynamodb.commandCalls(TransactWriteItemsCommand).flatMap((c) => c.args[0].input.TransactItems ?? []).find((i) => i.Put?.Item?.pk?.S === key.pk!.S && i.Put?.Item?.sk?.S === key.sk!.S);
  return put!.Put!.Item!;
}

/**
 * `who` with its kms:EncryptionContext:<key> conditions decided here against `context`: the
 * simulator ignores those keys (it lists them in ignoredContextKeys and never matches them), so a
 * statement whose StringEquals on them `context` meets keeps its other conditions, and one it does
 * not meet is dropped (AWS KMS Developer Guide, "kms:EncryptionContext:context-key").
 */
function underContext(who: Principal, context: Record<string, string>): Principal {
  type Stmt = { Condition?: Record<string, Record<string, unknown>> };
  const statements = ([who.policy.Statement].flat() as Stmt[]).flatMap((st) => {
    const equals = st.Condition?.StringEquals ?? {};
    const keys = Object.keys(equals).filter((k) => k.startsWith('kms:EncryptionContext:'));
    if (keys.length === 0) return [st];
    if (!keys.every((k) => [equals[k]].flat().includes(context[k.slice('kms:EncryptionContext:'.length)]))) return [];
    const rest = Object.fromEntries(Object.entries(equals).filter(([k]) => !keys.includes(k)));
    const { StringEquals: _, ...others } = st.Condition!;
    const { Condition: __, ...unconditioned } = st;
    const Condition = { ...others, ...(Object.keys(rest).length ? { StringEquals: rest } : {}) };
    return [Object.keys(Condition).length ? { ...unconditioned, Condition } : unconditioned];
  });
  return { ...who, policy: { ...who.policy, Statement: statements } as PolicyDocument };
}

describe('the table, sealed secrets and pods\' secret values, under each function\'s policies', () => {
  let fns: Record<'webhooks' | 'fleetEvents' | 'registryEvents', Principal>;
  beforeAll(() => {
    const fn = (name: string, holder: RegExp): Principal => ({ name, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/berth`, policy: policyOf('controlPlane', holder) });
    fns = { webhooks: fn('WebhooksFunctionRole', /^WebhooksFunctionRoleDefaultPolicy/), fleetEvents: fn('FleetEventsFunctionRole', /^FleetEventsFunctionRoleDefaultPolicy/), registryEvents: fn('RegistryEventsFunctionRole', /^RegistryEventsFunctionRoleDefaultPolicy/) };
  });

  it('the object store\'s requests (transactions item by item, reads, queries by index, deletes) are allowed to every function with the table, and to no pod, other project\'s build or router host', async () => {
    answer();
    const sent = await storeWork();
    // The update writes the object the store has just read, without reading it again.
    expect(sent.map((c) => c.name)).toEqual([
      'GetItemCommand', 'TransactWriteItemsCommand', 'GetItemCommand', 'PutItemCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand', 'GetItemCommand', 'TransactWriteItemsCommand',
    ]);
    expect(sent.filter((c) => c.name === 'QueryCommand').map((c) => c.input.IndexName)).toEqual([undefined, 'byKind', undefined]);
    for (const who of [api, stream, resync, claims, fns.webhooks, fns.fleetEvents, fns.registryEvents]) expect(refused(await verdicts(who, sent)), who.name).toEqual([]);
    // (A build writes its own project's partition: its Build, its ImageStreams; see the build scope.
    // Every build may check that a project exists, the condition of any create: C#Project.)
    for (const who of [podOf('shop'), podTask, build('attacker', 'web-3')]) {
      const v = (await verdicts(who, sent)).filter((x) => !(who.name.startsWith('build') && /ConditionCheckItem/.test(x)));
      expect(v.length).toBeGreaterThan(5);
      expect(v.filter((x) => x.startsWith('Allowed')), who.name).toEqual([]);
    }
    // The router host reads Routes and Services by index only, and writes nothing of the store's.
    expect((await verdicts(router, sent.filter((c) => c.name !== 'QueryCommand' || !c.input.IndexName))).filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });

  it('the lookups migration (Scan, BatchWriteItem) and a deleted build\'s log removal are allowed to the reconciler functions, and to no pod, build or router host', async () => {
    answer();
    const created = (await storeWork()).find((c) => c.name === 'TransactWriteItemsCommand')!;
    const stored = (created.input.TransactItems as { Put?: { Item: Record<string, unknown> } }[]).find((i) => i.Put && 'doc' in i.Put.Item)!.Put!.Item;
    const sent = await maintenanceWork(stored);
    expect([...new Set(sent.map((c) => c.name))].sort()).toEqual(['BatchWriteItemCommand', 'GetItemCommand', 'PutItemCommand', 'QueryCommand', 'ScanCommand']);
    for (const who of [resync, stream]) expect(refused(await verdicts(who, sent)), who.name).toEqual([]);
    for (const who of [podOf('shop'), podTask, build('shop', 'web-4'), router]) {
      const writes = sent.filter((c) => c.name === 'ScanCommand' || c.name === 'BatchWriteItemCommand');
      expect((await verdicts(who, writes)).filter((x) => x.startsWith('Allowed')), who.name).toEqual([]);
    }
  });

  it('a Secret sealed and opened (KMS, with Berth\'s encryption context) is allowed to the functions that hold Secrets; the others, pods and router hosts are denied, and any other context is', async () => {
    const sent = await secretBoxWork();
    expect(sent.map((c) => c.name)).toEqual(['GenerateDataKeyCommand', 'DecryptCommand']);
    // KMS always evaluates the key policy: the synthesised one is CDK's default, which gives the
    // account (its IAM policies) the key (AWS KMS Developer Guide, "Default key policy").
    const keyPolicy = all.filter((st) => st.stack === 'state' && st.holderType === 'AWS::KMS::Key');
    expect(keyPolicy.map((st) => [st.effect, st.actions, st.resources, JSON.stringify(st.raw.Principal)])).toEqual([['Allow', ['kms:*'], ['*'], expect.stringMatching(/"arn:",\{"Ref":"AWS::Partition"\},":iam::",\{"Ref":"AWS::AccountId"\},":root"/)]]);
    const delegation: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] } as PolicyDocument;
    const allowedFor = async (who: Principal, commands: Sent[]) => {
      const out: string[] = [];
      for (const c of commands) {
        const { policy, boundary, context, arn } = underContext(who, c.input.EncryptionContext as Record<string, string>);
        for (const req of iamRequestsOf(c)) out.push(`${await decide(policy, { principal: arn, action: req.action, resource: req.resource, accountId: ACCOUNT, context: { ...context } }, boundary, delegation)} ← ${c.name}: ${req.action}`);
      }
      return out;
    };
    for (const who of [api, fns.webhooks, stream, resync]) expect(refused(await allowedFor(who, sent)), who.name).toEqual([]);
    for (const who of [claims, fns.fleetEvents, fns.registryEvents, podOf('shop'), podTask, router]) {
      expect((await allowedFor(who, sent)).filter((x) => x.startsWith('Allowed')), who.name).toEqual([]);
    }
    const otherContext = sent.map((c) => ({ ...c, input: { ...c.input, EncryptionContext: { 'berth:purpose': 'something-else' } } }));
    expect((await allowedFor(api, otherContext)).filter((x) => x.startsWith('Allowed'))).toEqual([]);
    // A build opens its own project's Secrets (build env, source credentials) but makes no data key.
    expect(await allowedFor(build('shop', 'web-3'), sent)).toEqual([expect.not.stringMatching(/^Allowed/), expect.stringMatching(/^Allowed/)]);
  });

  it('pods\' Secret values are written by the fleet pass under berth/ with Berth\'s tags; not outside berth/, and never by a pod, a build or a router host', async () => {
    answer();
    const sent = await podSecretsWork('shop');
    expect(sent.map((c) => c.name)).toEqual(['CreateSecretCommand', 'CreateSecretCommand', 'PutSecretValueCommand']);
    for (const who of [resync, stream]) expect(refused(await verdicts(who, sent))).toEqual([]);
    for (const who of [api, claims, podOf('shop'), podOf('attacker'), podTask, build('attacker', 'web-1'), router]) {
      expect((await verdicts(who, sent)).filter((x) => x.startsWith('Allowed')), who.name).toEqual([]);
    }
    const outside = sent.map((c) => ({ ...c, input: { ...c.input, ...(c.input.Name ? { Name: 'prod/payments' } : { SecretId: 'prod/payments' }) } }));
    expect((await verdicts(resync, outside)).filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });

  it('the generated administrator password is read by the API alone; the routers\' shared certificate by router hosts alone', async () => {
    answer();
    const sent = await adminWork();
    expect(sent).toEqual([{ name: 'GetSecretValueCommand', input: { SecretId: ADMIN_SECRET } }]);
    expect(refused(await verdicts(api, sent))).toEqual([]);
    expect(refused(await verdicts(router, [ROUTER_CERT_READ]))).toEqual([]);
    for (const who of [stream, resync, claims, fns.webhooks, fns.fleetEvents, fns.registryEvents, podOf('shop'), podTask, build('shop', 'web-3')]) {
      expect((await verdicts(who, [...sent, ROUTER_CERT_READ])).filter((x) => x.startsWith('Allowed')), who.name).toEqual([]);
    }
    expect((await verdicts(router, sent)).filter((x) => x.startsWith('Allowed'))).toEqual([]);
    expect((await verdicts(api, [ROUTER_CERT_READ])).filter((x) => x.startsWith('Allowed'))).toEqual([]);
  });
});
