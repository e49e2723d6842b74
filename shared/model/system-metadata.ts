// System labels and annotations: the keys under the platform's own prefixes (`berth.io/…` and its
// subdomains, `openshift.io/…`) carry what the platform decided about an object (a project's UID
// block, who asked for it, a build's number, a route's claim time). Tenants may read them but
// never add, change or remove them; only cluster-admins and controllers write them. Pure: the API
// gathers what is stored and what was sent, this decides.
import { BerthError } from '../errors.ts';
import type { Labels } from './types.ts';

/** Keys under these DNS prefixes (and, for berth.io, its subdomains) belong to the platform. */
const PLATFORM_DOMAIN = 'berth.io';
const EXACT_PREFIXES: ReadonlySet<string> = new Set(['berth.io', 'openshift.io']);

/**
 * Keys under a platform prefix that tenants set: `new-app` marks what it made; a DC's owner asks
 * for it to be idled when quiet (shared/idling).
 */
const TENANT_KEYS: ReadonlySet<string> = new Set(['berth.io/generated-by', 'idling.berth.io/enabled']);

/**
 * Whether a label or annotation key belongs to the platform.
 * @example isSystemKey('berth.io/uid-range') // true; isSystemKey('haproxy.router.openshift.io/timeout') // false
 */
export function isSystemKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash <= 0 || TENANT_KEYS.has(key)) return false;
  const prefix = key.slice(0, slash);
  return EXACT_PREFIXES.has(prefix) || prefix.endsWith(`.${PLATFORM_DOMAIN}`);
}

export interface MetadataMaps {
  labels?: Labels;
  annotations?: Labels;
}

/** A tenant tried to write a system key: 403 naming the field. */
export class SystemMetadataError extends BerthError {
  constructor(field: string, message: string) {
    super(403, 'Forbidden', `${field}: ${message}`, {
      details: [{ field, message }],
      suggestion: 'leave labels and annotations under berth.io/ and openshift.io/ as they are; only the platform writes them',
    });
  }
}

/** The first system key `given` adds or changes compared with `stored`, as a field path; undefined when none. */
export function systemKeyChange(stored: MetadataMaps | undefined, given: MetadataMaps): { field: string; message: string } | undefined {
  for (const map of ['labels', 'annotations'] as const) {
    for (const [key, value] of Object.entries(given[map] ?? {})) {
      if (!isSystemKey(key)) continue;
      const before = stored?.[map]?.[key];
      if (before === value) continue;
      return { field: `metadata.${map}.${key}`, message: before === undefined ? 'is a system key: tenants cannot add it' : 'is a system key: tenants cannot change it' };
    }
  }
  return undefined;
}

/** `given` with every system key of `stored` that it leaves out kept as stored: a PUT never drops them. */
export function keepSystemKeys(stored: MetadataMaps | undefined, given: MetadataMaps): Required<MetadataMaps> {
  const keep = (map: 'labels' | 'annotations'): Labels => {
    const kept = Object.entries(stored?.[map] ?? {}).filter(([key]) => isSystemKey(key));
    return { ...Object.fromEntries(kept), ...given[map] };
  };
  return { labels: keep('labels'), annotations: keep('annotations') };
}
