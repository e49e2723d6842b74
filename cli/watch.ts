// `get KIND -w`: after the first table, the rows of objects that were added or changed, and a
// line for each one deleted, as they happen (the list is read again every poll interval; a
// resourceVersion that moved is a change). Runs until interrupted.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiObject } from './client.ts';
import { objectTable } from './columns.ts';
import type { Context } from './context.ts';

export async function watchObjects(ctx: Context, kind: string, first: ApiObject[], list: () => Promise<ApiObject[]>, pollMs: number): Promise<never> {
  const versions = new Map(first.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
  for (;;) {
    await sleep(pollMs);
    const now = await list();
    const changed = now.filter((o) => versions.get(o.metadata.name) !== o.metadata.resourceVersion);
    const names = new Set(now.map((o) => o.metadata.name));
    const gone = [...versions.keys()].filter((n) => !names.has(n));
    for (const o of changed) versions.set(o.metadata.name, o.metadata.resourceVersion);
    for (const n of gone) versions.delete(n);
    // The rows without the header: it was printed with the first table.
    if (changed.length) ctx.out(objectTable(kind, changed).split('\n').slice(1).join('\n'));
    for (const n of gone) ctx.out(`${n}   (deleted)`);
  }
}
