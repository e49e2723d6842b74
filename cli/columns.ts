// The table `berth get` prints for each kind: NAME, a column or two that matter for that kind,
// AGE. Kinds without an entry get STATUS when their objects carry `status.phase`. Builds,
// BuildConfigs and ImageStreams print oc's columns, which carry their own times instead of AGE.
import type { ApiObject } from './client.ts';
import { ROUTE_COLUMNS } from './commands/routes.ts';
import { DEPLOY_COLUMNS } from './deploy-columns.ts';
import { age, duration, table } from './output.ts';
import { quotaSummary } from './describe-quota.ts';

interface Column {
  header: string;
  value(o: ApiObject, now: number): string;
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
  ConfigMap: [{ header: 'DATA', value: (o) => String(Object.keys(o.spec?.data ?? {}).length + Object.keys(o.spec?.binaryData ?? {}).length) }],
  Secret: [
    { header: 'TYPE', value: (o) => orNone(o.spec?.type) },
    { header: 'DATA', value: (o) => String(Object.keys(o.spec?.data ?? {}).length) },
  ],
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
  ResourceQuota: [{ header: 'USED/HARD', value: quotaSummary }],
  Template: [
    { header: 'DESCRIPTION', value: (o) => orNone(o.metadata.annotations?.description?.split('\n')[0]?.slice(0, 60)) },
    { header: 'PARAMETERS', value: (o) => `${(o.spec?.parameters ?? []).length} (${(o.spec?.parameters ?? []).filter((p: { generate?: string }) => p.generate).length} generated)` },
    { header: 'OBJECTS', value: (o) => String((o.spec?.objects ?? []).length) },
  ],
  PersistentVolumeClaim: [
    { header: 'STATUS', value: (o) => orNone(o.status?.phase ?? 'Pending') },
    { header: 'VOLUME', value: (o) => orNone(o.status?.volumeName) },
    { header: 'CAPACITY', value: (o) => orNone(o.status?.capacity?.storage) },
    { header: 'ACCESS MODES', value: (o) => ((o.spec?.accessModes ?? []) as string[]).map((m) => ({ ReadWriteOnce: 'RWO', ReadWriteMany: 'RWX', ReadOnlyMany: 'ROX' })[m] ?? m).join(',') },
  ],
};

const ago = (iso: string | undefined, now: number): string => (iso ? `${age(iso, now)} ago` : '');

/** Git, Git@<commit or ref>, or Binary. */
const from = (source: { git?: { ref?: string }; binary?: object } | undefined, at: string | undefined): string =>
  source?.binary ? 'Binary' : at ? `Git@${at}` : 'Git';

const strategy: Column = { header: 'TYPE', value: (o) => orNone(o.spec?.strategy?.type) };

const BUILD_COLUMNS: Record<string, Column[]> = {
  Build: [
    strategy,
    { header: 'FROM', value: (o) => from(o.spec?.source, (o.status?.revision?.commit ?? o.spec?.revision?.commit)?.slice(0, 7)) },
    {
      header: 'STATUS',
      value: (o) => {
        const p = o.status?.phase ?? 'New';
        return ['Failed', 'Error', 'Cancelled'].includes(p) && o.status?.reason ? `${p} (${o.status.reason})` : p;
      },
    },
    { header: 'STARTED', value: (o, now) => ago(o.status?.startTimestamp, now) },
    { header: 'DURATION', value: (o) => duration(o.status?.duration) },
  ],
  BuildConfig: [strategy, { header: 'FROM', value: (o) => from(o.spec?.source, o.spec?.source?.git?.ref) }, { header: 'LATEST', value: (o) => String(o.status?.lastVersion ?? 0) }],
  ImageStream: [
    { header: 'IMAGE REPOSITORY', value: (o) => o.status?.dockerImageRepository ?? '' },
    { header: 'TAGS', value: (o) => ((o.status?.tags ?? []) as { tag: string }[]).map((t) => t.tag).join(',') },
    { header: 'UPDATED', value: (o, now) => ago(newestTagEvent(o), now) },
  ],
};

function newestTagEvent(o: ApiObject): string | undefined {
  const created = ((o.status?.tags ?? []) as { items: { created: string }[] }[]).map((t) => t.items[0]?.created ?? '');
  return created.sort().pop() || undefined;
}

export function columnsFor(kind: string, items: ApiObject[]): Column[] {
  return COLUMNS[kind] ?? (items.some((o) => o.status?.phase !== undefined) ? [phase] : []);
}

/** The `berth get` table of objects of one kind; builds and the like by number unless `keepOrder`. */
export function objectTable(kind: string, items: ApiObject[], now = Date.now(), opts: { keepOrder?: boolean } = {}): string {
  const own = BUILD_COLUMNS[kind] ?? DEPLOY_COLUMNS[kind] ?? ROUTE_COLUMNS[kind];
  if (own) {
    // web-2 before web-10, as the build numbers go.
    const sorted = opts.keepOrder ? items : [...items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));
    return table(['NAME', ...own.map((c) => c.header)], sorted.map((o) => [o.metadata.name, ...own.map((c) => c.value(o, now))]));
  }
  const cols = columnsFor(kind, items);
  const headers = ['NAME', ...cols.map((c) => c.header), 'AGE'];
  const rows = items.map((o) => [o.metadata.name, ...cols.map((c) => c.value(o, now)), age(o.metadata.creationTimestamp, now)]);
  return table(headers, rows);
}
