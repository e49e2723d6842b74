// On AWS the first administrator's password is generated into Secrets Manager by the stack; the
// API function makes the administrator from it on its first cold start (later starts find the
// cluster-admin binding, and never read the secret nor load the Secrets Manager client).
import type { Identity } from '../shared/auth/identity.ts';

export function bootstrapAdminFromSecret(identity: Identity, env: NodeJS.ProcessEnv): Promise<unknown> {
  const arn = env.BERTH_ADMIN_SECRET_ARN;
  if (!arn) return Promise.resolve();
  return identity.bootstrapAdmin(async () => (await import('./on-demand/secrets-manager.ts')).secretString(env.AWS_REGION, arn));
}
