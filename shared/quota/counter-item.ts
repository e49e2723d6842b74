// The usage counter of one project in the object table: one item (pk `Q#<project>`, sk `usage`)
// with `u.<resource>` (what is used), `h|<quota>|<resource>` (each quota's hard) and `v` (bumped by
// every quota write). Every write of a counted object changes it in the same transaction as the
// object, so used is exact; increases carry the bounds admission computed, so concurrent writes
// never pass a hard limit. Thin: item encoding and the update expressions, no decisions.
import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Bound, Counter } from './admission.ts';
import { QUOTA_RESOURCES, type QuotaResource, type Usage } from './resources.ts';

type Item = Record<string, AttributeValue>;

export const COUNTER_SORT_KEY = 'usage';
export const counterKey = (project: string): Item => ({ pk: { S: `Q#${project}` }, sk: { S: COUNTER_SORT_KEY } });

const usedAttr = (r: QuotaResource) => `u.${r}`;
const hardAttr = (quota: string, r: QuotaResource) => `h|${quota}|${r}`;
const RESOURCES = new Set<string>(QUOTA_RESOURCES);

/** The counter an item holds (none yet: nothing used, no quota). */
export function decodeCounter(item: Item | undefined): Counter {
  const counter: Counter = { version: 0, used: {}, hard: {} };
  for (const [name, v] of Object.entries(item ?? {})) {
    if (v.N === undefined) continue;
    const n = Number(v.N);
    if (name === 'v') counter.version = n;
    else if (name.startsWith('u.') && RESOURCES.has(name.slice(2))) counter.used[name.slice(2) as QuotaResource] = n;
    else if (name.startsWith('h|')) {
      const cut = name.lastIndexOf('|');
      const quota = name.slice(2, cut);
      const r = name.slice(cut + 1);
      if (RESOURCES.has(r)) (counter.hard[quota] ??= {})[r as QuotaResource] = n;
    }
  }
  return counter;
}

/**
 * The counter change of a write that uses `delta`: adds it, on condition that no quota changed
 * since `read` (its version) and each bound still holds. Without `read` (only decreases) it is
 * unconditional: giving back never needs a check.
 */
export function usageUpdate(table: string, project: string, delta: Usage, checked?: { read: Counter; bounds: Bound[] }): TransactWriteItem {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const adds: string[] = [];
  Object.entries(delta).forEach(([r, n], i) => {
    names[`#u${i}`] = usedAttr(r as QuotaResource);
    values[`:d${i}`] = { N: String(n) };
    adds.push(`#u${i} :d${i}`);
  });
  const conditions: string[] = [];
  if (checked) {
    names['#v'] = 'v';
    if (checked.read.version === 0) conditions.push('attribute_not_exists(#v)');
    else {
      values[':v'] = { N: String(checked.read.version) };
      conditions.push('#v = :v');
    }
    checked.bounds.forEach((b, i) => {
      names[`#b${i}`] = usedAttr(b.resource);
      values[`:b${i}`] = { N: String(b.atMost) };
      conditions.push(`(attribute_not_exists(#b${i}) OR #b${i} <= :b${i})`);
    });
  }
  return {
    Update: {
      TableName: table,
      Key: counterKey(project),
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ConditionExpression: conditions.length ? conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** The counter change of a quota write: its hard limits replace the old ones, and the version moves on. */
export function hardUpdate(table: string, project: string, quota: string, before: Usage, after: Usage): TransactWriteItem {
  const names: Record<string, string> = { '#v': 'v' };
  const values: Record<string, AttributeValue> = { ':one': { N: '1' } };
  const sets: string[] = [];
  const removes: string[] = [];
  let i = 0;
  for (const r of new Set([...Object.keys(before), ...Object.keys(after)]) as Set<QuotaResource>) {
    names[`#h${i}`] = hardAttr(quota, r);
    if (after[r] === undefined) removes.push(`#h${i}`);
    else {
      values[`:h${i}`] = { N: String(after[r]) };
      sets.push(`#h${i} = :h${i}`);
    }
    i++;
  }
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '', 'ADD #v :one'].filter(Boolean).join(' ');
  return { Update: { TableName: table, Key: counterKey(project), UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values } };
}
