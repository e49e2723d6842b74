// `berth describe`: one object as readable text — metadata, labels, spec, status — followed by
// the recent Events about it. Pure: the command fetches, this renders.
import { stringify } from 'yaml';
import type { ApiObject } from './client.ts';
import { age, pairs, table } from './output.ts';

/** `extra` sections (a kind's own, such as a BuildConfig's webhooks) come after Status, before Events. */
export function describeObject(o: ApiObject, events: ApiObject[] | undefined, extra: string[] = [], now = Date.now()): string {
  const m = o.metadata;
  const fields: [string, string][] = [
    ['Name', m.name],
    ...(m.project ? ([['Project', m.project]] as [string, string][]) : []),
    ['Kind', o.kind],
    ['Labels', pairs(m.labels, '\n')],
    ['Annotations', pairs(m.annotations, '\n')],
    ['Created', m.creationTimestamp ? `${m.creationTimestamp} (${age(m.creationTimestamp, now)} ago)` : '<unknown>'],
    ...optional('Deletion Requested', m.deletionTimestamp),
    ...optional('Expires', m.expiresAt),
    ['UID', String(m.uid ?? '')],
    ['Resource Version', String(m.resourceVersion ?? '')],
    ['Generation', String(m.generation ?? '')],
  ];
  const width = Math.max(...fields.map(([k]) => k.length)) + 2;
  const lines = fields.map(([k, v]) => `${`${k}:`.padEnd(width)}${v.split('\n').join('\n' + ' '.repeat(width))}`);
  lines.push(section('Spec', o.spec), section('Status', o.status), ...extra);
  if (events !== undefined) lines.push(eventSection(events, now));
  return lines.join('\n') + '\n';
}

function optional(label: string, value: unknown): [string, string][] {
  return typeof value === 'string' ? [[label, value]] : [];
}

function section(title: string, value: unknown): string {
  const empty = value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0);
  if (empty) return `${title}:  <none>`;
  return `${title}:\n${indent(stringify(value).trimEnd())}`;
}

function eventSection(events: ApiObject[], now: number): string {
  if (events.length === 0) return 'Events:  <none>';
  const last = (e: ApiObject) => String(e.spec?.lastTimestamp ?? e.metadata.creationTimestamp ?? '');
  const sorted = [...events].sort((a, b) => last(a).localeCompare(last(b)));
  const rows = sorted.map((e) => [String(e.spec?.type ?? ''), String(e.spec?.reason ?? ''), age(last(e), now), String(e.spec?.count ?? 1), String(e.spec?.message ?? '')]);
  return `Events:\n${indent(table(['TYPE', 'REASON', 'AGE', 'COUNT', 'MESSAGE'], rows).trimEnd())}`;
}

export const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
