// Pure formatting: ages, aligned tables, JSON and YAML documents.

export type Format = 'json' | 'yaml';
export const FORMATS: readonly Format[] = ['json', 'yaml'];

/** How long ago, the way `oc get` prints it: 45s, 12m, 5h, 3d, 2y. */
export function age(iso: string | undefined, now: number = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Columns padded to their widest cell, three spaces apart, no trailing blanks. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** JSON or YAML; the YAML library is loaded only when YAML is asked for, so commands start without it. */
export async function serialize(value: unknown, format: Format): Promise<string> {
  if (format === 'json') return JSON.stringify(value, null, 2) + '\n';
  const { stringify } = await import('./yaml.ts');
  return stringify(value);
}

/** `k=v,k2=v2`, or `<none>`. */
export function pairs(map: Record<string, string> | undefined, sep = ','): string {
  const entries = Object.entries(map ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(sep) : '<none>';
}

/** 512 B, 3.4 KiB, 12.0 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A duration the way `oc get builds` prints it: 45s, 1m5s, 2h3m; under 10 s to a tenth (0.4s, 3.2s), not 0s. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}
