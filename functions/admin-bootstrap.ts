// On AWS the first administrator's password is generated into Secrets Manager by the stack; the
// API function makes the administrator from it on its first cold start (later starts find the
// cluster-admin binding and never read the secret).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Identity } from '../shared/auth/identity.ts';

export function bootstrapAdminFromSecret(identity: Identity, env: NodeJS.ProcessEnv): Promise<unknown> {
  const arn = env.BERTH_ADMIN_SECRET_ARN;
  if (!arn) return Promise.resolve();
  return identity.bootstrapAdmin(async () => {
    const out = await new SecretsManagerClient({ region: env.AWS_REGION }).send(new GetSecretValueCommand({ SecretId: arn }));
    if (!out.SecretString) throw new Error(`secret ${arn} has no string value`);
    return out.SecretString;
  });
}
