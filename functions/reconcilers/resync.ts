// The periodic resync Lambda, invoked by an EventBridge schedule.
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { platformReconcilers, wireBuilds } from '../wire-builds.ts';

const deps = wireBuilds();
const reconcilers = platformReconcilers(deps, process.env);
export const handler = async () => {
  const summary = await resyncAll(reconcilers, { logger: deps.logger });
  deps.logger?.info(summary, 'resync done');
  return summary;
};
