// The autoscaler's planner, as a table of fleets: how many hosts pending pods need (bin-packed
// into hosts of the group's size, after the room already there and on its way, capped by the
// group's maximum), and how an empty host is retired (idle, then cordoned and unprotected after
// the quiet period, then terminated), never one with pods nor one Auto Scaling reports protected.
// Room a reservation (a Service's proxy) wants and no host has counts as a pending pod does.
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, plan } from '../../shared/autoscale/plan.ts';
import type { GroupInstance, PendingPod, ScalingGroup, ScalingHost } from '../../shared/autoscale/types.ts';

const MiB = 2 ** 20;
const GiB = 1024 * MiB;
const T0 = Date.parse('2026-12-02T10:00:00Z');
const QUIET = DEFAULT_POLICY.quietMs;
/** An m7g.large as ECS registers it: 2 vCPUs, about 7.5 GiB. */
const LARGE = { cpuMilli: 2000, memoryBytes: 7680 * MiB };

function host(n: number, o: Partial<ScalingHost> = {}): ScalingHost {
  return { name: `h${n}`, instanceId: `i-${n}`, allocatable: { ...LARGE }, requested: { cpuMilli: 0, memoryBytes: 0 }, pods: 0, ready: true, ...o };
}
const busy = (n: number, cpuMilli: number, memoryBytes: number, o: Partial<ScalingHost> = {}) => host(n, { requested: { cpuMilli, memoryBytes }, pods: 1, ...o });
const inService = (n: number, protectedFromScaleIn = true): GroupInstance => ({ instanceId: `i-${n}`, lifecycleState: 'InService', protectedFromScaleIn });
const pod = (name: string, cpuMilli: number, memoryBytes: number): PendingPod => ({ name, cpuMilli, memoryBytes });
function group(instances: GroupInstance[], o: Partial<ScalingGroup> = {}): ScalingGroup {
  return { name: 'tenant', min: 1, max: 10, desired: instances.length, instances, ...o };
}

describe('scale-out for pods that fit nowhere', () => {
  it.each([
    // [what, pending pods, hosts in use, expected new desired capacity]
    ['one pod that fits on the free room needs nothing', [pod('a', 500, GiB)], [busy(1, 1000, GiB)], undefined],
    ['one pod too big for the free room needs one host', [pod('a', 1500, GiB)], [busy(1, 1000, GiB)], 2],
    ['four pods of 1 cpu need two hosts of 2 cpus', [1, 2, 3, 4].map((i) => pod(`p${i}`, 1000, GiB)), [busy(1, 2000, GiB)], 3],
    ['memory bounds as cpu does: three pods of 3 GiB need two hosts of 7.5 GiB', [1, 2, 3].map((i) => pod(`p${i}`, 100, 3 * GiB)), [busy(1, 100, 7 * GiB)], 3],
    ['large first: 1500m, 1500m, 500m, 500m pack into two hosts', [pod('s1', 500, GiB), pod('l1', 1500, GiB), pod('s2', 500, GiB), pod('l2', 1500, GiB)], [busy(1, 2000, GiB)], 3],
  ])('%s', (_what, pending, hosts, desired) => {
    const g = group(hosts.map((h) => inService(Number(h.name.slice(1)))));
    const { actions } = plan(hosts, pending, g, T0);
    const set = actions.find((a) => a.type === 'set-desired');
    expect(set && set.type === 'set-desired' ? set.desired : undefined).toBe(desired);
  });

  it("is capped at the group's maximum and says so", () => {
    const pending = [1, 2, 3, 4, 5, 6].map((i) => pod(`p${i}`, 2000, GiB));
    const { actions } = plan([busy(1, 2000, GiB)], pending, group([inService(1)], { max: 3 }), T0);
    expect(actions).toContainEqual({ type: 'set-desired', desired: 3, reason: "6 pending pods need 6 more hosts (capped at the group's maximum, 3)" });
  });

  it('counts hosts already on their way (launching, or desired and not yet launched) before asking for more', () => {
    const pending = [1, 2, 3].map((i) => pod(`p${i}`, 1000, GiB));
    const launching: GroupInstance = { instanceId: 'i-2', lifecycleState: 'Pending', protectedFromScaleIn: true };
    // One host launching (room for two pods) and one more desired but not launched (room for two): nothing more.
    const { actions } = plan([busy(1, 2000, GiB)], pending, group([inService(1), launching], { desired: 3 }), T0);
    expect(actions.filter((a) => a.type === 'set-desired')).toEqual([]);
  });

  it('a pod larger than any host of the group is reported, not scaled for', () => {
    const { actions, tooLarge } = plan([busy(1, 2000, GiB)], [pod('huge', 4000, GiB)], group([inService(1)]), T0);
    expect(tooLarge).toEqual(['huge']);
    expect(actions.filter((a) => a.type === 'set-desired')).toEqual([]);
  });

  it('counts room wanted by a reservation (a Service\'s proxy) as it counts a pending pod, and says which waits', () => {
    const proxy: PendingPod = { name: 'proxy:shop/db#1', cpuMilli: 63, memoryBytes: 32 * MiB, reservation: true };
    const full = busy(1, 2000, GiB);
    expect(plan([full], [proxy], group([inService(1)]), T0).actions).toContainEqual({ type: 'set-desired', desired: 2, reason: '1 pending reservation needs 1 more host' });
    expect(plan([full], [proxy, pod('a', 1000, GiB)], group([inService(1)]), T0).actions).toContainEqual({ type: 'set-desired', desired: 2, reason: '1 pending pod and 1 pending reservation need 1 more host' });
    // Room left on an open host is its own answer: nothing bought.
    expect(plan([busy(1, 1900, GiB)], [proxy], group([inService(1)]), T0).actions.filter((a) => a.type === 'set-desired')).toEqual([]);
    // One larger than a whole host is reported as a too-large pod is.
    const { actions, tooLarge } = plan([full], [{ ...proxy, memoryBytes: 8 * GiB }], group([inService(1)]), T0);
    expect(tooLarge).toEqual(['proxy:shop/db#1']);
    expect(actions.filter((a) => a.type === 'set-desired')).toEqual([]);
  });

  it('with no host registered yet (a group at zero), asks for one and learns the size from it', () => {
    const { actions } = plan([], [pod('a', 100, GiB), pod('b', 100, GiB)], group([], { min: 0, desired: 0 }), T0);
    expect(actions).toContainEqual({ type: 'set-desired', desired: 1, reason: '2 pending pods need 1 more host' });
    const configured = plan([], [1, 2, 3].map((i) => pod(`p${i}`, 1000, GiB)), group([], { min: 0, desired: 0, instanceCapacity: LARGE }), T0);
    expect(configured.actions).toContainEqual({ type: 'set-desired', desired: 2, reason: '3 pending pods need 2 more hosts' });
  });

  it('reopens a cordoned host before asking for a new one, and protects it again', () => {
    const draining = host(2, { drainingSince: T0 - 1000, idleSince: T0 - QUIET - 1000 });
    const { actions } = plan([busy(1, 2000, GiB), draining], [pod('a', 1000, GiB)], group([inService(1), inService(2, false)]), T0);
    expect(actions).toEqual([{ type: 'uncordon', host: 'h2' }, { type: 'protect', instanceIds: ['i-2'], protect: true }]);
  });

  it('protects hosts that are not being retired when Auto Scaling reports them unprotected', () => {
    const { actions } = plan([busy(1, 500, GiB), busy(2, 500, GiB)], [], group([inService(1, false), inService(2)]), T0);
    expect(actions).toEqual([{ type: 'protect', instanceIds: ['i-1'], protect: true }]);
  });
});

describe('scale-in of empty hosts after the quiet period', () => {
  const g = group([inService(1), inService(2)]);

  it('marks an empty host idle when first seen, and does nothing else until the quiet period has passed', () => {
    expect(plan([busy(1, 500, GiB), host(2)], [], g, T0).actions).toEqual([{ type: 'mark-idle', host: 'h2', at: T0 }]);
    expect(plan([busy(1, 500, GiB), host(2, { idleSince: T0 })], [], g, T0 + QUIET - 1).actions).toEqual([]);
  });

  it('after the quiet period cordons it and removes its scale-in protection, in that order', () => {
    const { actions } = plan([busy(1, 500, GiB), host(2, { idleSince: T0 })], [], g, T0 + QUIET);
    expect(actions).toEqual([{ type: 'cordon', host: 'h2', at: T0 + QUIET }, { type: 'protect', instanceIds: ['i-2'], protect: false }]);
  });

  it('terminates a cordoned, empty, unprotected host once bindings have settled, lowering the desired capacity', () => {
    const draining = host(2, { idleSince: T0, drainingSince: T0 + QUIET });
    const unprotected = group([inService(1), inService(2, false)]);
    expect(plan([busy(1, 500, GiB), draining], [], unprotected, T0 + QUIET + 1).actions).toEqual([]);
    expect(plan([busy(1, 500, GiB), draining], [], unprotected, T0 + QUIET + DEFAULT_POLICY.settleMs).actions).toEqual([{ type: 'terminate', host: 'h2', instanceId: 'i-2' }]);
  });

  it('never terminates an instance Auto Scaling reports protected: it asks again to remove the protection', () => {
    const draining = host(2, { idleSince: T0, drainingSince: T0 + QUIET });
    const { actions } = plan([busy(1, 500, GiB), draining], [], g, T0 + 2 * QUIET);
    expect(actions).toEqual([{ type: 'protect', instanceIds: ['i-2'], protect: false }]);
  });

  it('never retires a host with pods, even cordoned, and forgets its idle mark', () => {
    const withPod = busy(2, 0, 0, { idleSince: T0, drainingSince: T0 + QUIET });
    expect(plan([busy(1, 500, GiB), withPod], [], group([inService(1), inService(2, false)]), T0 + 2 * QUIET).actions).toEqual([]);
    expect(plan([busy(1, 500, GiB), busy(2, 100, GiB, { idleSince: T0 })], [], g, T0 + QUIET).actions).toEqual([{ type: 'clear-idle', host: 'h2' }]);
  });

  it("keeps the group's minimum, and a host a cluster-admin marked to keep", () => {
    const idle = (n: number, o: Partial<ScalingHost> = {}) => host(n, { idleSince: T0, ...o });
    const atMin = plan([idle(1), idle(2)], [], group([inService(1), inService(2)], { min: 1 }), T0 + QUIET);
    expect(atMin.actions.filter((a) => a.type === 'cordon')).toEqual([{ type: 'cordon', host: 'h1', at: T0 + QUIET }]);
    const kept = plan([busy(1, 500, GiB), idle(2, { keep: true })], [], g, T0 + QUIET);
    expect(kept.actions).toEqual([{ type: 'clear-idle', host: 'h2' }]);
  });

  it('does not retire idle hosts while pods wait for room the group could give', () => {
    const { actions } = plan([busy(1, 2000, GiB), host(2, { idleSince: T0 })], [pod('a', 1500, GiB), pod('b', 1500, GiB)], g, T0 + QUIET);
    expect(actions.filter((a) => a.type === 'cordon')).toEqual([]);
    expect(actions.find((a) => a.type === 'set-desired')).toMatchObject({ desired: 3 });
  });

  it("forgets the Host of an instance that has left the group once it is silent and empty", () => {
    const gone = host(2, { drainingSince: T0, ready: false });
    expect(plan([busy(1, 500, GiB), gone], [], group([inService(1)]), T0 + QUIET).actions).toEqual([{ type: 'forget', host: 'h2' }]);
    expect(plan([busy(1, 500, GiB), { ...gone, ready: true }], [], group([inService(1)]), T0 + QUIET).actions).toEqual([]);
  });
});
