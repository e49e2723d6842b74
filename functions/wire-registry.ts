// Wiring of registry logins per project for the API function on AWS: the push role
// (BERTH_REGISTRY_PUSH_ROLE_ARN) assumed with a session policy per project, ECR at BERTH_REGISTRY.
// Imports run as ECS tasks of BERTH_IMPORT_TASK_DEFINITION in BERTH_CLUSTER, on
// BERTH_BUILD_CAPACITY_PROVIDER, with the same role narrowed to one repository.
// Clients are made by the first login or import.
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import type { ApiDeps } from '../shared/api/env.ts';
import { EcrPushCredentials } from '../shared/aws/ecr-push-credentials.ts';
import { EcrRegistry } from '../shared/aws/ecr-registry.ts';
import { EcsImageImports } from '../shared/aws/ecs-image-imports.ts';
import type { ImageImportTasks } from '../shared/registry/import-tasks.ts';
import { DEFAULT_IMPORT_MAX_BYTES } from '../shared/registry/import-outcome.ts';

/** The API's registry logins and import tasks; none without the push role, no imports without the import task definition. */
export function registryLogins(env: NodeJS.ProcessEnv): Pick<ApiDeps, 'pushCredentials' | 'imageImports'> {
  const roleArn = env.BERTH_REGISTRY_PUSH_ROLE_ARN;
  const host = env.BERTH_REGISTRY;
  if (!roleArn || !host) return {};
  const region = env.AWS_REGION ?? '';
  const prefix = env.BERTH_REPOSITORY_PREFIX ?? 'berth';
  let issuer: EcrPushCredentials | undefined;
  const made = () => (issuer ??= new EcrPushCredentials({
    sts: new STSClient({ region }), roleArn, region, prefix, host,
    ensureRepository: (project, stream) => new EcrRegistry({ client: new ECRClient({ region }), host, prefix }).ensureRepository(project, stream),
  }));
  const pushCredentials = { host, issue: (project: string, user: string, streams: readonly string[]) => made().issue(project, user, streams) };
  const taskDefinition = env.BERTH_IMPORT_TASK_DEFINITION;
  const cluster = env.BERTH_CLUSTER;
  const capacityProvider = env.BERTH_BUILD_CAPACITY_PROVIDER;
  if (!taskDefinition || !cluster || !capacityProvider) return { pushCredentials };
  const maxBytes = env.BERTH_IMPORT_MAX_BYTES ? Number(env.BERTH_IMPORT_MAX_BYTES) : undefined;
  let imports: EcsImageImports | undefined;
  const importer = () => (imports ??= new EcsImageImports({
    ecs: new ECSClient({ region }), sts: new STSClient({ region }), cluster, taskDefinition, capacityProvider, roleArn, region, prefix, host, maxBytes,
    ensureRepository: (project, stream) => new EcrRegistry({ client: new ECRClient({ region }), host, prefix }).ensureRepository(project, stream),
  }));
  const imageImports: ImageImportTasks = {
    host,
    maxBytes: maxBytes ?? DEFAULT_IMPORT_MAX_BYTES,
    allowPrivateSources: false,
    start: (req) => importer().start(req),
    state: (task) => importer().state(task),
    result: (project, stream, tag) => importer().result(project, stream, tag),
  };
  return { pushCredentials, imageImports };
}
