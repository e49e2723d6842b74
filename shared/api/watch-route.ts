// The list routes' watch: the query they take and how a watch request is answered (watch.ts
// tells the changes). How long a request may be held is the platform's choice (ApiDeps.watch):
// long on a server that waits for free, short on Lambda, where every second held is billed
// (docs/cost.md, "Watches").
import * as z from 'zod';
import { ValidationError } from '../errors.ts';
import type { BerthObject, Labels } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { MAX_PAGE } from '../store/ports.ts';
import type { ApiDeps } from './env.ts';
import { ListQuery } from './schemas.ts';
import { parseCursor, watchObjects, type WatchEvent, type WatchOptions } from './watch.ts';
import { withApiVersion } from '../model/api-versions.ts';

/** The longest a client may ask a watch to be held, in seconds. */
export const MAX_WATCH_SECONDS = 60;
/** Defaults where the platform says nothing: held up to 30 s, the objects read every 250 ms. */
export const DEFAULT_WATCH = { maxSeconds: 30, pollMs: 250 } as const;

/** On Lambda a held second is billed: watches answer at once there unless the deployment says otherwise (docs/cost.md, "Watches"). */
export const LAMBDA_WATCH = { maxSeconds: 0, pollMs: 1000 } as const;

/** Watch settings from PAAS_WATCH_MAX_S and PAAS_WATCH_POLL_MS, else `defaults`; a value that is no whole number in range is an error. */
export function watchSettingsFromEnv(env: NodeJS.ProcessEnv, defaults: { maxSeconds: number; pollMs: number }): { maxSeconds: number; pollMs: number } {
  const read = (name: string, fallback: number, min: number, max: number) => {
    const given = env[name];
    if (given === undefined || given === '') return fallback;
    const n = Number(given);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}; it is "${given}"`);
    return n;
  };
  return { maxSeconds: read('PAAS_WATCH_MAX_S', defaults.maxSeconds, 0, MAX_WATCH_SECONDS), pollMs: read('PAAS_WATCH_POLL_MS', defaults.pollMs, 20, 60_000) };
}

export const WatchQuery = ListQuery.extend({
  watch: z.enum(['1', 'true'], 'use watch=1').optional(),
  resourceVersion: z.string().max(16_384).optional(),
  timeoutSeconds: z.coerce.number().int().min(0).max(MAX_WATCH_SECONDS).optional(),
  fieldSelector: z.string().regex(/^metadata\.name=[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'the one field selector is metadata.name=NAME').optional(),
});

/** The name a `metadata.name=NAME` field selector picks, if one was given. */
export const nameOfSelector = (selector: string | undefined): string | undefined => selector?.slice('metadata.name='.length);

/** Every object of a kind in a project (matching the labels), however many pages. */
export async function readAll(store: ObjectStore, kind: string, project: string, labels: Labels | undefined): Promise<BerthObject[]> {
  const all: BerthObject[] = [];
  let token: string | undefined;
  do {
    const page = await store.list(kind, project, { limit: MAX_PAGE, continue: token, labels });
    all.push(...page.items);
    token = page.continue;
  } while (token);
  return all;
}

export interface WatchBody {
  apiVersion: string;
  kind: 'WatchEventList';
  metadata: { resourceVersion?: string };
  items: WatchEvent[];
}

/** How one watch request is held: from its cursor, for the time it asks within the platform's limit. */
export function watchOptions(deps: Pick<ApiDeps, 'watch'>, query: { resourceVersion?: string; timeoutSeconds?: number }, signal: AbortSignal): WatchOptions {
  const settings = deps.watch ?? DEFAULT_WATCH;
  const cursor = query.resourceVersion === undefined ? undefined : parseCursor(query.resourceVersion);
  const timeoutMs = 1000 * Math.min(query.timeoutSeconds ?? settings.maxSeconds, settings.maxSeconds);
  return { cursor, timeoutMs, pollMs: settings.pollMs, signal };
}

/** Answers one watch request: the changes since its cursor, held until there are some or the time is up. */
export async function watchAnswer(
  deps: Pick<ApiDeps, 'watch'>,
  read: () => Promise<BerthObject[]>,
  query: { resourceVersion?: string; timeoutSeconds?: number; limit?: number; continue?: string },
  signal: AbortSignal,
): Promise<WatchBody> {
  if (query.limit !== undefined || query.continue !== undefined) throw ValidationError.field(query.limit !== undefined ? 'limit' : 'continue', 'a watch is not paged: leave it out');
  const answer = await watchObjects(read, watchOptions(deps, query, signal));
  const items = answer.events.map((e) => (e.type === 'ERROR' ? e : { ...e, object: withApiVersion(e.object) }));
  return { apiVersion: 'v1', kind: 'WatchEventList', metadata: answer.cursor ? { resourceVersion: answer.cursor } : {}, items };
}
