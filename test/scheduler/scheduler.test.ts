// The indexed Scheduler: it must choose exactly what the pure place() chooses, pod after pod,
// while hosts fill, empty, fail and come back; and keep its accounting straight.
import { describe, expect, it } from 'vitest';
import { generatePods, prng } from '../../bench/scheduler.ts';
import { place } from '../../shared/scheduler/place.ts';
import { Scheduler } from '../../shared/scheduler/scheduler.ts';
import type { HostInfo, PodRequest } from '../../shared/scheduler/types.ts';
import { host, pod } from './fixtures.ts';

const SIZES: [number, number][] = [[2000, 4096], [4000, 8192], [16000, 65536]];

/** A random fleet of mixed sizes; some hosts not ready, some partly used, one over its capacity. */
function randomFleet(random: () => number, n: number): HostInfo[] {
  return Array.from({ length: n }, (_, i) => {
    const [cpu, mem] = SIZES[Math.floor(random() * SIZES.length)]!;
    const used: [number, number] = random() < 0.3 ? [Math.floor(random() * 8) * 250, Math.floor(random() * 8) * 512] : [0, 0];
    return host(`h${String(i).padStart(3, '0')}`, cpu, mem, used, {
      ready: random() > 0.15,
      ...(random() < 0.2 ? { groups: { 'demo/g1': 1 + Math.floor(random() * 2) } } : {}),
    });
  });
}

function randomPod(random: () => number, i: number): PodRequest {
  return pod(`p${i}`, Math.floor(random() * 9) * 250, Math.floor(random() * 9) * 512, `g${Math.floor(random() * 6)}`);
}

describe('Scheduler', () => {
  // Large fleets in few levels put many blocks in a level; many levels leave most of them empty.
  it.each([
    [1, 64, 40],
    [2, 64, 40],
    [3, 1, 40],
    [4, 3, 300],
    [5, 1000, 40],
    [6, 16, 150],
    [7, 1, 400],
  ])('chooses what place() chooses at every step (seed %i, %i levels, %i hosts)', (seed, levels, size) => {
    const random = prng(seed);
    const fleet = randomFleet(random, size);
    fleet.push(host('over', 4000, 8192, [0, 9000]));
    const scheduler = new Scheduler(fleet, { levels });
    const placed: [PodRequest, string][] = [];
    let unschedulable = 0;
    for (let step = 0; step < 1500 + 10 * size; step++) {
      const r = random();
      if (r < 0.75) {
        const p = randomPod(random, step);
        const expected = place(p, scheduler.hosts());
        expect(scheduler.place(p), `step ${step}`).toEqual(expected);
        if ('host' in expected) placed.push([p, expected.host]);
        else unschedulable++;
      } else if (r < 0.93 && placed.length > 0) {
        const [p, h] = placed.splice(Math.floor(random() * placed.length), 1)[0]!;
        scheduler.release(p, h);
      } else {
        const h = scheduler.hosts()[Math.floor(random() * fleet.length)]!;
        scheduler.setHost({ ...h, ready: !h.ready });
      }
    }
    // The walk went through full fleets and fitting pods alike.
    expect(placed.length).toBeGreaterThan(100);
    expect(unschedulable).toBeGreaterThan(10);
  });

  it('agrees with place() on a slice of the benchmark’s workload, and spreads every deployment', () => {
    const fleet = Array.from({ length: 60 }, (_, i) => host(`h${String(i).padStart(2, '0')}`, 16000, 65536));
    const scheduler = new Scheduler(fleet);
    for (const p of generatePods(1500, 7)) {
      const expected = place(p, scheduler.hosts());
      expect(scheduler.place(p)).toEqual(expected);
    }
    const hosts = scheduler.hosts();
    expect(hosts.every((h) => Object.values(h.groups ?? {}).every((n) => n === 1))).toBe(true);
    expect(hosts.every((h) => h.requested.cpuMilli <= h.allocatable.cpuMilli && h.requested.memoryBytes <= h.allocatable.memoryBytes)).toBe(true);
  });

  it('counts a placed pod at once, so the next placement sees it', () => {
    const scheduler = new Scheduler([host('a', 1000, 1024)]);
    expect(scheduler.place(pod('one', 600, 256))).toEqual({ host: 'a' });
    expect(scheduler.place(pod('two', 600, 256))).toEqual({ unschedulable: '0/1 hosts are available: 1 insufficient cpu.' });
    expect(scheduler.hosts()[0]).toMatchObject({ requested: { cpuMilli: 600, memoryBytes: 256 * 1024 ** 2 }, groups: { 'demo/one': 1 } });
  });

  it('gives back the room of a released pod', () => {
    const scheduler = new Scheduler([host('a', 1000, 1024)]);
    const one = pod('one', 600, 256);
    scheduler.place(one);
    scheduler.release(one, 'a');
    expect(scheduler.hosts()[0]).toMatchObject({ requested: { cpuMilli: 0, memoryBytes: 0 }, groups: {} });
    expect(scheduler.place(pod('two', 1000, 1024))).toEqual({ host: 'a' });
  });

  it('places nothing on a host while it is not ready, and uses it again once it is', () => {
    const scheduler = new Scheduler([host('a', 4000, 8192, [1000, 1024]), host('b', 4000, 8192)]);
    scheduler.setHost(host('a', 4000, 8192, [1000, 1024], { ready: false }));
    expect(scheduler.place(pod('one', 100, 128))).toEqual({ host: 'b' });
    scheduler.setHost(host('a', 4000, 8192, [1000, 1024]));
    expect(scheduler.place(pod('two', 100, 128))).toEqual({ host: 'a' });
  });

  it('forgets a removed host', () => {
    const scheduler = new Scheduler([host('a', 4000, 8192), host('b', 1000, 1024)]);
    scheduler.removeHost('a');
    expect(scheduler.hosts().map((h) => h.name)).toEqual(['b']);
    expect(scheduler.place(pod('big', 2000, 128))).toEqual({ unschedulable: '0/1 hosts are available: 1 insufficient cpu.' });
    scheduler.release(pod('big', 2000, 128), 'a');
  });

  it('replaces what it knows of a host, its groups included', () => {
    const scheduler = new Scheduler([host('a', 4000, 8192, [0, 0], { groups: { 'demo/web': 2 } }), host('b', 4000, 8192, [500, 512])]);
    expect(scheduler.place(pod('web', 100, 128, 'web'))).toEqual({ host: 'b' });
    scheduler.setHost(host('a', 4000, 8192, [3000, 6144]));
    expect(scheduler.hosts().find((h) => h.name === 'a')?.groups).toEqual({});
    expect(scheduler.place(pod('api', 100, 128, 'api'))).toEqual({ host: 'a' });
  });

  it.each([
    ['negative cpu', pod('bad', -1, 128)],
    ['memory not a number', { ...pod('bad', 100, 128), memoryBytes: Number.NaN }],
  ])('refuses a pod with %s', (_, p) => {
    expect(() => new Scheduler([host('a', 4000, 8192)]).place(p)).toThrow(RangeError);
  });

  it('refuses a fleet that names a host twice', () => {
    expect(() => new Scheduler([host('a', 4000, 8192), host('a', 1000, 1024)])).toThrow(/listed twice/);
  });
});
