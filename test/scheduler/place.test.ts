// The placement policy as a pure function: which host a pod goes to, and the words for a pod
// that fits nowhere.
import { describe, expect, it } from 'vitest';
import { place } from '../../shared/scheduler/place.ts';
import type { HostInfo, PodRequest } from '../../shared/scheduler/types.ts';
import { bound, host, pod } from './fixtures.ts';

describe('place() chooses a host', () => {
  it.each<[string, PodRequest, HostInfo[], string]>([
    ['a pod that fits goes to the only host', pod('web', 500, 512), [host('a', 4000, 8192)], 'a'],
    ['an exact fit of both resources is a fit', pod('web', 1000, 1024), [host('a', 4000, 8192, [3000, 7168])], 'a'],
    ['a pod asking for nothing fits on a full host', pod('web', 0, 0), [host('a', 4000, 8192, [4000, 8192])], 'a'],
    [
      'a host one millicore short is passed over for one that fits',
      pod('web', 1000, 512),
      [host('a', 4000, 8192, [3001, 0]), host('b', 4000, 8192, [1000, 0])],
      'b',
    ],
    [
      'a host one MiB short is passed over for one that fits',
      pod('web', 500, 1024),
      [host('a', 4000, 8192, [0, 7169]), host('b', 4000, 8192, [0, 4096])],
      'b',
    ],
    [
      'a host that is not ready is skipped, however well the pod would fit',
      pod('web', 500, 512),
      [host('a', 4000, 8192, [3000, 6000], { ready: false }), host('b', 4000, 8192)],
      'b',
    ],
    [
      'bin-packing: a small pod goes to the fullest host that fits',
      pod('web', 500, 512),
      [host('empty', 4000, 8192), host('half', 4000, 8192, [2000, 4096]), host('full', 4000, 8192, [3800, 8000]), host('most', 4000, 8192, [3000, 6144])],
      'most',
    ],
    [
      'bin-packing weighs cpu and memory alike (mean of the allocated shares)',
      pod('web', 100, 128),
      [host('cpu-heavy', 4000, 8192, [3600, 819]), host('memory-heavy', 4000, 8192, [800, 7373]), host('balanced', 4000, 8192, [2000, 4096])],
      'memory-heavy',
    ],
    ['equal hosts are told apart by name', pod('web', 500, 512), [host('c', 4000, 8192), host('a', 4000, 8192), host('b', 4000, 8192)], 'a'],
    [
      'spreading: a host without the group beats a fuller one that runs it',
      pod('web', 500, 512, 'web'),
      [host('busy', 4000, 8192, [3000, 6000], { groups: { 'demo/web': 1 } }), host('idle', 4000, 8192)],
      'idle',
    ],
    [
      'spreading counts only the pod’s own group',
      pod('web', 500, 512, 'web'),
      [host('busy', 4000, 8192, [3000, 6000], { groups: { 'demo/api': 3 } }), host('idle', 4000, 8192)],
      'busy',
    ],
    [
      'spreading is a preference: the only host with room takes a second replica',
      pod('web', 500, 512, 'web'),
      [host('busy', 4000, 8192, [0, 0], { groups: { 'demo/web': 1 } }), host('full', 4000, 8192, [4000, 8192])],
      'busy',
    ],
    [
      'among hosts that run the group, the one with fewest of its pods',
      pod('web', 500, 512, 'web'),
      [host('two', 4000, 8192, [1000, 1024], { groups: { 'demo/web': 2 } }), host('one', 4000, 8192, [0, 0], { groups: { 'demo/web': 1 } })],
      'one',
    ],
  ])('%s', (_, p, hosts, expected) => {
    expect(place(p, hosts)).toEqual({ host: expected });
  });

  it('spreads 3 replicas over 3 hosts, then packs the 4th onto the fullest', () => {
    let hosts = [host('a', 4000, 8192, [1000, 1024]), host('b', 4000, 8192), host('c', 4000, 8192, [2000, 2048])];
    const chosen: string[] = [];
    for (const name of ['web-1', 'web-2', 'web-3', 'web-4']) {
      const p = pod(name, 500, 512, 'web');
      const result = place(p, hosts);
      if (!('host' in result)) throw new Error(result.unschedulable);
      chosen.push(result.host);
      hosts = bound(hosts, result.host, p);
    }
    expect(chosen).toEqual(['c', 'a', 'b', 'c']);
  });

  it('never over-commits: filling a host pod by pod stops exactly at its capacity', () => {
    let hosts = [host('a', 1000, 1024)];
    const results = [];
    for (let i = 0; i < 5; i++) {
      const p = pod(`p${i}`, 300, 200);
      const result = place(p, hosts);
      results.push(result);
      if ('host' in result) hosts = bound(hosts, result.host, p);
    }
    expect(results.filter((r) => 'host' in r)).toHaveLength(3);
    expect(hosts[0]!.requested).toEqual({ cpuMilli: 900, memoryBytes: 600 * 1024 ** 2 });
    expect(results[3]).toEqual({ unschedulable: '0/1 hosts are available: 1 insufficient cpu.' });
  });

  it('changes none of the hosts it is given', () => {
    const hosts = [host('a', 4000, 8192, [1000, 1024], { groups: { 'demo/web': 1 } })];
    const copy = structuredClone(hosts);
    place(pod('web', 500, 512, 'web'), hosts);
    expect(hosts).toEqual(copy);
  });
});

describe('place() says why a pod fits nowhere, in Kubernetes’ words', () => {
  it.each<[string, PodRequest, HostInfo[], string]>([
    ['every host short of memory', pod('big', 500, 16384), [host('a', 4000, 8192), host('b', 4000, 8192), host('c', 4000, 8192)], '0/3 hosts are available: 3 insufficient memory.'],
    ['a host short of cpu', pod('big', 5000, 512), [host('a', 4000, 8192)], '0/1 hosts are available: 1 insufficient cpu.'],
    [
      'a host short of both counts under both',
      pod('big', 3000, 6144),
      [host('a', 4000, 8192, [2000, 4096]), host('b', 4000, 8192, [0, 4096])],
      '0/2 hosts are available: 1 insufficient cpu, 2 insufficient memory.',
    ],
    [
      'a host that is not ready counts only as not ready',
      pod('big', 3000, 6144),
      [host('a', 4000, 8192, [2000, 4096]), host('b', 4000, 8192, [2000, 0], { ready: false }), host('c', 4000, 8192, [0, 4096])],
      '0/3 hosts are available: 1 insufficient cpu, 1 not ready, 2 insufficient memory.',
    ],
    ['every host not ready', pod('web', 100, 128), [host('a', 4000, 8192, [0, 0], { ready: false }), host('b', 4000, 8192, [0, 0], { ready: false })], '0/2 hosts are available: 2 not ready.'],
    ['a host already over its capacity takes nothing more', pod('web', 0, 128), [host('a', 4000, 8192, [0, 9000])], '0/1 hosts are available: 1 insufficient memory.'],
    [
      'causes sort as Kubernetes sorts them: as strings, count first',
      pod('web', 1000, 128),
      [...Array.from({ length: 10 }, (_, i) => host(`c${i}`, 500, 8192)), host('m', 4000, 64), host('n', 4000, 64)],
      '0/12 hosts are available: 10 insufficient cpu, 2 insufficient memory.',
    ],
    ['no hosts at all', pod('web', 100, 128), [], 'no hosts available to schedule pods'],
  ])('%s', (_, p, hosts, expected) => {
    expect(place(p, hosts)).toEqual({ unschedulable: expected });
  });
});
