// Room on a host held by something that is not a pod (a Service's proxy task on AWS), counted
// where the scheduler counts pods' room: in the Host's `status.requested`, with each holder's
// share under its key in `status.reserved`, so that holding and giving back are idempotent (a key
// is added or removed once, whatever the retries) and the scheduler never binds a pod into room a
// holder took. Every write is conditional on the Host's resourceVersion (patchStatus), as a
// binding's is: a reservation and a binding racing for the last room cannot both win. A
// reservation no host has room for is recorded as wanted (wanted-room.ts), which the autoscaler
// grows the fleet for; the record goes once the room is reserved.
import type { Host } from '../model/objects.ts';
import { eachObject } from '../store/each.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { cordoned } from './cordon.ts';
import { hostInfoOf } from './host-info.ts';
import { place } from './place.ts';
import { fitsIn } from './policy.ts';
import type { Resources } from './types.ts';
import { dropWanted, wantRoom, wantedRoom, type Wanted } from './wanted-room.ts';

/** A reservation as found on a host: the Host's name and the holder's key. */
export interface Held {
  host: string;
  key: string;
}

export interface ReserveRequest {
  key: string;
  request: Resources;
  /** Only these hosts may hold it (those the holder can be run on). */
  eligible: (h: Host) => boolean;
  /**
   * What every key of this holder starts with (a proxy's `proxy:<project>/<service>#`): the room a
   * holder's earlier version wanted is no longer wanted once this one is reserved or wanted.
   * The key itself by default.
   */
  holder?: string;
}

const hostRef = (name: string) => ({ kind: 'Host', project: '', name });

const plus = (a: Resources, b: Resources, sign: 1 | -1): Resources => ({
  cpuMilli: Math.max(0, a.cpuMilli + sign * b.cpuMilli),
  memoryBytes: Math.max(0, a.memoryBytes + sign * b.memoryBytes),
});

/**
 * The host reservations of one ObjectStore's fleet.
 * @example const room = new HostReservations(store); const at = await room.reserve({ key, request, eligible })
 */
export class HostReservations {
  constructor(
    private readonly store: ObjectStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async hosts(): Promise<Host[]> {
    const all: Host[] = [];
    for await (const h of eachObject<Host>(this.store, 'Host', '')) all.push(h);
    return all;
  }

  /** Every reservation whose key starts with `prefix`, and the hosts as read. */
  async held(prefix: string): Promise<{ held: Held[]; hosts: Host[] }> {
    const hosts = await this.hosts();
    const held = hosts.flatMap((h) => Object.keys(h.status.reserved ?? {}).filter((k) => k.startsWith(prefix)).map((key) => ({ host: h.metadata.name, key })));
    return { held, hosts };
  }

  /**
   * Room for `request` under `key`: on a host already holding that key if it is still eligible,
   * ready and not cordoned, else on the host the pods' placement policy chooses (place(): room
   * left for cpu and memory, then the most-allocated) among the eligible ones,
   * ready and not cordoned. Returns that Host as written, or why none has room (the scheduler's
   * "0/N hosts are available: …" wording, and the room is then recorded as wanted). A host that
   * filled meanwhile is chosen again. The key held on a host that is no longer usable stays there
   * (its holder may still run there while it moves): the caller gives it back once it has gone.
   */
  async reserve(r: ReserveRequest, known?: Host[]): Promise<{ host: Host } | { unschedulable: string }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const hosts = attempt === 0 && known ? known : await this.hosts();
      const usable = (h: Host) => r.eligible(h) && h.status.ready && !cordoned(h);
      const holding = hosts.find((h) => h.status.reserved?.[r.key] && usable(h));
      if (holding) return this.found(r, holding);
      const candidates = hosts.filter((h) => r.eligible(h));
      const placement = place({ name: r.key, project: '', group: r.key, ...r.request }, candidates.map((h) => ({ ...hostInfoOf(h), ready: usable(h) })));
      if ('unschedulable' in placement) {
        await this.want(r);
        return placement;
      }
      // Not written when the host filled, went or was cordoned meanwhile, or the key got there first (a racing pass): read again.
      const written = await patchStatus<Host>(this.store, hostRef(placement.host), (cur) => {
        const { allocatable, requested } = cur.status;
        if (cur.status.reserved?.[r.key] || !cur.status.ready || cordoned(cur) || !fitsIn(allocatable.cpuMilli - requested.cpuMilli, allocatable.memoryBytes - requested.memoryBytes, r.request.cpuMilli, r.request.memoryBytes)) return undefined;
        return { ...cur.status, requested: plus(requested, r.request, 1), reserved: { ...cur.status.reserved, [r.key]: { ...r.request } } };
      });
      if (written) return this.found(r, written);
    }
    return { unschedulable: `the hosts kept filling up while room for ${r.key} was reserved` };
  }

  /** The room is reserved: nothing of this holder is wanted any more. */
  private async found(r: ReserveRequest, host: Host): Promise<{ host: Host }> {
    if (r.holder !== undefined) await this.unwant(r.holder);
    else await dropWanted(this.store, [r.key]);
    return { host };
  }

  /** No host has room: wanted under this key, and no longer under the holder's earlier ones. */
  private async want(r: ReserveRequest): Promise<void> {
    await wantRoom(this.store, r.key, r.request, this.now());
    if (r.holder !== undefined) await dropWanted(this.store, (await this.wanted(r.holder)).map((w) => w.key).filter((k) => k !== r.key));
  }

  /** The reservations no host had room for, whose keys start with `prefix` (all by default). */
  wanted(prefix = ''): Promise<Wanted[]> {
    return wantedRoom(this.store, prefix);
  }

  /** Forgets the wanted room of every key starting with `prefix` (its holder has gone, or has its room). */
  async unwant(prefix: string): Promise<void> {
    await dropWanted(this.store, (await this.wanted(prefix)).map((w) => w.key));
  }

  /**
   * Records `request` under `key` on a host where its holder already is (found running there),
   * even past the host's room: the holder takes it whatever the books say. Idempotent.
   */
  async hold(host: string, key: string, request: Resources): Promise<void> {
    await patchStatus<Host>(this.store, hostRef(host), (cur) =>
      cur.status.reserved?.[key] ? undefined : { ...cur.status, requested: plus(cur.status.requested, request, 1), reserved: { ...cur.status.reserved, [key]: { ...request } } },
    );
  }

  /** Gives back the room held under `key` on a host; nothing when it holds none (or has gone). */
  async release({ host, key }: Held): Promise<void> {
    await patchStatus<Host>(this.store, hostRef(host), (cur) => {
      const had = cur.status.reserved?.[key];
      if (!had) return undefined;
      const { [key]: _gone, ...reserved } = cur.status.reserved!;
      return { ...cur.status, requested: plus(cur.status.requested, had, -1), reserved };
    });
  }
}
