// Which projects keep their pod network on an engine while they have no pod there: those with an
// idled DeploymentConfig, so that a wake starts its pods on the network (and next to the
// Services' proxies) that are already there instead of making them again first. A project
// being deleted (or expired), or whose idled DCs are gone, keeps nothing: its network and
// proxies go on the host agent's next pass. Nothing of a pod runs meanwhile, so an idled
// project still uses no pod capacity and no quota.
import type { DeploymentConfig } from '../model/objects.ts';
import type { BerthObject } from '../model/types.ts';
import { eachObject } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import { isIdled } from './annotations.ts';

/** Whether the project keeps its network while it has no pods: it lives, and has an idled DC that lives. */
export async function keepsIdledNetwork(store: ObjectStore, project: string): Promise<boolean> {
  const p = await store.get<BerthObject>({ kind: 'Project', project: '', name: project });
  if (!p || p.metadata.deletionTimestamp) return false;
  for await (const dc of eachObject<DeploymentConfig>(store, 'DeploymentConfig', project)) if (isIdled(dc) && !dc.metadata.deletionTimestamp) return true;
  return false;
}
