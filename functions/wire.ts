// Wiring for the Lambda entry points: the only place (with agents/) that reads the environment
// and creates AWS clients. Clients that only some requests need (KMS, S3) are made by the first
// of them, not at every cold start.
import { rateLimitFrom } from '../shared/api/rate-limit.ts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { Identity } from '../shared/auth/identity.ts';
import type { ApiDeps } from '../shared/api/env.ts';
import { specCodecs } from '../shared/secrets/codecs.ts';
import { KmsSecretBox, LocalSecretBox, type SecretBox } from '../shared/secrets/index.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { DynamoPushSubscriptions } from '../shared/push/subscriptions.ts';
import { lazyLogger } from './lazy-logger.ts';
import { settingsFromEnv } from '../shared/trials/settings.ts';
import { LAMBDA_WATCH, watchSettingsFromEnv } from '../shared/api/watch-route.ts';

/**
 * An object whose `methods` wait for `make()`, run by the first call of one of them (a failed
 * attempt is forgotten): what only some requests use is made by the first of them, and a
 * function that never uses it never pays for it.
 */
export function onFirstUse<T, K extends keyof T>(make: () => Promise<T>, methods: readonly K[]): Pick<T, K> {
  let made: Promise<T> | undefined;
  const load = () =>
    (made ??= make().catch((err) => {
      made = undefined;
      throw err;
    }));
  const call = (method: K) => async (...args: unknown[]) => {
    const target = await load();
    return (target[method] as unknown as (...a: unknown[]) => Promise<unknown>).apply(target, args);
  };
  return Object.fromEntries(methods.map((m) => [m, call(m)])) as unknown as Pick<T, K>;
}

/**
 * Secrets are sealed with KMS on AWS (BERTH_SECRETS_KEY_ARN); a key file (BERTH_SECRETS_KEY_FILE)
 * serves local runs of the same entry points. Without either, the functions refuse to start.
 */
export function secretBox(env: NodeJS.ProcessEnv): SecretBox {
  const keyId = env.BERTH_SECRETS_KEY_ARN;
  if (keyId) return onFirstUse(async () => new KmsSecretBox({ client: new KMSClient({ region: env.AWS_REGION }), keyId }), ['seal', 'open']);
  const file = env.BERTH_SECRETS_KEY_FILE;
  if (!file) throw new Error('neither BERTH_SECRETS_KEY_ARN nor BERTH_SECRETS_KEY_FILE is set');
  return onFirstUse(() => LocalSecretBox.fromKeyFile(file), ['seal', 'open']);
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
    codecs: specCodecs(secretBox(env)),
    // pino is loaded by the first record: most API cold starts log nothing.
    logger: lazyLogger({ level: env.LOG_LEVEL ?? 'info' }),
    version: env.BERTH_VERSION,
    // Sign-up is off on AWS unless the deployment opens it (context berth:signup=open).
    trials: settingsFromEnv(env, 'off'),
    rateLimit: rateLimitFrom(env, client, tableName),
    // A held watch is billed by the second on Lambda: answered at once unless the deployment sets PAAS_WATCH_MAX_S.
    watch: watchSettingsFromEnv(env, LAMBDA_WATCH),
    // Where clients wait to be told of changes instead (the WebSocket API's URL), named on watch and log answers.
    // Tickets open a connection for the console's script, which cannot send the token in the handshake.
    ...(env.BERTH_PUSH_URL ? { watchPush: { url: env.BERTH_PUSH_URL, tickets: new DynamoPushSubscriptions({ client, tableName }) } } : {}),
    // On AWS a Service is its name in Cloud Map, answered with its proxy's address, and pods are
    // given that name (the reconcilers' serviceNames): no cluster IP would name anything.
    servicesByName: true,
  };
}
