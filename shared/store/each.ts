// Iterates every object a listing holds, following continue tokens page by page, so callers
// never write the paging loop themselves.
import type { BerthObject, Labels } from '../model/types.ts';
import type { ObjectStore } from './ports.ts';

/** Every object of the pages a listing gives, following its continue tokens. */
async function* paged<T>(page: (next: string | undefined) => Promise<{ items: T[]; continue?: string }>): AsyncIterable<T> {
  let next: string | undefined;
  do {
    const p = await page(next);
    yield* p.items;
    next = p.continue;
  } while (next);
}

/** Every object of one kind in one project ("" for cluster-scoped kinds), optionally by labels. */
export const eachObject = <T extends BerthObject = BerthObject>(store: ObjectStore, kind: string, project: string, labels?: Labels): AsyncIterable<T> =>
  paged((next) => store.list<T>(kind, project, { labels, continue: next }));

/** Every object of a kind across projects (controllers, resync). */
export const eachOfKind = <T extends BerthObject = BerthObject>(store: ObjectStore, kind: string): AsyncIterable<T> => paged((next) => store.listAll<T>(kind, { continue: next }));

/** Every object a field term of lookups.ts names (the pods on a host, a subject's role bindings…). */
export const eachByField = <T extends BerthObject = BerthObject>(store: ObjectStore, term: string): AsyncIterable<T> => paged((next) => store.listByField<T>(term, { continue: next }));

/** The objects an iteration yields, as an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
