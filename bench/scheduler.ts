// `npm run bench -- scheduler [--pods=N] [--hosts=N] [--seed=N]`: places pods of mixed sizes,
// deployment by deployment, on a simulated fleet of identical hosts with the indexed Scheduler
// (one thread), and reports placements per second and hosts used ÷ the lower bound. The lower
// bound is the larger, over cpu and memory, of ⌈sum of requests ÷ host allocatable⌉: no
// placement can use fewer hosts. Only placement is timed, not generating the pods.
import { Scheduler } from '../shared/scheduler/scheduler.ts';
import type { HostInfo, PodRequest } from '../shared/scheduler/types.ts';
import type { BenchResult } from './run.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const HOST = { cpuMilli: 16_000, memoryBytes: 64 * GiB };
/** Requested cpu (millicores) of a deployment, with weights: many small services, a few large. */
const CPU_SIZES: [number, number][] = [[100, 30], [250, 30], [500, 20], [1000, 14], [2000, 6]];

/** mulberry32: a small seeded PRNG, so every run places the same pods (the tests use it too). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted(random: () => number, table: [number, number][]): number {
  let x = random() * table.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of table) if ((x -= w) < 0) return v;
  return table[table.length - 1]![0];
}

/**
 * Deployments of 1–10 replicas, each replica asking the same: cpu from CPU_SIZES, memory 4 GiB per
 * core times a factor between ¼ and 4 (log-uniform), rounded to 64 MiB, within 128 MiB–4 GiB.
 */
export function generatePods(count: number, seed: number): PodRequest[] {
  const random = prng(seed);
  const pods: PodRequest[] = [];
  for (let d = 0; pods.length < count; d++) {
    const replicas = 1 + Math.floor(random() * 10);
    const cpuMilli = weighted(random, CPU_SIZES);
    const mem = (cpuMilli / 1000) * 4 * GiB * 2 ** (random() * 4 - 2);
    const memoryBytes = Math.min(4 * GiB, Math.max(128 * MiB, Math.round(mem / (64 * MiB)) * 64 * MiB));
    const project = `p${d % 2000}`;
    for (let r = 0; r < replicas && pods.length < count; r++) {
      pods.push({ name: `d${d}-${r}`, project, group: `${project}/d${d}`, cpuMilli, memoryBytes });
    }
  }
  return pods;
}

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  const podCount = arg('pods', 150_000);
  const hostCount = arg('hosts', 5_000);
  const seed = arg('seed', 1);
  const pods = generatePods(podCount, seed);
  const fleet: HostInfo[] = Array.from({ length: hostCount }, (_, i) => ({
    name: `host-${String(i).padStart(5, '0')}`,
    allocatable: { ...HOST },
    requested: { cpuMilli: 0, memoryBytes: 0 },
    ready: true,
  }));

  const t0 = performance.now();
  const scheduler = new Scheduler(fleet);
  const t1 = performance.now();
  let unschedulable = 0;
  for (const pod of pods) if (!('host' in scheduler.place(pod))) unschedulable++;
  const t2 = performance.now();

  const hosts = scheduler.hosts();
  const used = hosts.filter((h) => h.requested.cpuMilli > 0 || h.requested.memoryBytes > 0).length;
  const overcommitted = hosts.filter((h) => h.requested.cpuMilli > h.allocatable.cpuMilli || h.requested.memoryBytes > h.allocatable.memoryBytes).length;
  const crowded = hosts.reduce((n, h) => n + Object.values(h.groups ?? {}).reduce((s, c) => s + c - 1, 0), 0);
  const sumCpu = pods.reduce((s, p) => s + p.cpuMilli, 0);
  const sumMem = pods.reduce((s, p) => s + p.memoryBytes, 0);
  const boundCpu = Math.ceil(sumCpu / HOST.cpuMilli);
  const boundMem = Math.ceil(sumMem / HOST.memoryBytes);
  const lowerBound = Math.max(boundCpu, boundMem);
  const seconds = (t2 - t1) / 1000;
  const figures = {
    pods: podCount,
    hosts: hostCount,
    placed: podCount - unschedulable,
    unschedulable,
    placementSeconds: round(seconds, 3),
    placementsPerSecond: Math.round(podCount / seconds),
    indexBuildMs: round(t1 - t0, 1),
    hostsUsed: used,
    lowerBoundCpu: boundCpu,
    lowerBoundMemory: boundMem,
    lowerBound,
    ratio: round(used / lowerBound, 4),
    overcommittedHosts: overcommitted,
    replicasSharingAHost: crowded,
  };
  return {
    notes: [
      `${podCount} pods in deployments of 1–10 replicas (cpu 100m–2000m, memory 128 MiB–4 GiB, seed ${seed}) onto ${hostCount} hosts of 16 cores / 64 GiB; one thread.`,
      'lower bound: max over cpu and memory of ⌈sum of requests ÷ host allocatable⌉; ratio = hosts used ÷ lower bound.',
      'replicasSharingAHost: replicas placed on a host that already ran one of their deployment (spreading makes it 0 while hosts allow).',
    ],
    rows: Object.entries(figures).map(([figure, value]) => ({ figure, value })),
    figures,
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
