// Which cached images a host's engine removes to stay within its cache budget: least recently
// used first, never an image in use or used recently. Pure; docker-cache.ts reads the engine and
// removes what this decides.

export interface CachedImage {
  /** The engine's image id (sha256:…). */
  id: string;
  /** Its names: repo:tag and repo@digest. */
  refs: string[];
  sizeBytes: number;
  /** When it was last built, tagged, pulled or seen in use (ms since the epoch). */
  lastUsedMs: number;
}

export interface CachePlanInput {
  /** The platform's images on the engine (others are never given to the planner). */
  images: CachedImage[];
  /** Ids and names in use: containers, desired pods, recent builds, the builder images. */
  inUse: Set<string>;
  budgetBytes: number;
  /** Images used after this instant are kept whatever the budget (recent builds and pulls). */
  keepUsedAfterMs: number;
}

const inUseBy = (image: CachedImage, inUse: Set<string>): boolean => inUse.has(image.id) || image.refs.some((r) => inUse.has(r));

/**
 * The images to remove, oldest use first, until what stays fits the budget (or nothing more may
 * go). An image in use or used after `keepUsedAfterMs` is never chosen.
 * @example planCacheRemoval({ images: [a, b], inUse: new Set([b.id]), budgetBytes: 0, keepUsedAfterMs: 0 }) // [a]
 */
export function planCacheRemoval(input: CachePlanInput): CachedImage[] {
  let total = input.images.reduce((sum, i) => sum + i.sizeBytes, 0);
  if (total <= input.budgetBytes) return [];
  const candidates = input.images
    .filter((i) => !inUseBy(i, input.inUse) && i.lastUsedMs <= input.keepUsedAfterMs)
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.id.localeCompare(b.id));
  const remove: CachedImage[] = [];
  for (const image of candidates) {
    if (total <= input.budgetBytes) break;
    remove.push(image);
    total -= image.sizeBytes;
  }
  return remove;
}

/** The cache budget from `PAAS_IMAGE_CACHE_GB` (GiB, default 10; 0 keeps only what is in use). */
export function imageCacheBudgetBytes(env: NodeJS.ProcessEnv): number {
  const raw = env.PAAS_IMAGE_CACHE_GB;
  if (raw === undefined || raw === '') return 10 * 2 ** 30;
  const gb = Number(raw);
  if (!Number.isFinite(gb) || gb < 0) throw new Error(`PAAS_IMAGE_CACHE_GB=${raw} is not a size in GiB (a number, 0 or more)`);
  return Math.round(gb * 2 ** 30);
}
