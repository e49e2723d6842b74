// The image cache of one Docker Engine (a container host or a build host), kept within a budget:
// reads the engine's images, hands the platform's own to the planner (cache-plan.ts) with what is
// in use, and removes what it chose. Only images named solely in the platform registry are
// considered, and never the platform's shared images (the builder images): other images on a
// shared engine are someone else's.
import type Docker from 'dockerode';
import type { PlatformRegistry } from './access.ts';
import { planCacheRemoval, type CachedImage } from './cache-plan.ts';

export interface DockerImageCacheOptions {
  registry: PlatformRegistry;
  budgetBytes: number;
  /** Images built, tagged, pulled or in use within this long are kept (default 30 minutes). */
  keepRecentMs?: number;
  now?: () => number;
}

export interface CacheCollection {
  removed: { id: string; refs: string[]; sizeBytes: number }[];
  /** The platform's images on the engine before and after. */
  beforeBytes: number;
  afterBytes: number;
}

const ZERO_TIME = /^0001-/;

export class DockerImageCache {
  /** When each image was last used as far as this process knows: seen in use, or else made or tagged. */
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;
  private readonly keepRecentMs: number;

  constructor(
    private readonly docker: Docker,
    private readonly opts: DockerImageCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.keepRecentMs = opts.keepRecentMs ?? 30 * 60_000;
  }

  /** Whether `ref` is named in the platform registry, and whether it is one of its shared images. */
  private classify(ref: string): 'shared' | 'tenant' | 'other' {
    const { host, prefix, shared } = this.opts.registry;
    if (!ref.toLowerCase().startsWith(`${host.toLowerCase()}/`)) return 'other';
    const parts = ref.slice(host.length + 1).split('/');
    const under = prefix ? (parts[0] === prefix ? parts.slice(1) : undefined) : parts;
    if (!under || under.length < 2) return 'other';
    return shared.includes(under[0]!) ? 'shared' : 'tenant';
  }

  /** The platform's tenant images on the engine, with when each was last used. */
  async images(inUse: Set<string>): Promise<CachedImage[]> {
    const t = this.now();
    const out: CachedImage[] = [];
    for (const info of await this.docker.listImages({ all: false })) {
      const refs = [...(info.RepoTags ?? []), ...(info.RepoDigests ?? [])].filter((r) => !r.startsWith('<none>'));
      const kinds = refs.map((r) => this.classify(r));
      if (!refs.length || kinds.some((k) => k !== 'tenant')) continue;
      const tagged = await this.docker.getImage(info.Id).inspect().then((i) => (i as { Metadata?: { LastTagTime?: string } }).Metadata?.LastTagTime, () => undefined);
      const tagMs = tagged && !ZERO_TIME.test(tagged) ? Date.parse(tagged) : 0;
      // The engine records no use of an image, only when it was made and last tagged (a build or
      // a pull): an image seen in use counts from now, any other from the later of those.
      if (inUse.has(info.Id) || refs.some((r) => inUse.has(r))) this.seen.set(info.Id, t);
      const lastUsedMs = Math.max(this.seen.get(info.Id) ?? 0, tagMs, info.Created * 1000);
      this.seen.set(info.Id, lastUsedMs);
      out.push({ id: info.Id, refs, sizeBytes: info.Size, lastUsedMs });
    }
    const present = new Set(out.map((i) => i.id));
    for (const id of [...this.seen.keys()]) if (!present.has(id)) this.seen.delete(id);
    return out;
  }

  /**
   * Removes least-recently-used tenant images until the rest fit the budget. `inUse` names the
   * images the caller knows are wanted (desired pods' images); every container's image on the
   * engine is in use too.
   */
  async collect(wanted: Iterable<string> = []): Promise<CacheCollection> {
    const inUse = new Set(wanted);
    for (const c of await this.docker.listContainers({ all: true })) {
      inUse.add(c.ImageID);
      inUse.add(c.Image);
    }
    const images = await this.images(inUse);
    const beforeBytes = images.reduce((s, i) => s + i.sizeBytes, 0);
    const plan = planCacheRemoval({ images, inUse, budgetBytes: this.opts.budgetBytes, keepUsedAfterMs: this.now() - this.keepRecentMs });
    const removed: CacheCollection['removed'] = [];
    for (const image of plan) {
      if (await this.remove(image)) removed.push({ id: image.id, refs: image.refs, sizeBytes: image.sizeBytes });
    }
    return { removed, beforeBytes, afterBytes: beforeBytes - removed.reduce((s, i) => s + i.sizeBytes, 0) };
  }

  /**
   * Removes the image by each of its names (never forced: an image a container started using
   * meanwhile stays). Whether it is gone.
   */
  private async remove(image: CachedImage): Promise<boolean> {
    for (const ref of image.refs) {
      try {
        await this.docker.getImage(ref).remove({ noprune: false });
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) continue;
        if (status === 409) return false;
        throw err;
      }
    }
    this.seen.delete(image.id);
    return this.docker.getImage(image.id).inspect().then(() => false, () => true);
  }
}
