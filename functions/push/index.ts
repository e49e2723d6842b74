// The push function: the routes of the WebSocket API ($connect, $default, $disconnect), Lambda
// proxy integration. Each message is answered as the route's response; notices of changes are
// posted by the stream function (functions/wire-push.ts).
import { createPushWebSocketHandler } from '../../shared/aws/push-websocket.ts';
import { wirePush } from '../wire-push.ts';

const { service, logger } = wirePush();
export const handler = createPushWebSocketHandler(service, logger);
