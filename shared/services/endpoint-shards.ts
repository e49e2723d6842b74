// A Service's ready endpoints spread over several names (STYLE 8: pure). A name service that
// answers a multivalue name with a bounded number of records (Route 53: at most eight) would
// show a proxy only that many pods, so each Service's endpoints are held under up to
// ENDPOINT_SHARDS names, `<service>.endpoints-<k>`, at most SHARD_SIZE each, and its proxy
// resolves every one of them (aws/service-proxy-task.ts). An endpoint keeps its shard while it
// stays ready, so a pod coming or going changes one name only; a new one goes to the emptiest
// shard that has room; a shard is made only when those before it are full (shard 0 always, with
// the Service). A Service's name is a single DNS label, so `<service>.endpoints-<k>` (two labels)
// is never another Service's own name, and never another Service's shard.
import type { DiscoveryInstance } from './discovery.ts';

/** Answers per name: Route 53 answers a multivalue name with at most eight records. */
export const SHARD_SIZE = 8;
/** Names per Service: fixed, since the proxy's configuration lists them all (a change would replace every proxy). */
export const ENDPOINT_SHARDS = 8;
/** The ready endpoints a Service's proxy balances over at most: 64. */
export const MAX_ENDPOINTS = SHARD_SIZE * ENDPOINT_SHARDS;

/** The name (in its project's namespace) of shard `k` of a Service's ready endpoints: `<service>.endpoints-<k>`. */
export const shardName = (service: string, k: number): string => `${service}.endpoints-${k}`;

/** The shard a name is of `service`'s, if it is one (`db.endpoints-3` → 3). */
export function shardOf(service: string, name: string): number | undefined {
  const prefix = `${service}.endpoints-`;
  if (!name.startsWith(prefix)) return undefined;
  const k = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(k) && Number(k) < ENDPOINT_SHARDS ? Number(k) : undefined;
}

export interface ShardPlan {
  /** Shards to make, lowest first: shard 0 if missing, then each that room ran out for. */
  create: number[];
  /** Endpoints to register (new, or moved to another address or port), each into its shard. */
  register: { shard: number; instance: DiscoveryInstance }[];
  /** Answers to remove: endpoints no longer ready, a second copy of one, a shard's answers past its size. */
  deregister: { shard: number; id: string }[];
  /** Ready endpoints past MAX_ENDPOINTS, answered nowhere until room frees. */
  left: DiscoveryInstance[];
}

/**
 * Where each ready endpoint is answered (pure), given what each existing shard answers now.
 * @example planShards(twentyPods, new Map()) // create [0, 1, 2]; 8, 8 and 4 registrations
 */
export function planShards(want: DiscoveryInstance[], have: ReadonlyMap<number, DiscoveryInstance[]>): ShardPlan {
  const wanted = new Map(want.map((i) => [i.id, i]));
  const count = new Map<number, number>();
  const placed = new Set<string>();
  const plan: ShardPlan = { create: [], register: [], deregister: [], left: [] };
  for (const k of [...have.keys()].sort((a, b) => a - b)) {
    count.set(k, 0);
    for (const i of have.get(k)!) {
      const w = wanted.get(i.id);
      // Kept where it is: the first copy of a ready endpoint, while its shard has room.
      if (w && !placed.has(i.id) && count.get(k)! < SHARD_SIZE) {
        placed.add(i.id);
        count.set(k, count.get(k)! + 1);
        if (w.ip !== i.ip || w.port !== i.port) plan.register.push({ shard: k, instance: w });
      } else {
        plan.deregister.push({ shard: k, id: i.id });
      }
    }
  }
  const make = (k: number) => {
    count.set(k, 0);
    plan.create.push(k);
  };
  if (!count.has(0)) make(0);
  for (const i of wanted.values()) {
    if (placed.has(i.id)) continue;
    let best: number | undefined;
    for (const [k, n] of count) if (n < SHARD_SIZE && (best === undefined || n < count.get(best)! || (n === count.get(best)! && k < best))) best = k;
    if (best === undefined) {
      best = [...Array(ENDPOINT_SHARDS).keys()].find((k) => !count.has(k));
      if (best === undefined) {
        plan.left.push(i);
        continue;
      }
      make(best);
    }
    count.set(best, count.get(best)! + 1);
    placed.add(i.id);
    plan.register.push({ shard: best, instance: i });
  }
  return plan;
}
