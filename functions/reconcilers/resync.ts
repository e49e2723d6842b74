// The periodic resync Lambda, invoked by an EventBridge schedule.
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { foundationReconcilers } from '../../shared/reconcile/foundation.ts';
import { wire } from '../wire.ts';

const deps = wire();
const reconcilers = foundationReconcilers(deps.store);
export const handler = async () => {
  const summary = await resyncAll(reconcilers, { logger: deps.logger });
  deps.logger?.info(summary, 'resync done');
  return summary;
};
