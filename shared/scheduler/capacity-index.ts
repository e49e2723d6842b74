// The index that makes placement fast on a large fleet. Ready hosts are kept in levels by free
// cpu (level k holds free cpu in [k·width, (k+1)·width)); within a level, in preference order
// (freeShare, then name), cut into blocks that remember their largest free cpu and memory.
//
// A pod asking for c millicores and m bytes cannot fit below level ⌊c/width⌋, fits on cpu in
// every level above it, and so needs only the memory check there, which a block's largest free
// memory answers for the whole block: the first block that passes holds the level's best host.
// Only the boundary level checks cpu host by host. Levels are visited upwards and the walk
// stops once a level's lowest possible freeShare is above the best host found, which bin-packing
// makes early: the best host is nearly always in the first few levels that fit.
//
// A host's entry is found again by its key, so `put` and `drop` must see the key it was filed
// under: callers change a host only through them.

const BLOCK = 32;
/** Lets a bound computed in another order of float operations not cut off an equal score. */
const EPSILON = 1e-9;

interface Block {
  ids: number[];
  maxCpu: number;
  maxMem: number;
}

export class CapacityIndex {
  private readonly levels: Block[][] = [];
  private readonly name: string[] = [];
  private readonly freeCpu: number[] = [];
  private readonly freeMem: number[] = [];
  private readonly share: number[] = [];
  /** The level a host is filed in, or -1 when it is not indexed. */
  private readonly level: number[] = [];
  private maxAllocCpu = 0;
  private maxAllocMem = 0;

  constructor(private readonly width: number) {
    if (!(width >= 1)) throw new RangeError(`level width must be at least 1, not ${width}`);
  }

  /** Files host `i` (again) with its current free resources and freeShare. */
  put(i: number, name: string, free: { cpu: number; mem: number; share: number }, alloc: { cpu: number; mem: number }): void {
    this.drop(i);
    this.name[i] = name;
    this.freeCpu[i] = free.cpu;
    this.freeMem[i] = free.mem;
    this.share[i] = free.share;
    this.maxAllocCpu = Math.max(this.maxAllocCpu, alloc.cpu);
    this.maxAllocMem = Math.max(this.maxAllocMem, alloc.mem);
    const k = this.levelOf(free.cpu);
    while (this.levels.length <= k) this.levels.push([]);
    this.level[i] = k;
    this.insert(this.levels[k]!, i);
  }

  /** Takes host `i` out of the index (not ready, removed), if it is in. */
  drop(i: number): void {
    const k = this.level[i] ?? -1;
    if (k < 0) return;
    this.level[i] = -1;
    const blocks = this.levels[k]!;
    const b = this.blockFor(blocks, i);
    const block = blocks[b]!;
    const at = this.positionIn(block.ids, i);
    if (block.ids[at] !== i) throw new Error(`capacity index lost host ${this.name[i]}`);
    block.ids.splice(at, 1);
    if (block.ids.length === 0) blocks.splice(b, 1);
    else if (this.freeCpu[i] === block.maxCpu || this.freeMem[i] === block.maxMem) this.remax(block);
  }

  /**
   * The first host in preference order (freeShare, then name) with room for `cpu` and `mem`,
   * leaving out the hosts `skip` has an entry for; -1 when there is none.
   */
  best(cpu: number, mem: number, skip?: ReadonlyMap<number, number>): number {
    let best = -1;
    const boundary = this.levelOf(cpu);
    for (let k = boundary; k < this.levels.length; k++) {
      if (best >= 0 && this.lowestShare(k, mem) > this.share[best]! + EPSILON) break;
      const found = this.firstIn(this.levels[k]!, cpu, mem, k === boundary, skip);
      if (found >= 0 && (best < 0 || this.before(found, best))) best = found;
    }
    return best;
  }

  private firstIn(blocks: Block[], cpu: number, mem: number, boundary: boolean, skip?: ReadonlyMap<number, number>): number {
    for (const block of blocks) {
      if (block.maxMem < mem || (boundary && block.maxCpu < cpu)) continue;
      for (const i of block.ids) {
        if (this.freeMem[i]! < mem || (boundary && this.freeCpu[i]! < cpu)) continue;
        if (skip !== undefined && skip.has(i)) continue;
        return i;
      }
    }
    return -1;
  }

  /** No host in level k that has `mem` free can have a lower freeShare than this. */
  private lowestShare(k: number, mem: number): number {
    const cpu = this.maxAllocCpu > 0 ? (k * this.width) / this.maxAllocCpu : 0;
    const memory = this.maxAllocMem > 0 ? mem / this.maxAllocMem : 0;
    return (cpu + memory) / 2;
  }

  private levelOf(cpu: number): number {
    return cpu > 0 ? Math.floor(cpu / this.width) : 0;
  }

  private before(a: number, b: number): boolean {
    const sa = this.share[a]!;
    const sb = this.share[b]!;
    return sa < sb || (sa === sb && this.name[a]! < this.name[b]!);
  }

  private insert(blocks: Block[], i: number): void {
    if (blocks.length === 0) {
      blocks.push({ ids: [i], maxCpu: this.freeCpu[i]!, maxMem: this.freeMem[i]! });
      return;
    }
    const b = Math.min(this.blockFor(blocks, i), blocks.length - 1);
    const block = blocks[b]!;
    block.ids.splice(this.positionIn(block.ids, i), 0, i);
    block.maxCpu = Math.max(block.maxCpu, this.freeCpu[i]!);
    block.maxMem = Math.max(block.maxMem, this.freeMem[i]!);
    if (block.ids.length > 2 * BLOCK) {
      const rest: Block = { ids: block.ids.splice(BLOCK), maxCpu: 0, maxMem: 0 };
      this.remax(block);
      this.remax(rest);
      blocks.splice(b + 1, 0, rest);
    }
  }

  /** The first block whose last host does not come before `i` (blocks.length when none). */
  private blockFor(blocks: Block[], i: number): number {
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ids = blocks[mid]!.ids;
      if (this.before(ids[ids.length - 1]!, i)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first position whose host does not come before `i`. */
  private positionIn(ids: number[], i: number): number {
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(ids[mid]!, i)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private remax(block: Block): void {
    let cpu = -Infinity;
    let mem = -Infinity;
    for (const i of block.ids) {
      if (this.freeCpu[i]! > cpu) cpu = this.freeCpu[i]!;
      if (this.freeMem[i]! > mem) mem = this.freeMem[i]!;
    }
    block.maxCpu = cpu;
    block.maxMem = mem;
  }
}
