// Making the objects of a List in a project, all or nothing where it can be: every item is first
// checked by its own kind's route as a dry run (access, schema, admission, name taken), so a List
// with one bad item makes nothing; then each is written in order, and should a write still fail
// (a quota reached by the items together, a name taken meanwhile), those already created are
// deleted again and the answer says what was made, updated, deleted again and never tried.
// Items go through the API's own routes (by kind), so any kind the API serves, now or later, can
// be in a List. `apply` updates an object of the same name instead of refusing it (its labels,
// annotations and spec are replaced; no three-way merge).
import { BerthError, ValidationError, type ErrorBody, type FieldProblem } from '../errors.ts';
import { KINDS } from '../model/kinds.ts';
import { toBerthManifest } from './compat.ts';

type Json = Record<string, any>;

/** Sends one request to the API as the caller (the app's own request(), with the caller's token). */
export type Send = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

export type ListAction = 'created' | 'configured';

interface Planned {
  at: string;
  kind: string;
  name: string;
  collection: string;
  manifest: Json;
  /** The resourceVersion of the object apply replaces. */
  existing?: string;
}

const label = (p: Planned) => `${p.at} (${p.kind} "${p.name}")`;

/** The inner answer's error as this List's, its fields prefixed with the item's place. */
function itemError(p: Planned, res: { status: number; body: any }, extra = ''): BerthError {
  const inner = (res.body ?? {}) as Partial<ErrorBody>;
  const details = Array.isArray(inner.details) ? (inner.details as FieldProblem[]).map((d) => ({ field: `${p.at}.${d.field}`, message: d.message })) : inner.details;
  return new BerthError(res.status, inner.code ?? 'Failed', `${label(p)}: ${inner.message ?? `answered ${res.status}`}${extra}`, { details, suggestion: inner.suggestion });
}

/** Each item's kind, name and target route, checked before anything is sent. */
export function planList(items: Json[], project: string): Planned[] {
  const seen = new Set<string>();
  return items.map((item, i) => {
    const at = `items[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw ValidationError.field(at, 'an object with kind, apiVersion and metadata');
    const def = typeof item.kind === 'string' ? KINDS.get(item.kind) : undefined;
    if (!def) throw ValidationError.field(`${at}.kind`, typeof item.kind === 'string' ? `this platform serves no kind "${String(item.kind).slice(0, 100)}"` : 'required');
    if (def.scope !== 'project') throw ValidationError.field(`${at}.kind`, `${def.kind} is not made in a project`);
    if (!def.writable) throw ValidationError.field(`${at}.kind`, `${def.kind} objects are made by the platform, not by users`);
    const name = item.metadata?.name;
    if (typeof name !== 'string' || !name) throw ValidationError.field(`${at}.metadata.name`, 'required');
    if (seen.has(`${def.kind}/${name}`)) throw ValidationError.field(`${at}.metadata.name`, `${def.kind} "${name}" is in the List twice`);
    seen.add(`${def.kind}/${name}`);
    const manifest = toBerthManifest(item, project, at);
    return { at, kind: def.kind, name, manifest, collection: `/api/v1/projects/${encodeURIComponent(project)}/${def.plural}` };
  });
}

const objectPath = (p: Planned) => `${p.collection}/${encodeURIComponent(p.name)}`;
const withVersion = (p: Planned) => (p.existing ? { ...p.manifest, metadata: { ...p.manifest.metadata, resourceVersion: p.existing } } : p.manifest);

/**
 * Makes (or, with `apply`, makes or updates) every item; returns each object as written, with
 * what was done to it. Throws the first item's refusal, with its place in the List.
 */
export async function applyList(send: Send, items: Json[], project: string, apply: boolean): Promise<{ items: Json[]; actions: ListAction[] }> {
  const planned = planList(items, project);
  // 1. Every item checked by its route, nothing written.
  for (const p of planned) {
    if (apply) {
      const found = await send('GET', objectPath(p));
      if (found.status === 200) p.existing = found.body.metadata.resourceVersion;
      else if (found.status !== 404) throw itemError(p, found);
    }
    const res = p.existing ? await send('PUT', `${objectPath(p)}?dryRun=All`, withVersion(p)) : await send('POST', `${p.collection}?dryRun=All`, p.manifest);
    if (res.status >= 300) throw itemError(p, res, ' (nothing was made)');
  }
  // 2. Written in order; a failure deletes again what this List created.
  const written: Json[] = [];
  const actions: ListAction[] = [];
  for (const [i, p] of planned.entries()) {
    const res = p.existing ? await send('PUT', objectPath(p), withVersion(p)) : await send('POST', p.collection, p.manifest);
    if (res.status < 300) {
      written.push(res.body);
      actions.push(p.existing ? 'configured' : 'created');
      continue;
    }
    const made = planned.slice(0, i).filter((q) => !q.existing);
    const deleted: string[] = [];
    for (const q of made) if ((await send('DELETE', objectPath(q))).status < 300) deleted.push(label(q));
    const kept = made.map(label).filter((l) => !deleted.includes(l));
    const updated = planned.slice(0, i).filter((q) => q.existing).map(label);
    const summary = [
      deleted.length ? `created and deleted again: ${deleted.join(', ')}` : '',
      kept.length ? `created and NOT deleted (delete them yourself): ${kept.join(', ')}` : '',
      updated.length ? `updated (and left so): ${updated.join(', ')}` : '',
      planned.length > i + 1 ? `not tried: ${planned.slice(i + 1).map(label).join(', ')}` : '',
    ].filter(Boolean);
    const err = itemError(p, res, summary.length ? `; ${summary.join('; ')}` : '');
    throw new BerthError(err.status, err.code, err.message, { details: { failed: p.at, problems: err.details, deletedAgain: deleted, leftCreated: kept, updated, notTried: planned.slice(i + 1).map(label) }, suggestion: err.suggestion });
  }
  return { items: written, actions };
}
