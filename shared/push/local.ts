// Push connections served by the API's own WebSocket route (the all-in-one platform, tests): the
// open sockets of this process, by connection id. On AWS, API Gateway holds the sockets and
// shared/aws/push-sender.ts posts to them.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { RateLimiter } from '../api/rate-limit.ts';
import { apiPushService, type PushService, type PushSender } from './service.ts';
import { DynamoPushSubscriptions } from './subscriptions.ts';
import { PUSH_PATH, type PushMessage } from './topics.ts';

export interface PushSocket {
  send(data: string): void;
}

export class LocalPushSockets implements PushSender {
  private readonly sockets = new Map<string, PushSocket>();

  add(connection: string, socket: PushSocket): void {
    this.sockets.set(connection, socket);
  }

  remove(connection: string): void {
    this.sockets.delete(connection);
  }

  async send(connection: string, message: PushMessage): Promise<'sent' | 'gone'> {
    const socket = this.sockets.get(connection);
    if (!socket) return 'gone';
    socket.send(JSON.stringify(message));
    return 'sent';
  }
}

/** What the API and the stream handler of one process share: the service, its sockets, and where clients connect. */
export interface LocalPush {
  url: string;
  service: PushService;
  subscriptions: DynamoPushSubscriptions;
  sockets: LocalPushSockets;
}

/** Push connections on the table for an API served by this process; connections at PUSH_PATH of the API's own address. */
export function localPush(deps: { client: DynamoDBClient; tableName: string; store: ObjectStore; identity: Identity; rateLimit?: RateLimiter; logger?: Logger }): LocalPush {
  const sockets = new LocalPushSockets();
  const subscriptions = new DynamoPushSubscriptions({ client: deps.client, tableName: deps.tableName });
  const service = apiPushService({ ...deps, subscriptions, sender: sockets });
  return { url: PUSH_PATH, service, subscriptions, sockets };
}
