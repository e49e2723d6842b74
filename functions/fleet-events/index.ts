// The fleet events Lambda, invoked by EventBridge rules on Berth's ECS cluster: pod tasks'
// state changes update their pods, tenant container instances' state changes keep their Hosts
// and renew their leases. It needs the table and nothing of ECS: the events carry what it reads.
import type { EventBridgeEvent } from 'aws-lambda';
import { pino } from 'pino';
import { handleEcsEvent } from '../../shared/aws/ecs-events.ts';
import { fleetErrorReporter } from '../../shared/fleet/loop-errors.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { dynamoClientFrom } from '../wire.ts';

const tableName = process.env.TABLE_NAME;
if (!tableName) throw new Error('TABLE_NAME is not set');
const store = new DynamoObjectStore({ client: dynamoClientFrom(process.env), tableName });
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });

const reportError = fleetErrorReporter(logger, 'fleet-events');

export const handler = async (event: EventBridgeEvent<string, unknown>) => {
  const outcome = await handleEcsEvent(store, event).catch((err: unknown) => {
    // Logged and counted here; thrown again so that EventBridge retries and, in the end, the failure queue keeps it.
    reportError(err);
    throw err;
  });
  // At debug: every change of a pod's task, and of a host's container instance (its free resources change with each task), is one event, and each line is ingested and billed (LOG_LEVEL=debug shows them).
  logger.debug({ event: event['detail-type'], id: event.id, ...outcome }, 'fleet event');
  return outcome;
};
