// One imagined deployment of Berth, for the tests that evaluate the synthesised IAM policies
// offline: its account, region and the concrete names and ARNs of what the stacks make, and
// `deployed`, which turns synthesised values (imports, references) into those ARNs.
import { deployedIn } from './iam.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
const arn = (service: string, resource: string, region = REGION) => `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;

export const CLUSTER = 'berth-fleet';
export const CLUSTER_ARN = arn('ecs', `cluster/${CLUSTER}`);
export const TABLE = arn('dynamodb', 'table/berth');
export const BUCKET = 'berth-sources';
export const SECRETS_KEY = arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab');
/** The first administrator's generated password (the control-plane stack's secret) and the routers' shared default certificate. */
export const ADMIN_SECRET = arn('secretsmanager', 'secret:Berth-ControlPlane-AdminPassword-AbCdEf');
export const ROUTER_CERT = arn('secretsmanager', 'secret:Berth-Router-DefaultCertificate-GhIjKl');
export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
export const BUILD_SCOPE_ROLE = arn('iam', 'role/Berth-Fleet-BuildScopeRole', '');
export const BUILDER_TASK_ROLE = arn('iam', 'role/Berth-Fleet-BuilderTaskRole', '');
export const BUILDER_EXECUTION_ROLE = arn('iam', 'role/Berth-Fleet-BuilderTaskDefinitionExecutionRole', '');
export const POD_TASK_ROLE = arn('iam', 'role/Berth-Fleet-PodTaskRole', '');
export const IMPORT_TASK_ROLE = arn('iam', 'role/Berth-Fleet-ImporterTaskRole', '');
export const IMPORT_EXECUTION_ROLE = arn('iam', 'role/Berth-Fleet-ImporterTaskDefinitionExecutionRole', '');
/** The registry push role the API assumes for push logins (in the control plane stack). */
export const PUSH_ROLE = arn('iam', 'role/Berth-ControlPlane-RegistryPushRole', '');
export const BOUNDARY = arn('iam', 'policy/berth/Berth-Fleet-ProjectRolesBoundary', '');
export const POD_LOG_GROUP = 'Berth-Fleet-PodLogs';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const CLAIMS_FS = 'fs-0abc1234def567890';
export const CLAIMS_FS_ARN = arn('elasticfilesystem', `file-system/${CLAIMS_FS}`);
/** The claims function's own access point (/berth, root). */
export const CLAIMS_DATA_AP = 'fsap-0d0d0d0d0d0d0d0d0';
/** The ARN of an EFS access point. */
export const accessPoint = (id: string): string => arn('elasticfilesystem', `access-point/${id}`);
/** The ARN of an ECR repository under berth/. */
export const repo = (name: string): string => arn('ecr', `repository/berth/${name}`);
/** The ARN of a role by path and name. */
export const role = (pathAndName: string): string => arn('iam', `role/${pathAndName}`, '');

export const deployed = deployedIn(ACCOUNT, REGION, [
  [/<import:[^>]*FnGetAttTable\w*StreamArn\w*>/g, `${TABLE}/stream/2026-12-01T00:00:00.000`],
  [/<import:[^>]*FnGetAttTable[^>]*>/g, TABLE],
  [/<import:[^>]*FnGetAttCluster[^>]*>/g, CLUSTER_ARN],
  [/<import:[^>]*RefCluster[^>]*>/g, CLUSTER],
  [/<import:[^>]*SourcesBucket[^>]*>/g, `arn:aws:s3:::${BUCKET}`],
  [/<import:[^>]*SecretsKey[^>]*>/g, SECRETS_KEY],
  [/<import:[^>]*RefVpc[^>]*>/g, VPC_ID],
  [/<import:[^>]*BuildScopeRole[^>]*>/g, BUILD_SCOPE_ROLE],
  [/<import:[^>]*BuilderTaskDefinitionExecutionRole[^>]*>/g, BUILDER_EXECUTION_ROLE],
  [/<import:[^>]*BuilderTaskRole[^>]*>/g, BUILDER_TASK_ROLE],
  [/<import:[^>]*ImporterTaskDefinitionExecutionRole[^>]*>/g, IMPORT_EXECUTION_ROLE],
  [/<import:[^>]*ImporterTaskRole[^>]*>/g, IMPORT_TASK_ROLE],
  [/<import:[^>]*PodTaskRole[^>]*>|<PodTaskRole[0-9A-F]{8}Arn>/g, POD_TASK_ROLE],
  [/<import:[^>]*ProjectRolesBoundary[^>]*>|<ProjectRolesBoundary[0-9A-F]{8}>/g, BOUNDARY],
  [/<import:[^>]*PodLogs[^>]*>|<PodLogs[0-9A-F]{8}>/g, POD_LOG_GROUP],
  [/<import:[^>]*RegistryBuilder[^>]*>/g, repo('builder')],
  [/<import:[^>]*ClaimsFileSystemDataAccessPoint[^>]*>/g, CLAIMS_DATA_AP],
  [/<import:[^>]*ClaimsFileSystem[0-9A-F]{8}Arn[^>]*>|<ClaimsFileSystem[0-9A-F]{8}\.Arn>/g, CLAIMS_FS_ARN],
  [/<import:[^>]*RegistryS2i(\w+?)[0-9A-F]{8}Arn\w*>/g, repo('s2i/$1')],
  [/<import:[^>]*RegistryOpenshift(\w+?)[0-9A-F]{8}Arn\w*>/g, repo('openshift/$1')],
  [/<RegistryPushRole[0-9A-F]{8}\.Arn>/g, PUSH_ROLE],
  [/<AdminPassword[0-9A-F]{8}>/g, ADMIN_SECRET],
  [/<DefaultCertificate[0-9A-F]{8}>/g, ROUTER_CERT],
]);
