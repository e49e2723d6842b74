// Push connections behind API Gateway's WebSocket API: the Lambda proxy integration of its three
// routes (API Gateway Developer Guide, "Set up WebSocket API integrations" and "WebSocket API
// ... Lambda proxy integration" events), over the PushService.
//
//   $connect     the handshake: the token from `Authorization: Bearer …`, or a ticket from the query
//                string (`?ticket=…`, what a browser can send); any status but 2xx refuses it
//   $default     every message: `{"watch": PATH}` / `{"unwatch": PATH}`, answered as the route's
//                response (the route returns its response), so no PostToConnection is needed
//   $disconnect  the connection has ended: its items go
import type { APIGatewayProxyStructuredResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import type { Logger } from 'pino';
import { bearerToken } from '../api/access.ts';
import { TooManyRequestsError } from '../api/rate-limit.ts';
import { UnauthorizedError } from '../errors.ts';
import type { PushService } from '../push/service.ts';
import type { PushMessage } from '../push/topics.ts';

/** The event of a WebSocket route; `headers` and `queryStringParameters` are there on `$connect` (the handshake's). */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & { headers?: Record<string, string | undefined>; queryStringParameters?: Record<string, string | undefined> };

const answer = (statusCode: number, message?: PushMessage): APIGatewayProxyStructuredResultV2 => (message ? { statusCode, body: JSON.stringify(message) } : { statusCode });

/** A header's value whatever case the client wrote its name in (API Gateway passes names as sent). */
function header(event: WebSocketEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === wanted)?.[1];
}

const bodyOf = (event: WebSocketEvent): string => (event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '');

/** The handler of the WebSocket API's `$connect`, `$default` and `$disconnect` routes. */
export function createPushWebSocketHandler(service: Pick<PushService, 'connect' | 'receive' | 'disconnect'>, logger?: Logger) {
  return async function handlePush(event: WebSocketEvent): Promise<APIGatewayProxyStructuredResultV2> {
    const { routeKey, connectionId } = event.requestContext;
    try {
      switch (routeKey) {
        case '$connect':
          await service.connect(connectionId, { token: bearerToken(header(event, 'Authorization')), ticket: event.queryStringParameters?.ticket });
          return answer(200);
        case '$disconnect':
          await service.disconnect(connectionId);
          return answer(200);
        default:
          return answer(200, await service.receive(connectionId, bodyOf(event)));
      }
    } catch (err) {
      if (err instanceof UnauthorizedError) return answer(401);
      if (err instanceof TooManyRequestsError) return answer(429);
      logger?.error({ err, routeKey, connectionId }, 'push: a WebSocket route failed');
      return answer(500, routeKey === '$default' ? { type: 'error', status: 500, message: 'the platform could not answer: try again' } : undefined);
    }
  };
}
