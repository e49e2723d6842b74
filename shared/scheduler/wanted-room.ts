// Room wanted on the hosts by something that is not a pod (a Service's proxy on AWS) and that no
// host could give: one small cluster-scoped record per holder's reservation key, with what it asks
// for and since when, so that the autoscaler (shared/autoscale/) grows the fleet for it as it does
// for a pod waiting for a host. Written by HostReservations.reserve when place() finds no host,
// removed when the room is reserved, when its holder goes (a Service deleted, its project
// deleted) and, by the autoscaler, when a host that takes pods already holds the key. Not an API
// kind: no route serves it, so tenants never see it. Every write is idempotent: a record is
// created once (its first time kept) and deleting one that is gone is nothing.
import { AlreadyExistsError, NotFoundError, ignoring } from '../errors.ts';
import type { BerthObject } from '../model/types.ts';
import { collect, eachObject } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Resources } from './types.ts';

/** The records' kind (cluster-scoped; named by the reservation key). */
export const WANTED_KIND = 'WantedReservation';

export interface WantedSpec {
  request: Resources;
  /** When room was first wanted under this key (ISO 8601). */
  since: string;
}

export type WantedReservation = BerthObject<WantedSpec, unknown>;

/** One reservation that found no host: its key, what it asks for, since when. */
export interface Wanted {
  key: string;
  request: Resources;
  since: string;
}

const refOf = (key: string) => ({ kind: WANTED_KIND, project: '', name: key });

/** Every wanted reservation whose key starts with `prefix` (all of them by default). */
export async function wantedRoom(store: ObjectStore, prefix = ''): Promise<Wanted[]> {
  const all = await collect(eachObject<WantedReservation>(store, WANTED_KIND, ''));
  return all.filter((w) => w.metadata.name.startsWith(prefix)).map((w) => ({ key: w.metadata.name, request: { ...w.spec.request }, since: w.spec.since }));
}

/** Records that `key` wants `request`; a record already there keeps its first time. */
export async function wantRoom(store: ObjectStore, key: string, request: Resources, at: Date): Promise<void> {
  const spec: WantedSpec = { request: { ...request }, since: at.toISOString() };
  await store.create({ kind: WANTED_KIND, metadata: { name: key, project: '' }, spec }).catch(ignoring(AlreadyExistsError));
}

/** Removes these wanted reservations; one already gone is nothing. */
export async function dropWanted(store: ObjectStore, keys: Iterable<string>): Promise<void> {
  for (const key of keys) await store.delete(refOf(key)).catch(ignoring(NotFoundError));
}
