// Push connections as on AWS, offline: the push function's entry point answering WebSocket API
// route events, and the stream handler wired as the stream function wires it (BERTH_PUSH_ENDPOINT)
// fed the table's own stream records from DynamoDB Local. API Gateway's management API (no local
// engine) answers through aws-sdk-client-mock, whose calls the tests read.
import { ApiGatewayManagementApiClient, PostToConnectionCommand, type ApiGatewayManagementApiClientResolvedConfig, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-apigatewaymanagementapi';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import type { PushMessage } from '../../shared/push/topics.ts';
import type { TestApi } from './api.ts';
import { streamReader } from './dynamo.ts';
import { useTableForLambda, webSocketEvent } from './lambda.ts';

/** The stage's callback URL, as the control-plane stack gives it (WebSocketStage.callbackUrl). */
export const PUSH_ENDPOINT = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/live';

export interface AwsPush {
  /** API Gateway's management API, mocked: PostToConnection answers {} unless a test says otherwise. */
  management: AwsStub<ServiceInputTypes, ServiceOutputTypes, ApiGatewayManagementApiClientResolvedConfig>;
  /** The handshake of a connection (`$connect`) with these headers (and query string); its status. */
  connect(connection: string, headers?: Record<string, string>, query?: Record<string, string>): Promise<number>;
  /** One message on a connection (`$default`): the route's response, parsed. */
  send(connection: string, body: unknown): Promise<{ status: number; reply: PushMessage }>;
  watch(connection: string, path: string): Promise<PushMessage>;
  disconnect(connection: string): Promise<number>;
  /** Hands the stream records written since the last call to the stream handler, as Lambda would. */
  streamed(): Promise<void>;
  /** The PostToConnection inputs sent so far, in order. */
  posts(): { ConnectionId?: string; Data?: unknown }[];
}

/**
 * A PostToConnection input telling `connection` that `path` changed (the bytes the sender posts);
 * a build log's notice carries the text appended at its offset, a list's the objects written and
 * the names removed.
 */
export const changed = (connection: string, path: string, carried?: { offset: number; text: string } | { objects: unknown[]; gone: string[] }) =>
  ({ ConnectionId: connection, Data: Buffer.from(JSON.stringify({ type: 'changed', path, ...carried })) });

/** Points the push and stream functions' wiring at the API's table, and imports the push function. */
export async function awsPush(api: TestApi): Promise<AwsPush> {
  useTableForLambda(api);
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', BERTH_PUSH_ENDPOINT: PUSH_ENDPOINT });
  const management = mockClient(ApiGatewayManagementApiClient);
  management.on(PostToConnectionCommand).resolves({});
  const { handler } = await import('../../functions/push/index.ts');
  const { streamPush } = await import('../../functions/wire-push.ts');
  const stream = createStreamHandler([], streamPush(process.env));
  const records = streamReader(api);
  await records(); // what was written before: not this test's changes
  const route = (e: ReturnType<typeof webSocketEvent>) => handler(e) as Promise<APIGatewayProxyStructuredResultV2>;
  const send: AwsPush['send'] = async (connection, body) => {
    const res = await route(webSocketEvent('$default', connection, { body: typeof body === 'string' ? body : JSON.stringify(body) }));
    return { status: res.statusCode!, reply: JSON.parse(res.body!) };
  };
  return {
    management,
    connect: async (connection, headers, query) => (await route(webSocketEvent('$connect', connection, { ...(headers ? { headers } : {}), ...(query ? { query } : {}) }))).statusCode!,
    send,
    watch: async (connection, path) => (await send(connection, { watch: path })).reply,
    disconnect: async (connection) => (await route(webSocketEvent('$disconnect', connection))).statusCode!,
    streamed: async () => {
      const res = await stream(await records());
      if (res.batchItemFailures.length) throw new Error(`stream batch failed: ${JSON.stringify(res.batchItemFailures)}`);
    },
    posts: () => management.commandCalls(PostToConnectionCommand).map((c) => c.args[0].input),
  };
}
