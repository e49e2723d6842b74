// Wiring for the Lambda entry points: the only place (with agents/) that reads the environment
// and creates AWS clients.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { pino } from 'pino';
import { Identity } from '../shared/auth/identity.ts';
import type { ApiDeps } from '../shared/api/env.ts';
import { triggerSecretsCodec } from '../shared/build/trigger-codec.ts';
import { KmsSecretBox, LocalSecretBox, type SecretBox } from '../shared/secrets/index.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';

/**
 * Secrets are sealed with KMS on AWS (BERTH_SECRETS_KEY_ARN); a key file (BERTH_SECRETS_KEY_FILE)
 * serves local runs of the same entry points. Without either, the functions refuse to start.
 */
export function secretBox(env: NodeJS.ProcessEnv): SecretBox {
  if (env.BERTH_SECRETS_KEY_ARN) return new KmsSecretBox({ client: new KMSClient({ region: env.AWS_REGION }), keyId: env.BERTH_SECRETS_KEY_ARN });
  const file = env.BERTH_SECRETS_KEY_FILE;
  if (!file) throw new Error('neither BERTH_SECRETS_KEY_ARN nor BERTH_SECRETS_KEY_FILE is set');
  let box: Promise<SecretBox> | undefined;
  const load = () => (box ??= LocalSecretBox.fromKeyFile(file));
  return { seal: async (plain) => (await load()).seal(plain), open: async (sealed) => (await load()).open(sealed) };
}

/** The DynamoDB client of a function: DynamoDB in the region, or DYNAMODB_ENDPOINT for local runs. */
export function dynamoClientFrom(env: NodeJS.ProcessEnv): DynamoDBClient {
  return createDynamoClient({ region: env.AWS_REGION, endpoint: env.DYNAMODB_ENDPOINT });
}

export function wire(env: NodeJS.ProcessEnv = process.env, client: DynamoDBClient = dynamoClientFrom(env)): ApiDeps {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new Error('TABLE_NAME is not set');
  const store = new DynamoObjectStore({ client, tableName });
  return {
    store,
    identity: new Identity(store),
    codecs: { BuildConfig: triggerSecretsCodec(secretBox(env)) },
    logger: pino({ level: env.LOG_LEVEL ?? 'info' }),
    version: env.BERTH_VERSION,
  };
}
