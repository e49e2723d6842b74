// Where a Service's ready endpoints are answered (shared/services/endpoint-shards.ts, pure):
// at most eight a name, an endpoint kept in its shard while it stays ready, a new one in the
// emptiest shard with room, a shard made only when the others are full, nothing past the bound.
import { describe, expect, it } from 'vitest';
import type { DiscoveryInstance } from '../../shared/services/discovery.ts';
import { ENDPOINT_SHARDS, MAX_ENDPOINTS, SHARD_SIZE, planShards, shardName, shardOf, type ShardPlan } from '../../shared/services/endpoint-shards.ts';

const pod = (n: number, port = 8080): DiscoveryInstance => ({ id: `web-1-${n}`, ip: `10.0.3.${n}`, port });
const pods = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => pod(from + i));

/** What each shard answers once the plan is applied to `have`. */
function after(have: Map<number, DiscoveryInstance[]>, plan: ShardPlan): Map<number, string[]> {
  const out = new Map<number, string[]>([...have].map(([k, is]) => [k, is.map((i) => i.id)]));
  for (const k of plan.create) out.set(k, []);
  for (const d of plan.deregister) {
    const ids = out.get(d.shard)!;
    ids.splice(ids.indexOf(d.id), 1);
  }
  for (const r of plan.register) if (!out.get(r.shard)!.includes(r.instance.id)) out.get(r.shard)!.push(r.instance.id);
  return out;
}
const byShard = (m: Map<number, string[]>) => new Map([...m].map(([k, ids]) => [k, ids.map((id) => pod(Number(id.split('-').pop())))]));

describe('spreading a Service\'s ready endpoints over names of at most eight', () => {
  it('20 ready pods, nothing made yet: shards 0, 1 and 2 made, 8, 8 and 4 pods registered', () => {
    const plan = planShards(pods(1, 20), new Map());
    expect(plan.create).toEqual([0, 1, 2]);
    expect(plan.deregister).toEqual([]);
    expect(plan.left).toEqual([]);
    const shards = after(new Map(), plan);
    expect([...shards].map(([k, ids]) => [k, ids.length])).toEqual([[0, 8], [1, 8], [2, 4]]);
    expect(shards.get(0)).toEqual(pods(1, 8).map((p) => p.id));
    expect(plan.register).toHaveLength(20);
  });

  it('a Service without ready endpoints still has shard 0 (made with it, so its names are found by the resync)', () => {
    expect(planShards([], new Map())).toEqual({ create: [0], register: [], deregister: [], left: [] });
    expect(planShards([], new Map([[0, []]]))).toEqual({ create: [], register: [], deregister: [], left: [] });
  });

  it('a pod that stops being ready is deregistered from its shard only; the others stay where they are', () => {
    const have = byShard(after(new Map(), planShards(pods(1, 20), new Map())));
    const plan = planShards(pods(1, 20).filter((p) => p.id !== 'web-1-11'), have);
    expect(plan).toEqual({ create: [], register: [], deregister: [{ shard: 1, id: 'web-1-11' }], left: [] });
  });

  it('a new pod goes to the emptiest shard with room, not a new one; ties go to the lowest shard', () => {
    const have = new Map([[0, pods(1, 8)], [1, pods(9, 13)], [2, pods(14, 16)]]);
    expect(planShards([...pods(1, 16), pod(30)], have).register).toEqual([{ shard: 2, instance: pod(30) }]);
    const even = new Map([[0, pods(1, 7)], [1, pods(9, 15)]]);
    expect(planShards([...pods(1, 7), ...pods(9, 15), pod(30)], even).register).toEqual([{ shard: 0, instance: pod(30) }]);
  });

  it('a shard is made only when every shard there is full, with the lowest free number', () => {
    const have = new Map([[0, pods(1, 8)], [2, pods(9, 16)]]);
    const plan = planShards([...pods(1, 16), pod(30)], have);
    expect(plan.create).toEqual([1]);
    expect(plan.register).toEqual([{ shard: 1, instance: pod(30) }]);
  });

  it('a pod at a new address or port is registered again in the same shard', () => {
    const have = new Map([[0, pods(1, 8)], [1, [pod(9)]]]);
    const moved = { ...pod(9), ip: '10.0.4.9' };
    expect(planShards([...pods(1, 8), moved], have)).toEqual({ create: [], register: [{ shard: 1, instance: moved }], deregister: [], left: [] });
  });

  it('a pod answered in two shards (two passes raced) keeps the lower one; a shard over eight (the same) gives its last ones back to the others', () => {
    const dup = new Map([[0, [pod(1), pod(2)]], [1, [pod(2), pod(3)]]]);
    expect(planShards(pods(1, 3), dup)).toEqual({ create: [], register: [], deregister: [{ shard: 1, id: 'web-1-2' }], left: [] });
    const over = new Map([[0, pods(1, 10)], [1, [pod(11)]]]);
    const plan = planShards(pods(1, 11), over);
    expect(plan.deregister).toEqual([{ shard: 0, id: 'web-1-9' }, { shard: 0, id: 'web-1-10' }]);
    expect(plan.register).toEqual([{ shard: 1, instance: pod(9) }, { shard: 1, instance: pod(10) }]);
    expect([...after(over, plan)].map(([k, ids]) => [k, ids.length])).toEqual([[0, 8], [1, 3]]);
  });

  it(`answers up to ${MAX_ENDPOINTS} ready pods; the ones past that are left out until room frees, and then placed`, () => {
    const all = pods(1, MAX_ENDPOINTS + 3);
    const plan = planShards(all, new Map());
    expect(plan.create).toEqual([...Array(ENDPOINT_SHARDS).keys()]);
    expect(plan.register).toHaveLength(MAX_ENDPOINTS);
    expect(plan.left.map((p) => p.id)).toEqual(['web-1-65', 'web-1-66', 'web-1-67']);
    const full = after(new Map(), plan);
    expect([...full.values()].every((ids) => ids.length === SHARD_SIZE)).toBe(true);
    // One of the 64 goes: one of those left takes its place, in its shard.
    const next = planShards(all.filter((p) => p.id !== 'web-1-20'), byShard(full));
    expect(next.deregister).toEqual([{ shard: 2, id: 'web-1-20' }]);
    expect(next.register).toEqual([{ shard: 2, instance: pod(65) }]);
    expect(next.left.map((p) => p.id)).toEqual(['web-1-66', 'web-1-67']);
  });

  it.each([
    ['db', 'db.endpoints-0', 0], ['db', 'db.endpoints-7', 7], ['db', 'db.endpoints-8', undefined], ['db', 'db.endpoints-01', undefined],
    ['db', 'db.endpoints', undefined], ['db', 'db', undefined], ['db', 'dbx.endpoints-1', undefined], ['d', 'db.endpoints-1', undefined],
  ])('the shard of Service %s in the name %s is %s', (service, name, k) => {
    expect(shardOf(service, name)).toBe(k);
  });

  it('no shard name is a Service\'s own name (a single DNS label) or another Service\'s shard', () => {
    const services = ['db', 'endpoints', 'endpoints-0', 'db-endpoints', 'a'.repeat(63)];
    const own = new Set(services);
    const seen = new Map<string, string>();
    for (const s of services) {
      for (let k = 0; k < ENDPOINT_SHARDS; k++) {
        const n = shardName(s, k);
        expect(own.has(n)).toBe(false);
        expect(seen.get(n) ?? s).toBe(s);
        seen.set(n, s);
        for (const other of services) expect(shardOf(other, n)).toBe(other === s ? k : undefined);
      }
    }
  });
});
