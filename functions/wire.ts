// Wiring for the Lambda entry points: the only place (with agents/up) that reads the
// environment and creates AWS clients.
import { Identity } from '../shared/auth/identity.ts';
import type { ApiDeps } from '../shared/api/env.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { pino } from 'pino';

export function wire(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new Error('TABLE_NAME is not set');
  const client = createDynamoClient({ region: env.AWS_REGION, endpoint: env.DYNAMODB_ENDPOINT });
  const store = new DynamoObjectStore({ client, tableName });
  return { store, identity: new Identity(store), logger: pino({ level: env.LOG_LEVEL ?? 'info' }), version: env.BERTH_VERSION };
}
