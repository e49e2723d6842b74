// The table `berth get` prints for each kind: NAME, a column or two that matter for that kind,
// AGE. Kinds without an entry get STATUS when their objects carry `status.phase`.
import type { ApiObject } from './client.ts';
import { age, table } from './output.ts';

interface Column {
  header: string;
  value(o: ApiObject): string;
}

const subjects = (o: ApiObject, kind: 'User' | 'Group'): string => {
  const names = ((o.spec?.subjects ?? []) as { kind: string; name: string }[]).filter((s) => s.kind === kind).map((s) => s.name);
  return names.length ? names.join(',') : '<none>';
};

const orNone = (v: unknown): string => (v === undefined || v === null || v === '' ? '<none>' : String(v));

const phase: Column = { header: 'STATUS', value: (o) => orNone(o.status?.phase) };

const COLUMNS: Record<string, Column[]> = {
  Project: [{ header: 'DISPLAY NAME', value: (o) => orNone(o.spec?.displayName) }, phase],
  User: [{ header: 'FULL NAME', value: (o) => orNone(o.spec?.fullName) }],
  Group: [{ header: 'USERS', value: (o) => orNone((o.spec?.users ?? []).join(',')) }],
  ConfigMap: [{ header: 'DATA', value: (o) => String(Object.keys(o.spec?.data ?? {}).length) }],
  RoleBinding: [
    { header: 'ROLE', value: (o) => orNone(o.spec?.role) },
    { header: 'USERS', value: (o) => subjects(o, 'User') },
    { header: 'GROUPS', value: (o) => subjects(o, 'Group') },
  ],
  Event: [
    { header: 'TYPE', value: (o) => orNone(o.spec?.type) },
    { header: 'REASON', value: (o) => orNone(o.spec?.reason) },
    { header: 'OBJECT', value: (o) => (o.spec?.involvedObject ? `${o.spec.involvedObject.kind.toLowerCase()}/${o.spec.involvedObject.name}` : '<none>') },
    { header: 'MESSAGE', value: (o) => orNone(o.spec?.message) },
  ],
};

export function columnsFor(kind: string, items: ApiObject[]): Column[] {
  return COLUMNS[kind] ?? (items.some((o) => o.status?.phase !== undefined) ? [phase] : []);
}

/** The `berth get` table of objects of one kind. */
export function objectTable(kind: string, items: ApiObject[], now = Date.now()): string {
  const cols = columnsFor(kind, items);
  const headers = ['NAME', ...cols.map((c) => c.header), 'AGE'];
  const rows = items.map((o) => [o.metadata.name, ...cols.map((c) => c.value(o)), age(o.metadata.creationTimestamp, now)]);
  return table(headers, rows);
}
