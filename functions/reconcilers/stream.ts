// The reconcilers' stream Lambda: DynamoDB Stream batches in, batch item failures out.
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import { platformReconcilers, wireBuilds } from '../wire-builds.ts';

const deps = wireBuilds();
export const handler = createStreamHandler(platformReconcilers(deps, process.env), { logger: deps.logger });
