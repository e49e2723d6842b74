// The store survives DynamoDB throttling: the SDK retries throttled requests with backoff.
// Throttling is injected below the retry layer of a client talking to DynamoDB Local, so every
// request that finally succeeds really went to the engine.
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { freshTable } from '../support/dynamo.ts';

function throttledClient(failuresPerRequest: number, maxAttempts?: number) {
  const client = createDynamoClient({ endpoint: inject('dynamoEndpoint'), maxAttempts });
  const attempts: string[] = [];
  let failedInARow = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      attempts.push(String(context.commandName));
      if (failedInARow < failuresPerRequest) {
        failedInARow++;
        throw new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: { httpStatusCode: 400 } });
      }
      failedInARow = 0;
      return next(args);
    },
    { step: 'deserialize', name: 'injectThrottling' },
  );
  return { client, attempts };
}

describe('throttling', () => {
  it('writes and reads go through after throttled attempts', async () => {
    const t = await freshTable();
    const { client, attempts } = throttledClient(2);
    const store = new DynamoObjectStore({ client, tableName: t.tableName });
    const created = await store.create({ kind: 'Project', metadata: { name: 'busy', project: '' }, spec: {} });
    const got = await store.get({ kind: 'Project', project: '', name: 'busy' });
    expect(got).toEqual(created);
    expect(attempts.filter((a) => a === 'PutItemCommand')).toHaveLength(3);
    expect(attempts.filter((a) => a === 'GetItemCommand')).toHaveLength(3);
  });

  it('gives up with the throttling error when throttling outlasts the retries', async () => {
    const t = await freshTable();
    const { client } = throttledClient(1000, 3);
    const store = new DynamoObjectStore({ client, tableName: t.tableName });
    await expect(store.get({ kind: 'Project', project: '', name: 'x' })).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });
});
