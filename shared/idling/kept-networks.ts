// Which projects keep their pod network on an engine while they have no pod there: those with an
// idled DeploymentConfig, so that a wake starts its pods on the network (and next to the
// Services' proxies and the warm sandbox) that are already there instead of making them again
// first; and those being woken: a Service still marked idled that names a DC of the project
// (the mark goes once the Service has ready endpoints again, so the network is kept from the
// wake until the woken pod is on it, not torn down in between). A project being deleted (or
// expired), or whose idled DCs are gone, keeps nothing: its network and proxies go on the host
// agent's next pass. Nothing of a pod runs meanwhile, so an idled project still uses no pod
// capacity and no quota.
import type { DeploymentConfig, Service } from '../model/objects.ts';
import type { BerthObject } from '../model/types.ts';
import { collect, eachObject } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import { isIdled, UNIDLE_TARGETS } from './annotations.ts';

/** Whether the project keeps its network while it has no pods: it lives, and has an idled DC, or a DC being woken, that lives. */
export async function keepsIdledNetwork(store: ObjectStore, project: string): Promise<boolean> {
  const p = await store.get<BerthObject>({ kind: 'Project', project: '', name: project });
  if (!p || p.metadata.deletionTimestamp) return false;
  const dcs = (await collect(eachObject<DeploymentConfig>(store, 'DeploymentConfig', project))).filter((dc) => !dc.metadata.deletionTimestamp);
  if (dcs.some(isIdled)) return true;
  if (!dcs.length) return false;
  const live = new Set(dcs.map((dc) => dc.metadata.name));
  for await (const s of eachObject<Service>(store, 'Service', project)) {
    if (s.metadata.deletionTimestamp || !isIdled(s)) continue;
    if ((s.metadata.annotations?.[UNIDLE_TARGETS] ?? '').split(',').some((name) => live.has(name))) return true;
  }
  return false;
}
