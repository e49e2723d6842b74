// The pure side of per-project task execution roles on AWS (STYLE 8): the name, ARN, trust
// policy and permissions of the role a project's pod tasks pull their images and ship their logs
// with. Each project has its own role, under the path /berth/projects/ and the permissions boundary
// the fleet stack defines: it may pull only its project's repositories (berth/<project>/*) and
// the platform's shared images (berth/s2i/*, berth/openshift/*), and write only its project's log
// streams (<project>/…) in the pods' log group. The adapter (iam-project-roles.ts) sends what
// these functions build.
import { createHash } from 'node:crypto';
import type { CreateRoleCommandInput } from '@aws-sdk/client-iam';
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';

/** Every project's role lives under this path; the control plane may create and delete roles only here. */
export const PROJECT_ROLE_PATH = '/berth/projects/';
/** The one inline policy of a project role. */
export const PROJECT_ROLE_POLICY_NAME = 'pull-and-logs';
/**
 * Namespaces under the repository prefix that hold the platform's shared images on ECR, which
 * every project may pull: the S2I builder images and the `openshift` project's images.
 */
export const SHARED_IMAGE_NAMESPACES: readonly string[] = ['s2i', 'openshift'];
/** The repository of the Services' proxy image (`berth/service-proxy`; service-proxy-task.ts): each proxy runs as its project's. */
export const SERVICE_PROXY_REPOSITORY = 'service-proxy';
/** Single repositories under the prefix that every project's role pulls, beside the shared namespaces. */
export const SHARED_IMAGES: readonly string[] = [SERVICE_PROXY_REPOSITORY];
/** IAM keeps role names to 64 characters. */
const ROLE_NAME_MAX = 64;
const ROLE_NAME_PREFIX = 'berth-';

/** ECR pulls: what a task execution role needs to fetch an image (ECR User Guide, "Private repository policies"). */
export const ECR_PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
/** The awslogs log driver's calls (ECS Developer Guide, "Using the awslogs log driver"). */
export const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** ECS's agent reads a task's Secrets Manager secrets with its execution role (ECS Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables"). */
export const SECRET_ACTIONS = ['secretsmanager:GetSecretValue'];
/**
 * What mounting an EFS access point with IAM authorization takes of the task role: connect, and
 * write (EFS User Guide, "Using IAM to control file system data access"). Never ClientRootAccess:
 * a pod's root is squashed, and the access point runs every request as the project's UID anyway.
 */
export const EFS_CLIENT_ACTIONS = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'];
/**
 * The Session Manager channels ECS Exec's agent opens with the task role (ECS Developer Guide,
 * "Monitor Amazon ECS containers with ECS Exec", IAM permissions required for ECS Exec). They have
 * no resource-level permission; they only let the agent inside the task connect its own
 * sessions, and start none (that is ecs:ExecuteCommand and ssm:StartSession, the API's alone).
 */
export const EXEC_CHANNEL_ACTIONS = ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'];
/** The second inline policy of a project role: which claims' access points its pods may mount (written by the claim reconciler). */
export const CLAIM_MOUNT_POLICY_NAME = 'claim-mounts';
/** Pods' Secret values live at `berth/<project>/<secret>` in Secrets Manager (shared/aws/ecs-pod-secrets.ts). */
export const POD_SECRET_PREFIX = 'berth';

export interface ProjectRoleSettings {
  /** The permissions boundary every project role carries: `arn:<partition>:iam::<account>:policy/…`. */
  boundaryArn: string;
  region: string;
  /** The repository prefix of Berth's ECR repositories (`berth`). */
  repositoryPrefix: string;
  /** The pods' log group (awslogs), when pods ship logs. */
  logGroup?: string;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: { Sid?: string; Effect: 'Allow' | 'Deny'; Action: string[]; Resource?: string[]; Condition?: Record<string, Record<string, string | string[]>>; Principal?: unknown }[];
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** The partition and account of an IAM ARN. */
export function accountOf(arn: string): { partition: string; account: string } {
  const m = /^arn:([a-z-]+):iam::(\d{12}):/.exec(arn);
  if (!m) throw new Error(`not an IAM ARN of an account: ${arn}`);
  return { partition: m[1]!, account: m[2]! };
}

/**
 * The role name of a project: `berth-<project>`, shortened with a hash past IAM's 64 characters.
 * @example projectRoleName('shop') // 'berth-shop'
 */
export function projectRoleName(project: string): string {
  const name = `${ROLE_NAME_PREFIX}${project}`;
  if (name.length <= ROLE_NAME_MAX) return name;
  const hash = sha(project).slice(0, 16);
  return `${name.slice(0, ROLE_NAME_MAX - hash.length - 1)}-${hash}`;
}

/**
 * The ARN of a project's role, in the account of `boundaryArn` (pods name it in their task definitions).
 * @example projectRoleArn('arn:aws:iam::111122223333:policy/berth/x', 'shop') // 'arn:aws:iam::111122223333:role/berth/projects/berth-shop'
 */
export function projectRoleArn(boundaryArn: string, project: string): string {
  const { partition, account } = accountOf(boundaryArn);
  return `arn:${partition}:iam::${account}:role${PROJECT_ROLE_PATH}${projectRoleName(project)}`;
}

/**
 * Who may assume a project role: ECS tasks of this account only (the `aws:SourceAccount`
 * condition; IAM User Guide, "The confused deputy problem").
 */
export function trustPolicy(account: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: ['sts:AssumeRole'], Condition: { StringEquals: { 'aws:SourceAccount': account } } }],
  };
}

/** The ARN of a repository (or pattern) under the prefix. */
const repositoryArn = (s: ProjectRoleSettings, name: string) => {
  const { partition, account } = accountOf(s.boundaryArn);
  return `arn:${partition}:ecr:${s.region}:${account}:repository/${s.repositoryPrefix}/${name}`;
};

/** The ARN of the log streams under `prefix/` in the pods' log group. */
export const logStreamsArn = (s: ProjectRoleSettings & { logGroup: string }, prefix: string): string => {
  const { partition, account } = accountOf(s.boundaryArn);
  return `arn:${partition}:logs:${s.region}:${account}:log-group:${s.logGroup}:log-stream:${prefix}/*`;
};

/** The ARN of a project's pods' Secret values in Secrets Manager (the `-??????` suffix AWS adds is matched by `*`). */
const secretsArn = (s: ProjectRoleSettings, project: string) => {
  const { partition, account } = accountOf(s.boundaryArn);
  return `arn:${partition}:secretsmanager:${s.region}:${account}:secret:${POD_SECRET_PREFIX}/${project}/*`;
};

/**
 * The inline policy of a project's role: log in to ECR, pull the project's repositories and the
 * shared images, write the project's log streams, read the project's pods' Secret values. Pure.
 */
export function projectRolePolicy(project: string, s: ProjectRoleSettings): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      // GetAuthorizationToken has no resource-level permissions (Service Authorization Reference, ECR).
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
      { Sid: 'PullOwnAndSharedImages', Effect: 'Allow', Action: ECR_PULL_ACTIONS, Resource: [...[project, ...SHARED_IMAGE_NAMESPACES].map((ns) => repositoryArn(s, `${ns}/*`)), ...SHARED_IMAGES.map((name) => repositoryArn(s, name))] },
      ...(s.logGroup ? [{ Sid: 'OwnLogStreams', Effect: 'Allow' as const, Action: LOG_ACTIONS, Resource: [logStreamsArn({ ...s, logGroup: s.logGroup }, project)] }] : []),
      { Sid: 'OwnSecrets', Effect: 'Allow', Action: SECRET_ACTIONS, Resource: [secretsArn(s, project)] },
    ],
  };
}

/** The tags of a project's role: Berth's, naming the project (the boundary reads berth:project). */
export const projectRoleTags = (project: string) => [
  { Key: MANAGED_TAG, Value: 'true' },
  { Key: PROJECT_TAG, Value: project },
];

/** The CreateRole input of a project's role (IAM API Reference, CreateRole). Pure. */
export function createRoleInput(project: string, s: ProjectRoleSettings): CreateRoleCommandInput {
  return {
    RoleName: projectRoleName(project),
    Path: PROJECT_ROLE_PATH,
    AssumeRolePolicyDocument: JSON.stringify(trustPolicy(accountOf(s.boundaryArn).account)),
    PermissionsBoundary: s.boundaryArn,
    Description: `Berth: image pulls and logs of the pods of project ${project}`.slice(0, 1000),
    MaxSessionDuration: 3600,
    Tags: projectRoleTags(project),
  };
}

/**
 * A short fingerprint of everything a project's role is made of; the project's status records it,
 * so a changed policy reaches every role and an unchanged one costs no IAM call.
 */
export function projectRoleVersion(project: string, s: ProjectRoleSettings): string {
  return sha(JSON.stringify([createRoleInput(project, s), projectRolePolicy(project, s)])).slice(0, 16);
}

/**
 * The claim-mounts policy of a project's role: mount and write the claims file system only
 * through the listed access points, the project's own claims (IAM condition
 * elasticfilesystem:AccessPointArn; the Service Authorization Reference gives ClientMount no
 * access-point resource and no tag keys of the access point, so the ARNs are listed). A pod with
 * claims runs with this role as its task role in place of the fleet's pod task role, so the
 * policy also carries ECS Exec's channels (exec and rsh into such pods); a project without
 * claims has no such policy, and its role, then only an execution role, holds no channel. Pure.
 */
export function claimMountPolicy(fileSystemArn: string, accessPointArns: readonly string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'MountOwnClaims',
      Effect: 'Allow',
      Action: EFS_CLIENT_ACTIONS,
      Resource: [fileSystemArn],
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': [...accessPointArns].sort() } },
    }, {
      Sid: 'ExecChannels',
      Effect: 'Allow',
      Action: EXEC_CHANNEL_ACTIONS,
      Resource: ['*'],
    }],
  };
}
