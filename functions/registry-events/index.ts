// The registry events Lambda, invoked by an EventBridge rule on ECR's successful pushes under
// berth/ (shared/aws/ecr-image-actions.ts): a push from outside (`berth registry login`, then
// `docker push`) moves its image stream tag, and ImageChange triggers roll it out. It needs the
// table only: the event carries what it reads.
import type { EventBridgeEvent } from 'aws-lambda';
import { pino } from 'pino';
import { recordEcrPush } from '../../shared/aws/ecr-image-actions.ts';
import { fleetErrorReporter } from '../../shared/fleet/loop-errors.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { dynamoClientFrom } from '../wire.ts';

const tableName = process.env.TABLE_NAME;
const host = process.env.BERTH_REGISTRY;
if (!tableName || !host) throw new Error('TABLE_NAME and BERTH_REGISTRY must be set');
const prefix = process.env.BERTH_REPOSITORY_PREFIX ?? 'berth';
const store = new DynamoObjectStore({ client: dynamoClientFrom(process.env), tableName });
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });

const reportError = fleetErrorReporter(logger, 'registry-events');

export const handler = async (event: EventBridgeEvent<string, unknown>) => {
  const moved = await recordEcrPush(store, host, prefix, event).catch((err: unknown) => {
    // Logged and counted here; thrown again so that EventBridge retries and, in the end, the failure queue keeps it.
    reportError(err);
    throw err;
  });
  // A push recorded is worth a line; an event that recorded nothing is at debug (every line is ingested and billed).
  if (moved) logger.info({ id: event.id, moved }, 'registry event');
  else logger.debug({ id: event.id, moved: moved ?? null }, 'registry event');
  return { moved: moved ?? null };
};
