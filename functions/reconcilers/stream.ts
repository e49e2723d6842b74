// The reconcilers' stream Lambda: DynamoDB Stream batches in, batch item failures out.
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import { foundationReconcilers } from '../../shared/reconcile/foundation.ts';
import { wire } from '../wire.ts';

const deps = wire();
export const handler = createStreamHandler(foundationReconcilers(deps.store), { logger: deps.logger });
