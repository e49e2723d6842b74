// Lookup items: small items that make "objects with this label" and "pods on this host" one
// query instead of a read of every object of a kind. They hold keys only, never the object, so
// the writes that change no label and no indexed field (most status writes) leave them alone;
// a write that changes them puts and deletes them in the same transaction as the object, so a
// lookup exists exactly while its object has the label or the field value.
//
//   lookup                         pk              sk
//   a label of an object           the object's    ~L|<kind>|<key>=<value>|<name>
//                                  own partition
//   a field, across projects       X#<term>        <project>/<name>
//
// Label lookups live in the object's own partition (P#<project> or C#<kind>), so that whoever
// may write a project's objects may write their lookups (a build's scoped role, docs/aws.md);
// object listings of a partition stop below "~" and never see them. Field lookups name a
// term, written by the functions below (fieldTerms): the pods bound to a host, the pods still
// waiting for one, the role bindings of a subject.
import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import { keyOf } from './keys.ts';

type Item = Record<string, AttributeValue>;

/** Sort keys of label lookups begin with this; object sort keys never do (names are DNS labels, kinds letters). */
export const LOOKUP_SK_PREFIX = '~L|';
/** Partition keys of field lookups begin with this. */
export const FIELD_LOOKUP_PREFIX = 'X#';
/** An object listing of one partition reads sort keys below this (label lookups sort after). */
export const OBJECTS_BELOW = '~';

/** The sort-key prefix of the lookups of one label of one kind in one partition. */
export const labelPrefix = (kind: string, key: string, value: string): string => `${LOOKUP_SK_PREFIX}${kind}|${key}=${value}|`;

/** Field terms: what a lookup across projects is kept for. */
export const podsOnHostTerm = (host: string): string => `Pod|host=${host}`;
/** Pods not yet bound to a host, not being deleted, still Pending: the scheduler's work. */
export const unboundPodsTerm = 'Pod|unbound';
export const bindingsOfTerm = (subject: { kind: string; name: string }): string => `RoleBinding|${subject.kind}:${subject.name}`;

/** The kind a field term is about (the text before its first "|"). */
export const kindOfTerm = (term: string): string => term.slice(0, term.indexOf('|'));

interface PodLike {
  spec?: { host?: string };
  status?: { phase?: string };
}

/** The field terms of an object (those a lookup across projects is kept for). */
export function fieldTerms(o: BerthObject): string[] {
  if (o.kind === 'Pod') {
    const p = o as BerthObject & PodLike;
    if (p.spec?.host) return [podsOnHostTerm(p.spec.host)];
    if (!o.metadata.deletionTimestamp && (p.status?.phase ?? 'Pending') === 'Pending') return [unboundPodsTerm];
    return [];
  }
  if (o.kind === 'RoleBinding') {
    const subjects = (o.spec as { subjects?: { kind: string; name: string }[] } | undefined)?.subjects ?? [];
    return [...new Set(subjects.map(bindingsOfTerm))];
  }
  return [];
}

/** Every lookup key of an object, as "pk\tsk" strings (for set differences). */
function lookupKeys(o: BerthObject): Set<string> {
  const own = keyOf({ kind: o.kind, project: o.metadata.project, name: o.metadata.name });
  const keys = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) keys.add(`${own.pk}\t${labelPrefix(o.kind, k, v)}${o.metadata.name}`);
  for (const term of fieldTerms(o)) keys.add(`${FIELD_LOOKUP_PREFIX}${term}\t${o.metadata.project}/${o.metadata.name}`);
  return keys;
}

const keyItemOf = (key: string): Item => {
  const [pk, sk] = key.split('\t') as [string, string];
  return { pk: { S: pk }, sk: { S: sk } };
};

/**
 * The lookup items an object's write must put and delete, from the object as stored before
 * (undefined for a create) to after (undefined for a delete), as transaction items.
 * @example lookupWrites(table, undefined, pod) // [{ Put: … '~L|Pod|app=web|web-1' }, { Put: … 'X#Pod|unbound' }]
 */
export function lookupWrites(table: string, before: BerthObject | undefined, after: BerthObject | undefined): TransactWriteItem[] {
  const old = before ? lookupKeys(before) : new Set<string>();
  const now = after ? lookupKeys(after) : new Set<string>();
  const out: TransactWriteItem[] = [];
  for (const k of now) if (!old.has(k)) out.push({ Put: { TableName: table, Item: keyItemOf(k) } });
  for (const k of old) if (!now.has(k)) out.push({ Delete: { TableName: table, Key: keyItemOf(k) } });
  return out;
}

/** The lookup items of an object as it is (the migration of tables written before lookups). */
export const lookupItems = (o: BerthObject): Item[] => [...lookupKeys(o)].map(keyItemOf);

/** The object a lookup item points at. */
export function refOfLookup(item: Item, kind: string): ObjectRef | undefined {
  const pk = item.pk?.S ?? '';
  const sk = item.sk?.S ?? '';
  if (pk.startsWith(FIELD_LOOKUP_PREFIX)) {
    const slash = sk.indexOf('/');
    return slash > 0 ? { kind, project: sk.slice(0, slash), name: sk.slice(slash + 1) } : undefined;
  }
  if (!sk.startsWith(LOOKUP_SK_PREFIX)) return undefined;
  const name = sk.slice(sk.lastIndexOf('|') + 1);
  return pk.startsWith('P#') ? { kind, project: pk.slice(2), name } : { kind, project: '', name };
}
