// The router annotations Berth honours on a Route (`haproxy.router.openshift.io/*`, after
// OpenShift's router), each parsed to a value HAProxy accepts. The API refuses a value that does
// not parse (422 naming the annotation); the router model reads the same parsers, so nothing a
// tenant writes reaches HAProxy's configuration unparsed. HAProxy's limits, found with
// `haproxy -c` (2.6): a timeout is at most 2147483647 ms (~24.8 days) in us, ms, s, m, h or d;
// an integer is plain decimal (no exponent, no hex); an address in `src` has no zone id; a
// configuration line holds at most 64 words. Other keys under the prefix are left alone (the
// router does not read them).
import { isIP } from 'node:net';

export const ROUTER_ANNOTATION = 'haproxy.router.openshift.io/';

/** HAProxy's longest timeout, in ms (its timers are signed 32-bit milliseconds). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** The largest connection count or request rate a limit may name. */
export const MAX_RATE = 2 ** 31 - 1;
/** Addresses in one allow-list: they share one configuration line of at most 64 words. */
export const MAX_ALLOW_ENTRIES = 48;
export const BALANCES = ['roundrobin', 'leastconn', 'source', 'random', 'static-rr', 'first'] as const;

type Parsed<T> = { value: T; problem?: undefined } | { value?: undefined; problem: string };
const fail = (problem: string): { problem: string } => ({ problem });

const MS_PER_UNIT: Record<string, number> = { us: 0.001, ms: 1, '': 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A timeout: a positive whole number with an optional unit (us, ms, s, m, h, d; ms when none), within HAProxy's ~24.8 days. */
export function parseTimeout(raw: string): Parsed<string> {
  const m = /^(\d{1,15})(us|ms|s|m|h|d)?$/.exec(raw);
  if (!m) return fail('a timeout is a whole number with an optional unit: us, ms, s, m, h or d (such as 30s)');
  const ms = Number(m[1]) * MS_PER_UNIT[m[2] ?? '']!;
  if (ms <= 0) return fail('a timeout is more than 0 (0 would mean none)');
  if (ms > MAX_TIMEOUT_MS) return fail(`a timeout is at most ${MAX_TIMEOUT_MS} ms (about 24 days): HAProxy refuses more`);
  return { value: raw };
}

/** A connection count or request rate: a plain decimal integer from 1 to MAX_RATE. */
export function parseRate(raw: string): Parsed<number> {
  if (!/^[1-9]\d{0,9}$/.test(raw) || Number(raw) > MAX_RATE) return fail(`a whole number from 1 to ${MAX_RATE}, in plain digits`);
  return { value: Number(raw) };
}

/** One allow-list entry: an IPv4 or IPv6 address, optionally with a prefix length; no zone id, no host name. */
export function sourceProblem(entry: string): string | undefined {
  const [ip, bits, extra] = entry.split('/');
  if (extra !== undefined || !ip) return `"${entry}" is not an address or CIDR block`;
  if (ip.includes('%')) return `"${entry}" has a zone id (%…): give the address alone`;
  const v = isIP(ip);
  if (!v) return `"${entry}" is not an IPv4 or IPv6 address`;
  if (bits === undefined) return undefined;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > (v === 4 ? 32 : 128)) return `"${entry}" has a prefix length outside 0-${v === 4 ? 32 : 128}`;
  return undefined;
}

/** An allow-list: addresses and CIDR blocks separated by white space, at most MAX_ALLOW_ENTRIES. */
export function parseAllowList(raw: string): Parsed<string[]> {
  const entries = raw.split(/\s+/).filter(Boolean);
  if (!entries.length) return fail('an allow-list names at least one address or CIDR block');
  if (entries.length > MAX_ALLOW_ENTRIES) return fail(`an allow-list has at most ${MAX_ALLOW_ENTRIES} entries`);
  for (const e of entries) {
    const problem = sourceProblem(e);
    if (problem) return fail(problem);
  }
  return { value: entries };
}

/** A load-balancing algorithm HAProxy knows, without arguments. */
export function parseBalance(raw: string): Parsed<string> {
  return (BALANCES as readonly string[]).includes(raw) ? { value: raw } : fail(`one of ${BALANCES.join(', ')}`);
}

/** A Strict-Transport-Security value: max-age=N, then includeSubDomains and preload if wanted, separated by ";". */
export function parseHsts(raw: string): Parsed<string> {
  const ok = raw.length <= 256 && /^max-age=\d{1,10}(\s*;\s*(includeSubDomains|preload))*\s*;?$/i.test(raw);
  return ok ? { value: raw } : fail('max-age=<seconds>, optionally followed by "; includeSubDomains" and "; preload"');
}

/** "true" or "false". */
export function parseFlag(raw: string): Parsed<boolean> {
  return raw === 'true' || raw === 'false' ? { value: raw === 'true' } : fail('"true" or "false"');
}

/** Each annotation the router reads (the key after the prefix) and its parser. */
export const ROUTER_ANNOTATIONS: Record<string, (raw: string) => Parsed<unknown>> = {
  timeout: parseTimeout,
  balance: parseBalance,
  hsts_header: parseHsts,
  ip_whitelist: parseAllowList,
  disable_cookies: parseFlag,
  'rate-limit-connections': parseFlag,
  'rate-limit-connections.concurrent-tcp': parseRate,
  'rate-limit-connections.rate-http': parseRate,
};

/**
 * Every router annotation that does not parse, with why (the value is trimmed first, as the
 * router reads it).
 * @example routerAnnotationProblems({ 'haproxy.router.openshift.io/timeout': '30d' }) // [{ key: 'haproxy.router.openshift.io/timeout', message: 'a timeout is at most …' }]
 */
export function routerAnnotationProblems(annotations: Record<string, string>): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(ROUTER_ANNOTATION)) continue;
    const parse = ROUTER_ANNOTATIONS[key.slice(ROUTER_ANNOTATION.length)];
    const problem = parse?.(value.trim()).problem;
    if (problem) out.push({ key, message: problem });
  }
  return out;
}
