// Iterates every object a listing holds, following continue tokens page by page, so callers
// never write the paging loop themselves.
import type { BerthObject, Labels } from '../model/types.ts';
import type { ObjectStore } from './ports.ts';

/** Every object of one kind in one project ("" for cluster-scoped kinds), optionally by labels. */
export async function* eachObject<T extends BerthObject = BerthObject>(store: ObjectStore, kind: string, project: string, labels?: Labels): AsyncIterable<T> {
  let next: string | undefined;
  do {
    const page = await store.list<T>(kind, project, { labels, continue: next });
    yield* page.items;
    next = page.continue;
  } while (next);
}

/** Every object of a kind across projects (controllers, resync). */
export async function* eachOfKind<T extends BerthObject = BerthObject>(store: ObjectStore, kind: string): AsyncIterable<T> {
  let next: string | undefined;
  do {
    const page = await store.listAll<T>(kind, { continue: next });
    yield* page.items;
    next = page.continue;
  } while (next);
}

/** Every object a field term of lookups.ts names (the pods on a host, a subject's role bindings…). */
export async function* eachByField<T extends BerthObject = BerthObject>(store: ObjectStore, term: string): AsyncIterable<T> {
  let next: string | undefined;
  do {
    const page = await store.listByField<T>(term, { continue: next });
    yield* page.items;
    next = page.continue;
  } while (next);
}

/** The objects an iteration yields, as an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
