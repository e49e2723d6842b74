// The documents of the objects a store last read or wrote, by key and resourceVersion, so that a
// write of an object the caller read through the same store needs no read first. A write is
// conditional on the resourceVersion the caller read, and every write of an object gives it a new
// one: the document kept for (key, resourceVersion) is exactly what is stored while that
// resourceVersion is, and a write that finds another one stored is refused as before.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** How many objects are kept (a few hundred KB of compressed documents at most). */
export const RECENT_DOCS = 512;

export class RecentDocs {
  private readonly docs = new Map<string, { rv: string; doc: AttributeValue }>();

  constructor(private readonly capacity = RECENT_DOCS) {}

  /** Keeps a stored item's document (the newest of each key; the oldest key goes first when full). */
  keep(item: Item): void {
    const key = keyText(item);
    const rv = item.rv?.S;
    if (!key || rv === undefined || !item.doc) return;
    this.docs.delete(key);
    this.docs.set(key, { rv, doc: item.doc });
    if (this.docs.size > this.capacity) this.docs.delete(this.docs.keys().next().value!);
  }

  /** The item's document stored at resourceVersion `rv`, if it was kept (as `{ doc }`, for decode). */
  at(key: Item, rv: string): Item | undefined {
    const kept = this.docs.get(keyText(key) ?? '');
    return kept?.rv === rv ? { doc: kept.doc } : undefined;
  }

  forget(key: Item): void {
    this.docs.delete(keyText(key) ?? '');
  }
}

const keyText = (item: Item): string | undefined => (item.pk?.S !== undefined && item.sk?.S !== undefined ? `${item.pk.S}\t${item.sk.S}` : undefined);
