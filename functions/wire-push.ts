// Wiring of push connections on AWS. The push function answers the WebSocket API's routes
// (open, watch, close) and never posts to a connection; the stream function tells watchers of
// changes with PostToConnection on the stage's callback URL (BERTH_PUSH_ENDPOINT, given by the
// control-plane stack to it alone, with the right to post).
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from 'pino';
import { rateLimitFrom } from '../shared/api/rate-limit.ts';
import { Identity } from '../shared/auth/identity.ts';
import { ApiGatewayPushSender } from '../shared/aws/push-sender.ts';
import { apiPushService, type PushService, type PushSender } from '../shared/push/service.ts';
import { DynamoPushSubscriptions } from '../shared/push/subscriptions.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { lazyLogger } from './lazy-logger.ts';
import { dynamoClientFrom } from './wire.ts';

/** The sender of a function that only answers on its connections (the routes reply as their response). */
const NO_SENDER: PushSender = {
  send: () => Promise.reject(new Error('the push function answers on its routes and posts to no connection')),
};

/** The push service over the table, told who a token stands for and what a user may read as the API is. */
export function pushService(env: NodeJS.ProcessEnv, sender: PushSender = NO_SENDER, client: DynamoDBClient = dynamoClientFrom(env), logger?: Logger): PushService {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new Error('TABLE_NAME is not set');
  const store = new DynamoObjectStore({ client, tableName });
  const identity = new Identity(store);
  // A message counts against its user's API requests, as a request to the API would.
  const rateLimit = rateLimitFrom(env, client, tableName);
  return apiPushService({ subscriptions: new DynamoPushSubscriptions({ client, tableName }), sender, store, identity, ...(rateLimit ? { rateLimit } : {}), ...(logger ? { logger } : {}) });
}

/** The push function's service and logger. */
export function wirePush(env: NodeJS.ProcessEnv = process.env): { service: PushService; logger: Logger } {
  const logger = lazyLogger({ level: env.LOG_LEVEL ?? 'info' });
  return { service: pushService(env, NO_SENDER, dynamoClientFrom(env), logger), logger };
}

/**
 * The stream function's `push` option: watchers told through the WebSocket API's management
 * endpoint when BERTH_PUSH_ENDPOINT (the stage's https callback URL) is set; none without it.
 */
export function streamPush(env: NodeJS.ProcessEnv, logger?: Logger): { push?: PushService } {
  const endpoint = env.BERTH_PUSH_ENDPOINT;
  if (!endpoint) return {};
  const sender = new ApiGatewayPushSender(new ApiGatewayManagementApiClient({ region: env.AWS_REGION, endpoint }));
  return { push: pushService(env, sender, dynamoClientFrom(env), logger) };
}
