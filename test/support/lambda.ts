// Helpers for testing Lambda entry points: API Gateway HTTP API (payload v2) and WebSocket API events, the
// environment the entries read, and calling a handler.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import type { TestTable } from './dynamo.ts';

export type HttpHandler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;

export function httpApiEvent(method: string, path: string, opts: { headers?: Record<string, string>; body?: string; base64?: boolean } = {}): APIGatewayProxyEventV2 {
  const headers = Object.fromEntries(Object.entries({ host: 'api.example.com', ...opts.headers }).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? 'test' },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body: opts.body === undefined ? undefined : opts.base64 ? Buffer.from(opts.body).toString('base64') : opts.body,
    isBase64Encoded: opts.base64 ?? false,
  };
}

/** Points the entry points' wiring at a test table (set before importing an entry). */
export function useTableForLambda(t: TestTable): void {
  process.env.TABLE_NAME = t.tableName;
  process.env.DYNAMODB_ENDPOINT = t.endpoint;
  process.env.LOG_LEVEL = 'silent';
  process.env.BERTH_SECRETS_KEY_FILE = join(mkdtempSync(join(tmpdir(), 'berth-key-')), 'secrets.key');
}

export async function invoke(handler: HttpHandler, e: APIGatewayProxyEventV2): Promise<{ status: number; body: any }> {
  const res = (await handler(e, {} as Context)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

/**
 * An event of a WebSocket API route (Lambda proxy integration), in the shape of the API Gateway
 * Developer Guide's examples ("Setting up a WebSocket API integration request in API Gateway",
 * the `$connect`, `$default` message and `$disconnect` events): the handshake's headers on
 * `$connect` and `$disconnect`, the frame's body on a message.
 */
export function webSocketEvent(routeKey: '$connect' | '$default' | '$disconnect', connectionId: string, opts: { headers?: Record<string, string>; query?: Record<string, string>; body?: string } = {}): APIGatewayProxyWebsocketEventV2 & { headers?: Record<string, string>; queryStringParameters?: Record<string, string> } {
  const eventType = routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  return {
    ...(routeKey === '$default' ? {} : { headers: { Host: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com', 'Sec-WebSocket-Version': '13', 'X-Forwarded-Proto': 'https', ...opts.headers } }),
    // The handshake's query string, as `$connect` carries it (single and multi-valued).
    ...(routeKey === '$connect' && opts.query ? { queryStringParameters: opts.query, multiValueQueryStringParameters: Object.fromEntries(Object.entries(opts.query).map(([k, v]) => [k, [v]])) } : {}),
    requestContext: {
      routeKey,
      eventType,
      ...(routeKey === '$default' ? { messageId: `m-${connectionId}` } : {}),
      extendedRequestId: 'Ab1CdEfGhIjKlMn=',
      requestTime: '04/Dec/2026:20:00:00 +0000',
      messageDirection: 'IN',
      stage: 'live',
      connectedAt: 1796414400000,
      requestTimeEpoch: 1796414400000,
      requestId: 'Ab1CdEfGhIjKlMn=',
      domainName: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      connectionId,
      apiId: 'a1b2c3d4e5',
    } as APIGatewayProxyWebsocketEventV2['requestContext'],
    ...(opts.body === undefined ? {} : { body: opts.body }),
    isBase64Encoded: false,
  };
}
