// The reconcilers' stream Lambda: DynamoDB Stream batches in, batch item failures out. With
// BERTH_PUSH_ENDPOINT it also tells push connections of each batch's changes.
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import { platformReconcilers, wireBuilds } from '../wire-builds.ts';
import { streamPush } from '../wire-push.ts';

const deps = wireBuilds();
export const handler = createStreamHandler(platformReconcilers(deps, process.env), { logger: deps.logger, ...streamPush(process.env, deps.logger) });
