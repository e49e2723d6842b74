// The first administrator on AWS comes from the stack's Secrets Manager secret (mocked: no
// local engine), into the real table (DynamoDB Local); the secret is read only when needed.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../shared/auth/identity.ts';
import { bootstrapAdminFromSecret } from '../../functions/admin-bootstrap.ts';
import { freshTable } from '../support/dynamo.ts';

const sm = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth-admin-AbCdEf';

afterEach(() => sm.reset());

describe('admin bootstrap from Secrets Manager', () => {
  it('makes the administrator from the secret once, then never reads it again', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'from-the-secret-123' });
    const t = await freshTable();
    const identity = new Identity(t.store);
    await bootstrapAdminFromSecret(identity, { BERTH_ADMIN_SECRET_ARN: ARN, AWS_REGION: 'eu-west-1' });
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ARN }]);
    expect((await identity.login('admin', 'from-the-secret-123')).user).toBe('admin');
    expect(await identity.isClusterAdmin('admin')).toBe(true);
    await bootstrapAdminFromSecret(identity, { BERTH_ADMIN_SECRET_ARN: ARN, AWS_REGION: 'eu-west-1' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does nothing without the variable, and fails loudly on an empty secret', async () => {
    const t = await freshTable();
    const identity = new Identity(t.store);
    await bootstrapAdminFromSecret(identity, {});
    expect(await identity.isClusterAdmin('admin')).toBe(false);
    sm.on(GetSecretValueCommand).resolves({});
    await expect(bootstrapAdminFromSecret(identity, { BERTH_ADMIN_SECRET_ARN: ARN })).rejects.toThrow(/no string value/);
    expect(await identity.isClusterAdmin('admin')).toBe(false);
  });
});
