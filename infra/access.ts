// What each kind of access in the function table (functions.ts) grants, and which environment
// variables it brings: a function gets the variables of exactly what it may touch.
import { Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { REPOSITORY_PREFIX } from './constructs/registry.ts';
import { CLAIMS_MOUNT } from './constructs/claims-file-system.ts';
import { grantServiceDiscovery } from './constructs/service-discovery.ts';
import { RegistryPushRole } from './constructs/registry-push-role.ts';
import type { PushApi } from './constructs/push-api.ts';
import { PUSH_PARTITION_PREFIXES } from '../shared/push/subscriptions.ts';
import { RATE_PARTITION_PREFIX } from '../shared/api/rate-limit.ts';
import type { Access } from './functions.ts';
import type { FleetStack } from './stacks/fleet-stack.ts';
import type { StateStack } from './stacks/state-stack.ts';

export interface AccessTargets {
  state: StateStack;
  fleet: FleetStack;
  adminSecret: ISecret;
  push: PushApi;
}

const ACCESS: Record<Access, (grantee: IGrantable, t: AccessTargets) => Record<string, string>> = {
  table: (grantee, t) => {
    t.state.table.grantReadWriteData(grantee);
    return { TABLE_NAME: t.state.table.tableName };
  },
  secrets: (grantee, t) => {
    t.state.grantSecrets(grantee);
    return { BERTH_SECRETS_KEY_ARN: t.state.secretsKey.keyArn };
  },
  fleet: (grantee, t) => {
    t.fleet.grantControl(grantee);
    return t.fleet.controlEnvironment;
  },
  // Only the resync function runs the fleet autoscaler.
  autoscale: (grantee, t) => t.fleet.grantAutoscaling(grantee),
  registry: (grantee, t) => {
    t.fleet.registry.grantManage(grantee);
    return { BERTH_REGISTRY: t.fleet.registry.host, BERTH_REPOSITORY_PREFIX: REPOSITORY_PREFIX };
  },
  builds: (grantee, t) => {
    t.state.sources.grantUpload(grantee);
    return { BERTH_SOURCES_BUCKET: t.state.sources.bucket.bucketName, BERTH_BUILDER_IMAGES: t.fleet.registry.builderImages };
  },
  'build-cleanup': (grantee, t) => {
    t.state.sources.grantDelete(grantee);
    return { BERTH_SOURCES_BUCKET: t.state.sources.bucket.bucketName };
  },
  'project-roles': (grantee, t) => {
    t.fleet.projectRoles.grantManage(grantee);
    return {
      BERTH_POD_ROLE_BOUNDARY_ARN: t.fleet.projectRoles.boundary.managedPolicyArn,
      BERTH_POD_LOG_GROUP: t.fleet.podLogGroup.logGroupName,
      BERTH_REPOSITORY_PREFIX: REPOSITORY_PREFIX,
    };
  },
  // Push logins per project: the push role, assumable by this function only, and the project's repositories made first.
  'registry-push': (grantee, t) => {
    // The function's own role (PlatformFunction passes it), in its stack.
    const issuer = grantee as IRole;
    const push = new RegistryPushRole(Stack.of(issuer), 'RegistryPush', { issuer });
    push.grantAssume(grantee);
    t.fleet.registry.grantCreate(grantee);
    return { BERTH_REGISTRY: t.fleet.registry.host, BERTH_REPOSITORY_PREFIX: REPOSITORY_PREFIX, BERTH_REGISTRY_PUSH_ROLE_ARN: push.role.roleArn };
  },
  // `berth import-image`: the import task, run by this function, with the push role's session narrowed to one repository ('registry-push').
  'image-import': (grantee, t) => t.fleet.grantImports(grantee),
  'registry-host': (_grantee, t) => ({ BERTH_REGISTRY: t.fleet.registry.host, BERTH_REPOSITORY_PREFIX: REPOSITORY_PREFIX }),
  // Pods' logs and sessions into pods (exec, rsh, port-forward), for the API.
  'pod-streams': (grantee, t) => t.fleet.grantPodStreams(grantee),
  claims: (grantee, t) => {
    t.fleet.claims.grantManage(grantee);
    t.fleet.projectRoles.grantClaimMounts(grantee);
    return { ...t.fleet.claims.environment, BERTH_POD_ROLE_BOUNDARY_ARN: t.fleet.projectRoles.boundary.managedPolicyArn, BERTH_REPOSITORY_PREFIX: REPOSITORY_PREFIX };
  },
  // The claims-data function's mount (its access point, root) comes with its file system
  // configuration (control-plane-stack.ts); here only its variable.
  'claims-data': () => ({ BERTH_CLAIMS_MOUNT: CLAIMS_MOUNT }),
  // Services' names: Cloud Map namespaces in the pods' VPC (the fleet access brings BERTH_VPC_ID too).
  'service-discovery': (grantee, t) => {
    grantServiceDiscovery(grantee, t.fleet.cluster.clusterArn);
    return { BERTH_VPC_ID: t.fleet.controlEnvironment.BERTH_VPC_ID! };
  },
  // The push function is reached by anyone on the internet before any token is checked: it reads
  // (tokens, credentials, role bindings) and writes push connections' items and its users' rate counts only.
  'push-connections': (grantee, t) => {
    t.state.table.grantReadData(grantee);
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [t.state.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...PUSH_PARTITION_PREFIXES, RATE_PARTITION_PREFIX].map((p) => `${p}*`) } },
    });
    return { TABLE_NAME: t.state.table.tableName };
  },
  // Notices of changes: the stream function posts to the connections of the push stage.
  'push-notify': (grantee, t) => {
    t.push.grantPost(grantee);
    return { BERTH_PUSH_ENDPOINT: t.push.callbackUrl };
  },
  // Where clients open push connections: the API advertises it.
  'push-url': (_grantee, t) => ({ BERTH_PUSH_URL: t.push.url }),
  'admin-secret': (grantee, t) => {
    t.adminSecret.grantRead(grantee);
    return { BERTH_ADMIN_SECRET_ARN: t.adminSecret.secretArn };
  },
};

/** Grants every access in `access` to `grantee` and returns the variables they bring. */
export function grantAccess(grantee: IGrantable, access: readonly Access[], targets: AccessTargets): Record<string, string> {
  return Object.assign({}, ...access.map((a) => ACCESS[a](grantee, targets))) as Record<string, string>;
}
