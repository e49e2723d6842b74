// Reading a Secrets Manager secret, loaded when the first administrator is made on a fresh
// deployment (functions/admin-bootstrap.ts), which later cold starts never need.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export async function secretString(region: string | undefined, arn: string): Promise<string> {
  const out = await new SecretsManagerClient({ region }).send(new GetSecretValueCommand({ SecretId: arn }));
  if (!out.SecretString) throw new Error(`secret ${arn} has no string value`);
  return out.SecretString;
}
