// Builds the DynamoDB client the entry points pass in. Throttling and transient errors are
// retried by the SDK with exponential backoff and jitter; the attempt count is generous because the
// control plane would rather wait than fail a user's write.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface DynamoClientOptions {
  /** A local endpoint (DynamoDB Local); absent on AWS. */
  endpoint?: string;
  region?: string;
  maxAttempts?: number;
}

export function createDynamoClient(opts: DynamoClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: opts.region ?? 'us-east-1',
    maxAttempts: opts.maxAttempts ?? 8,
    retryMode: 'standard',
    ...(opts.endpoint
      ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}
