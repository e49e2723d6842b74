// The webhooks Lambda (API Gateway HTTP API, payload v2): only the webhook routes, the same
// ones the API app serves at /webhooks/….
import { handle } from 'hono/aws-lambda';
import { createWebhookApi } from '../../shared/api/routes/webhooks.ts';
import { wire } from '../wire.ts';

export const handler = handle(createWebhookApi(wire()));
