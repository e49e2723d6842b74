// Wiring of registry logins per project for the API function on AWS: the push role
// (BERTH_REGISTRY_PUSH_ROLE_ARN) assumed with a session policy per project, ECR at BERTH_REGISTRY.
// Clients are made by the first login.
import { ECRClient } from '@aws-sdk/client-ecr';
import { STSClient } from '@aws-sdk/client-sts';
import type { ApiDeps } from '../shared/api/env.ts';
import { EcrPushCredentials } from '../shared/aws/ecr-push-credentials.ts';
import { EcrRegistry } from '../shared/aws/ecr-registry.ts';

/** The API's registry logins; none without the push role. */
export function registryLogins(env: NodeJS.ProcessEnv): Pick<ApiDeps, 'pushCredentials'> {
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
  return { pushCredentials: { host, issue: (project, user, streams) => made().issue(project, user, streams) } };
}
