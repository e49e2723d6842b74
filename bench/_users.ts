// What the CLI benchmarks share: a fresh table on a DynamoDB Local engine with the cluster admin
// and a user `dev` (password bench-dev-password).
import { Identity } from '../shared/auth/identity.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { ensureTable } from '../shared/store/table.ts';

export const DEV_PASSWORD = 'bench-dev-password';

export async function benchStore(endpoint: string): Promise<{ store: DynamoObjectStore; identity: Identity }> {
  const client = createDynamoClient({ endpoint });
  await ensureTable(client, 'bench');
  const store = new DynamoObjectStore({ client, tableName: 'bench' });
  const identity = new Identity(store);
  await identity.bootstrapAdmin('bench-admin-password');
  await identity.createUser('dev', DEV_PASSWORD);
  return { store, identity };
}
