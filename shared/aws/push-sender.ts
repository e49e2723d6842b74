// The AWS PushSender: a message to a push connection is a PostToConnection on the WebSocket API's
// management endpoint, the stage's callback URL (`https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`,
// which the entry point gives the client). API Gateway answers GoneException (410) for a connection
// that has ended: the service then forgets it. Any other error is thrown.
import { GoneException, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { PushSender } from '../push/service.ts';
import type { PushMessage } from '../push/topics.ts';

export class ApiGatewayPushSender implements PushSender {
  constructor(private readonly client: Pick<ApiGatewayManagementApiClient, 'send'>) {}

  async send(connection: string, message: PushMessage): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connection, Data: Buffer.from(JSON.stringify(message)) }));
      return 'sent';
    } catch (err) {
      if (err instanceof GoneException) return 'gone';
      throw err;
    }
  }
}
