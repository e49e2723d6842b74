// The single-table key design. Written down in docs/store.md; the CDK table and the local
// table are both made from TABLE_SCHEMA so that they never drift apart.
//
//   item                     pk                sk               gsi1pk (byKind)  gsi1sk
//   namespaced object        P#<project>       <kind>#<name>    <kind>           <project>/<name>
//   cluster-scoped object    C#<kind>          <name>           <kind>           /<name>
//   build log (not object)   L#<project>/<b>   <offset>|len     -                -
//   label lookup             the object's pk   ~L|<kind>|<k>=<v>|<name>  (lookups.ts)
//   field lookup             X#<term>          <project>/<name>          (lookups.ts)
//   rate count (not object)  R#<user hash>     <window start>   -                -
//
// Other attributes: rv (resourceVersion), doc (the object as JSON), labels (map, for label
// filters), ttl (epoch seconds, DynamoDB TTL), deleting (set while a project finalises).
import type { ObjectRef } from '../model/types.ts';

export const BY_KIND_INDEX = 'byKind';
export const TTL_ATTRIBUTE = 'ttl';

export interface ItemKey {
  pk: string;
  sk: string;
}

export function keyOf(ref: ObjectRef): ItemKey {
  return ref.project
    ? { pk: `P#${ref.project}`, sk: `${ref.kind}#${ref.name}` }
    : { pk: `C#${ref.kind}`, sk: ref.name };
}

export function indexKeyOf(ref: ObjectRef): ItemKey {
  return { pk: ref.kind, sk: `${ref.project}/${ref.name}` };
}

/** What every build log's partition key starts with (shared/builds/dynamo-logs.ts). */
export const LOG_PARTITION_PREFIX = 'L#';
/** The partition of a build's log. */
export const logPartition = (build: ObjectRef): string => `${LOG_PARTITION_PREFIX}${build.project}/${build.name}`;

/** The build whose log a partition key holds, or undefined for any other key. */
export function buildOfLogPartition(pk: string): ObjectRef | undefined {
  if (!pk.startsWith(LOG_PARTITION_PREFIX)) return undefined;
  const slash = pk.indexOf('/', LOG_PARTITION_PREFIX.length);
  if (slash <= LOG_PARTITION_PREFIX.length || slash === pk.length - 1) return undefined;
  return { kind: 'Build', project: pk.slice(LOG_PARTITION_PREFIX.length, slash), name: pk.slice(slash + 1) };
}

/** How every object's partition key begins (P#, C#); other items (build logs, L#) are not objects. */
export const OBJECT_PARTITION_PREFIXES = ['P#', 'C#'] as const;

/** The reference an item key stands for, or undefined for keys that are not objects. */
export function refOfKey(key: ItemKey): ObjectRef | undefined {
  // Lookup items (lookups.ts) share their object's partition but sort after every object.
  if (key.sk.startsWith('~')) return undefined;
  if (key.pk.startsWith('P#')) {
    const hash = key.sk.indexOf('#');
    if (hash <= 0) return undefined;
    return { project: key.pk.slice(2), kind: key.sk.slice(0, hash), name: key.sk.slice(hash + 1) };
  }
  if (key.pk.startsWith('C#')) return { project: '', kind: key.pk.slice(2), name: key.sk };
  return undefined;
}

/** The table's keys, index and stream, in the CreateTable vocabulary (shared by CDK and `up`). */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  index: { name: BY_KIND_INDEX, partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ttlAttribute: TTL_ATTRIBUTE,
  stream: 'NEW_AND_OLD_IMAGES',
} as const;
