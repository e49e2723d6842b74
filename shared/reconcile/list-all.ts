// Iterates every object of a kind across projects, page by page (resync sources).
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';

export async function* eachOfKind<T extends BerthObject = BerthObject>(store: ObjectStore, kind: string): AsyncIterable<T> {
  let next: string | undefined;
  do {
    const page = await store.listAll<T>(kind, { continue: next });
    yield* page.items;
    next = page.continue;
  } while (next);
}
