// Per-project task execution roles: the control plane makes one IAM role per project at run time
// (shared/aws/iam-project-roles.ts), under the path /berth/projects/ and this construct's
// permissions boundary. The boundary is the ceiling of every such role, whatever its inline policy
// says: log in to ECR, pull the repositories of the project named by the role's own berth:project
// tag and the shared images (berth/s2i/*, berth/openshift/*), write that project's log streams in
// the pods' log group, read that project's pods' Secret values, mount the claims file system
// through an access point (which ones, the role's claim-mounts policy says), open ECS Exec's
// Session Manager channels from inside its own tasks (pods with claims run with the project role
// as task role) — nothing else. The control plane may create, change and delete roles only
// on that path and only with that boundary, tag them only with Berth's tags, and pass them only
// to ECS tasks.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Effect, Grant, ManagedPolicy, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MANAGED_TAG, PROJECT_TAG } from '../../shared/aws/ownership.ts';
import { ECR_PULL_ACTIONS, EFS_CLIENT_ACTIONS, EXEC_CHANNEL_ACTIONS, LOG_ACTIONS, POD_SECRET_PREFIX, PROJECT_ROLE_PATH, SECRET_ACTIONS, SHARED_IMAGE_NAMESPACES, SHARED_IMAGES } from '../../shared/aws/project-roles.ts';
import { REPOSITORY_PREFIX } from './registry.ts';

/** The role's own project, as IAM reads it from the role's tags when the role is used. */
const ROLE_PROJECT = `\${aws:PrincipalTag/${PROJECT_TAG}}`;

export interface ProjectRolesProps {
  /** The pods' log group (awslogs driver; streams are prefixed with the project). */
  podLogGroup: ILogGroup;
  /** The claims file system: a project's pods mount their claims' access points on it (which ones, the role's claim-mounts policy says). */
  claimsFileSystemArn: string;
}

export class ProjectRoles extends Construct {
  /** The permissions boundary of every project role. */
  readonly boundary: ManagedPolicy;

  constructor(scope: Construct, id: string, props: ProjectRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const repositories = (ns: string) => stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${REPOSITORY_PREFIX}/${ns}/*` });
    this.boundary = new ManagedPolicy(this, 'Boundary', {
      path: '/berth/',
      description: 'Berth: the most a project\'s pod execution role may ever do (pull its own and the shared images, write its own log streams)',
      statements: [
        // GetAuthorizationToken has no resource-level permissions.
        new PolicyStatement({ sid: 'RegistryLogin', effect: Effect.ALLOW, actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new PolicyStatement({ sid: 'PullOwnAndSharedImages', effect: Effect.ALLOW, actions: ECR_PULL_ACTIONS, resources: [...[ROLE_PROJECT, ...SHARED_IMAGE_NAMESPACES].map(repositories), ...SHARED_IMAGES.map((name) => stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${REPOSITORY_PREFIX}/${name}` }))] }),
        new PolicyStatement({
          sid: 'OwnLogStreams', effect: Effect.ALLOW, actions: LOG_ACTIONS,
          resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${props.podLogGroup.logGroupName}:log-stream:${ROLE_PROJECT}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
        // The project's Secret values, which ECS's agent fetches when a task starts (shared/aws/ecs-pod-secrets.ts).
        new PolicyStatement({
          sid: 'OwnSecrets', effect: Effect.ALLOW, actions: SECRET_ACTIONS,
          resources: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${POD_SECRET_PREFIX}/${ROLE_PROJECT}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
        // Pods' claims: mount and write the claims file system, through an access point, never as
        // root; which access points, the role's own claim-mounts policy lists (the project's).
        new PolicyStatement({
          sid: 'MountClaims', effect: Effect.ALLOW, actions: EFS_CLIENT_ACTIONS, resources: [props.claimsFileSystemArn],
          conditions: { Null: { 'elasticfilesystem:AccessPointArn': 'false' } },
        }),
        // ECS Exec's agent in a pod with claims (whose task role is the project role) connects its
        // sessions with these; no resource-level permission exists, and they start no session.
        new PolicyStatement({ sid: 'ExecChannels', effect: Effect.ALLOW, actions: EXEC_CHANNEL_ACTIONS, resources: ['*'] }),
      ],
    });
  }

  /** Every project role: arn:…:role/berth/projects/*. */
  get rolesArn(): string {
    return Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${PROJECT_ROLE_PATH.slice(1)}*` });
  }

  /**
   * Lets the control plane make, change and delete project roles: only under /berth/projects/,
   * only with the boundary (iam:PermissionsBoundary, which IAM sets on CreateRole, PutRolePolicy,
   * DeleteRolePolicy and DeleteRole requests), only with Berth's tags (TagRole, which CreateRole
   * with tags needs, carries no boundary key: its tags are held instead).
   */
  grantManage(grantee: IGrantable): void {
    const boundary = { 'iam:PermissionsBoundary': this.boundary.managedPolicyArn };
    const managed = { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' };
    const onlyBerthTags = { 'aws:TagKeys': [MANAGED_TAG, PROJECT_TAG] };
    const add = (actions: string[], conditions?: Record<string, Record<string, unknown>>) => Grant.addToPrincipal({ grantee, actions, resourceArns: [this.rolesArn], conditions });
    add(['iam:CreateRole'], { StringEquals: { ...boundary, ...managed }, 'ForAllValues:StringEquals': onlyBerthTags });
    add(['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:DeleteRole'], { StringEquals: boundary });
    add(['iam:TagRole'], { StringEquals: managed, 'ForAllValues:StringEquals': onlyBerthTags });
    // Finding a role that exists already, to check it is Berth's before changing it.
    add(['iam:GetRole']);
  }

  /**
   * Lets the claims function write each project role's claim-mounts policy: find the role, put
   * and delete its inline policies, only on roles with the boundary.
   */
  grantClaimMounts(grantee: IGrantable): void {
    Grant.addToPrincipal({ grantee, actions: ['iam:GetRole'], resourceArns: [this.rolesArn] });
    Grant.addToPrincipal({ grantee, actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'], resourceArns: [this.rolesArn], conditions: { StringEquals: { 'iam:PermissionsBoundary': this.boundary.managedPolicyArn } } });
  }

  /** Lets the fleet pass name project roles in pod task definitions: only these, only to ECS tasks. */
  grantPass(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['iam:PassRole'], resourceArns: [this.rolesArn], conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } });
  }
}
