// The indexed scheduler: the same choices as `place()` (policy.ts decides both), made in about
// logarithmic time per pod by keeping a CapacityIndex of the ready hosts and, per group, the
// hosts that already run one of its replicas. It holds the fleet as the caller last told it;
// each placement is assumed at once, and `release` undoes one whose binding failed or whose
// pod has gone.
import { CapacityIndex } from './capacity-index.ts';
import { allowedOn, fitsIn, freeShare, noRefusals, preferred, refuse, unschedulableMessage } from './policy.ts';
import type { HostInfo, Placement, PodRequest, Resources } from './types.ts';

export interface SchedulerOptions {
  /**
   * How many free-cpu levels the largest host spans (default 64). More levels mean fewer hosts
   * checked one by one at the boundary and more levels walked; the choice never changes a result.
   */
  levels?: number;
}

export class Scheduler {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly alloc: Resources[] = [];
  private readonly requested: Resources[] = [];
  private readonly ready: boolean[] = [];
  private readonly labels: (HostInfo['labels'] | undefined)[] = [];
  /** Per host: pods per group. Per group: pods per host id; both without zero counts. */
  private readonly hostGroups: Map<string, number>[] = [];
  private readonly groupHosts = new Map<string, Map<number, number>>();
  private readonly index: CapacityIndex;

  constructor(hosts: readonly HostInfo[] = [], opts: SchedulerOptions = {}) {
    const largest = hosts.reduce((max, h) => Math.max(max, h.allocatable.cpuMilli), 0);
    this.index = new CapacityIndex(largest > 0 ? Math.max(1, Math.ceil(largest / (opts.levels ?? 64))) : 250);
    for (const h of hosts) {
      if (this.ids.has(h.name)) throw new RangeError(`host "${h.name}" is listed twice`);
      this.setHost(h);
    }
  }

  /**
   * Chooses a host for `pod` exactly as `place(pod, this.hosts())` would and, when there is one,
   * counts the pod on it at once, so the next placement sees it.
   */
  place(pod: PodRequest): Placement {
    const { cpuMilli: cpu, memoryBytes: mem } = pod;
    if (!(cpu >= 0 && mem >= 0)) throw new RangeError(`pod ${pod.project}/${pod.name} has invalid requests: cpu ${cpu}, memory ${mem}`);
    const group = this.groupHosts.get(pod.group);
    let i: number;
    if (pod.onlyHosts) {
      // Few hosts to choose from (where the pod's ReadWriteOnce claims are): look at each.
      const only = new Map(pod.onlyHosts.flatMap((h) => (this.ids.has(h) ? [[this.ids.get(h)!, group?.get(this.ids.get(h)!) ?? 0] as [number, number]] : [])));
      i = this.bestAmong(only, cpu, mem);
    } else {
      i = this.index.best(cpu, mem, group);
      if (i < 0 && group) i = this.bestAmong(group, cpu, mem);
    }
    if (i < 0) return { unschedulable: this.explain(cpu, mem, pod.onlyHosts) };
    this.account(i, pod, 1);
    return { host: this.names[i]! };
  }

  /** Undoes a placement (its binding failed, or the pod has gone). A host no longer known is ignored. */
  release(pod: PodRequest, host: string): void {
    const i = this.ids.get(host);
    if (i !== undefined) this.account(i, pod, -1);
  }

  /** Adds a host or replaces what is known of one (readiness, capacity, its pods' requests and groups). */
  setHost(h: HostInfo): void {
    let i = this.ids.get(h.name);
    if (i === undefined) {
      i = this.names.length;
      this.ids.set(h.name, i);
      this.names.push(h.name);
      this.hostGroups.push(new Map());
    }
    for (const g of this.hostGroups[i]!.keys()) this.count(i, g, -(this.hostGroups[i]!.get(g) ?? 0));
    for (const [g, n] of Object.entries(h.groups ?? {})) this.count(i, g, n);
    this.alloc[i] = { ...h.allocatable };
    this.requested[i] = { ...h.requested };
    this.ready[i] = h.ready;
    this.labels[i] = h.labels;
    this.reindex(i);
  }

  /** Forgets a host (deregistered from the fleet). */
  removeHost(name: string): void {
    const i = this.ids.get(name);
    if (i === undefined) return;
    this.setHost({ name, allocatable: zero(), requested: zero(), ready: false });
    this.ids.delete(name);
  }

  /** The fleet as the scheduler now sees it. */
  hosts(): HostInfo[] {
    return [...this.ids.values()].map((i) => ({
      name: this.names[i]!,
      allocatable: { ...this.alloc[i]! },
      requested: { ...this.requested[i]! },
      ready: this.ready[i]!,
      ...(this.labels[i] ? { labels: this.labels[i] } : {}),
      groups: Object.fromEntries(this.hostGroups[i]!),
    }));
  }

  /** The best host among those already running the group, fewest of its pods first. */
  private bestAmong(group: Map<number, number>, cpu: number, mem: number): number {
    let best = -1;
    let bestCount = 0;
    let bestShare = 0;
    for (const [i, count] of group) {
      if (!this.ready[i] || !fitsIn(...this.free(i), cpu, mem)) continue;
      const share = this.shareOf(i);
      if (best < 0 || preferred(count, share, this.names[i]!, bestCount, bestShare, this.names[best]!)) {
        best = i;
        bestCount = count;
        bestShare = share;
      }
    }
    return best;
  }

  private explain(cpu: number, mem: number, onlyHosts?: readonly string[]): string {
    const r = noRefusals();
    for (const i of this.ids.values()) refuse(r, this.ready[i]!, ...this.free(i), cpu, mem, allowedOn(onlyHosts, this.names[i]!));
    return unschedulableMessage(r);
  }

  private account(i: number, pod: PodRequest, sign: 1 | -1): void {
    const req = this.requested[i]!;
    req.cpuMilli += sign * pod.cpuMilli;
    req.memoryBytes += sign * pod.memoryBytes;
    this.count(i, pod.group, sign);
    this.reindex(i);
  }

  private count(i: number, group: string, by: number): void {
    const perHost = this.hostGroups[i]!;
    const n = (perHost.get(group) ?? 0) + by;
    let hosts = this.groupHosts.get(group);
    if (n > 0) {
      perHost.set(group, n);
      if (!hosts) this.groupHosts.set(group, (hosts = new Map()));
      hosts.set(i, n);
      return;
    }
    perHost.delete(group);
    hosts?.delete(i);
    if (hosts?.size === 0) this.groupHosts.delete(group);
  }

  private reindex(i: number): void {
    if (!this.ready[i]) {
      this.index.drop(i);
      return;
    }
    const [cpu, mem] = this.free(i);
    this.index.put(i, this.names[i]!, { cpu, mem, share: this.shareOf(i) }, { cpu: this.alloc[i]!.cpuMilli, mem: this.alloc[i]!.memoryBytes });
  }

  private free(i: number): [number, number] {
    return [this.alloc[i]!.cpuMilli - this.requested[i]!.cpuMilli, this.alloc[i]!.memoryBytes - this.requested[i]!.memoryBytes];
  }

  private shareOf(i: number): number {
    return freeShare(this.alloc[i]!.cpuMilli, this.requested[i]!.cpuMilli, this.alloc[i]!.memoryBytes, this.requested[i]!.memoryBytes);
  }
}

const zero = (): Resources => ({ cpuMilli: 0, memoryBytes: 0 });
