// Watching through the API's long poll (`?watch=1`, shared/api/watch.ts): the objects of one
// kind in one project as they change. The first answer lists them all; each next request, from
// the cursor the last one gave, is held by the server until something changes or its time is
// up. A 410 (objects deleted since the cursor) is answered by listing again and comparing, so a
// deletion shows as one. A server that does not hold requests (on Lambda, where holding is
// billed) answers at once; then the client waits on its push connection for a notice that the
// path changed (cli/push.ts) where the answer offers one (header X-Berth-Push), else `pollMs`
// between empty answers. A notice that carries the changed objects (kinds the API shows as
// stored) is applied as a watch answer would be, filtered here by the target's label selector and
// name, without a request; the list is read only after a notice without them, after 25 s without
// any, or on a 410.
import { setTimeout as sleep } from 'node:timers/promises';
import { matchesSelector, parseSelector } from '../shared/model/label-selector.ts';
import { PUSH_HEADER } from '../shared/push/topics.ts';
import type { ApiClient, ApiObject } from './client.ts';
import { objectTable } from './columns.ts';
import type { Context } from './context.ts';
import { waitForChange, type Carried } from './push.ts';

/** How long the CLI asks the server to hold one watch request. */
export const WATCH_SECONDS = 25;

export interface WatchTarget {
  /** The collection path, e.g. /api/v1/projects/demo/builds. */
  path: string;
  labelSelector?: string;
  /** Only this object. */
  name?: string;
}

/** What one step of a watch saw: every object now, those added or changed, the names of those gone. */
export interface WatchStep {
  objects: Map<string, ApiObject>;
  changed: ApiObject[];
  gone: string[];
}

interface Answer {
  metadata: { resourceVersion?: string };
  items: { type: string; object: ApiObject & { code?: number } }[];
}

/**
 * Calls `onStep` with the objects as they are (first) and after every change, until it returns
 * true (then resolves) or throws.
 */
export async function watchUntil(client: ApiClient, target: WatchTarget, onStep: (step: WatchStep) => boolean | Promise<boolean>, pollMs = 1000): Promise<void> {
  const objects = new Map<string, ApiObject>();
  let cursor: string | undefined;
  let initial = true;
  // Whether this server answers watches at once (not held): then asking again straight after a change only finds nothing.
  let answersAtOnce = false;
  for (;;) {
    const query = new URLSearchParams({ watch: '1' });
    if (target.labelSelector) query.set('labelSelector', target.labelSelector);
    if (target.name) query.set('fieldSelector', `metadata.name=${target.name}`);
    if (cursor) {
      query.set('resourceVersion', cursor);
      query.set('timeoutSeconds', String(WATCH_SECONDS));
    }
    const asked = Date.now();
    const res = await client.open('GET', `${target.path}?${query}`, { timeoutMs: (WATCH_SECONDS + 30) * 1000 });
    const answer = JSON.parse(await res.text()) as Answer;
    const expired = answer.items.some((e) => e.type === 'ERROR');
    const step: WatchStep = { objects, changed: [], gone: [] };
    if (!cursor) {
      // A full listing (the first, or after a 410): compare with what was known.
      const now = new Set(answer.items.map((e) => e.object.metadata.name));
      for (const name of objects.keys()) if (!now.has(name)) step.gone.push(name);
      for (const name of step.gone) objects.delete(name);
    }
    for (const e of answer.items) {
      if (e.type === 'ERROR') continue;
      const known = objects.get(e.object.metadata.name);
      if (known?.metadata.resourceVersion === e.object.metadata.resourceVersion) continue;
      objects.set(e.object.metadata.name, e.object);
      step.changed.push(e.object);
    }
    cursor = expired ? undefined : answer.metadata.resourceVersion;
    if (expired) continue;
    if (step.changed.length || step.gone.length || initial) {
      initial = false;
      if (await onStep(step)) return;
      // Told (or, polling, a poll interval) before asking again: a notice that came meanwhile ends the wait at once.
      if (answersAtOnce && (await untilRead(client, res.headers.get(PUSH_HEADER), target, objects, onStep, pollMs))) return;
    } else if (Date.now() - asked < (WATCH_SECONDS * 1000) / 2) {
      // Answered empty long before the time asked: this server does not hold watches.
      answersAtOnce = true;
      if (await untilRead(client, res.headers.get(PUSH_HEADER), target, objects, onStep, pollMs)) return;
    }
  }
}

/**
 * Waits to be told of changes, applying the objects notices carry (each change an `onStep`)
 * until a read is wanted: a notice without them, none for PUSH_FALLBACK_MS, no push connection.
 * True when `onStep` said it is done.
 */
async function untilRead(client: ApiClient, where: string | null, target: WatchTarget, objects: Map<string, ApiObject>, onStep: (step: WatchStep) => boolean | Promise<boolean>, pollMs: number): Promise<boolean> {
  for (;;) {
    const told = await waitForChange(client, where, [target.path], pollMs);
    if (!told || told.paths.length || !told.carried.length) return false;
    const step = applyCarried(objects, told.carried, target);
    if ((step.changed.length || step.gone.length) && (await onStep(step))) return true;
  }
}

/**
 * Applies what notices carried, in order, to the objects known: an object of the target (its
 * name, its label selector) in a version not yet known is added or changed; one removed, or no
 * longer matching the selector, is gone.
 */
export function applyCarried(objects: Map<string, ApiObject>, carried: Carried[], target: WatchTarget): WatchStep {
  const wanted = parseSelector(target.labelSelector);
  const changed = new Map<string, ApiObject>();
  const gone = new Set<string>();
  const drop = (name: string) => {
    if (!objects.delete(name)) return;
    changed.delete(name);
    gone.add(name);
  };
  for (const c of carried) {
    for (const o of c.objects) {
      const name = o.metadata.name;
      if (target.name !== undefined && name !== target.name) continue;
      if (!matchesSelector(o.metadata.labels, wanted)) {
        drop(name);
        continue;
      }
      if (objects.get(name)?.metadata.resourceVersion === o.metadata.resourceVersion) continue;
      objects.set(name, o);
      gone.delete(name);
      changed.delete(name);
      changed.set(name, o);
    }
    for (const name of c.gone) drop(name);
  }
  return { objects, changed: [...changed.values()], gone: [...gone] };
}

/** Prints, after the first table, the rows of objects added or changed and a line for each one deleted. */
function changePrinter(ctx: Context, kind: string, first: ApiObject[]): (changed: ApiObject[], gone: string[]) => void {
  const versions = new Map(first.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
  return (changed, gone) => {
    const fresh = changed.filter((o) => versions.get(o.metadata.name) !== o.metadata.resourceVersion);
    for (const o of fresh) versions.set(o.metadata.name, o.metadata.resourceVersion);
    const deleted = gone.filter((n) => versions.delete(n));
    // The rows without the header: it was printed with the first table.
    if (fresh.length) ctx.out(objectTable(kind, fresh).split('\n').slice(1).join('\n'));
    for (const n of deleted) ctx.out(`${n}   (deleted)`);
  };
}

/** `get KIND -w` of a project's kind, through the watch, until interrupted. */
export async function printChanges(ctx: Context, client: ApiClient, kind: string, first: ApiObject[], target: WatchTarget, pollMs: number): Promise<void> {
  const print = changePrinter(ctx, kind, first);
  await watchUntil(client, target, ({ changed, gone }) => (print(changed, gone), false), pollMs);
}

/** `get KIND -w` of a cluster-scoped kind (no watch route): the list read again every poll interval. */
export async function pollChanges(ctx: Context, kind: string, first: ApiObject[], list: () => Promise<ApiObject[]>, pollMs: number): Promise<never> {
  const print = changePrinter(ctx, kind, first);
  let known = first;
  for (;;) {
    await sleep(pollMs);
    const now = await list();
    const names = new Set(now.map((o) => o.metadata.name));
    print(now, known.map((o) => o.metadata.name).filter((n) => !names.has(n)));
    known = now;
  }
}
