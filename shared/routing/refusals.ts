// Routes HAProxy refuses. The API refuses values HAProxy would (route-annotations.ts,
// route-pem.ts), but a route written around it, or a value HAProxy refuses for a reason nobody
// foresaw, must not stop every other route from being served and changed. When `haproxy -c`
// refuses a configuration, the router finds the routes at fault by halving: a configuration of
// half the routes alone, then of half of the half that is refused, down to single routes (each
// route's part of the configuration is its own: its backend, map entries and certificate). Those
// are left out, marked not admitted with HAProxy's words (reason HAProxyRejected), and the
// rest is applied. Pure: the agent gives the check.
import type { Route } from '../model/objects.ts';
import { ROUTER_NAME } from './types.ts';

/** The Admitted condition's reason on a route HAProxy refused. */
export const HAPROXY_REJECTED = 'HAProxyRejected';

/**
 * The items whose configuration `refuses` refuses, each with HAProxy's answer for it alone;
 * undefined when a configuration with none of them is refused (then no item is at fault).
 * `refused` is the answer already had for all of them, if any. With k items at fault among n,
 * about 2·k·log2(n) checks, of ever smaller configurations.
 * @example await refusedAmong(routes, (some) => check(render(some))) // [{ item: route, problem: '…timer overflow…' }]
 */
export async function refusedAmong<T>(items: T[], refuses: (some: T[]) => Promise<string | undefined>, refused?: string): Promise<{ item: T; problem: string }[] | undefined> {
  if (await refuses([])) return undefined;
  const out: { item: T; problem: string }[] = [];
  const search = async (some: T[], known?: string): Promise<void> => {
    if (!some.length) return;
    const problem = known ?? (await refuses(some));
    if (!problem) return;
    if (some.length === 1) {
      out.push({ item: some[0]!, problem });
      return;
    }
    const mid = some.length >> 1;
    await search(some.slice(0, mid));
    await search(some.slice(mid));
  };
  await search(items, refused);
  return out;
}

/** HAProxy's complaint in a line or two: its ALERT lines without the prefix, paths under `dir` and its configuration directories shortened. */
export function haproxyProblem(output: string, dir?: string): string {
  const alerts = output
    .split('\n')
    .filter((l) => l.includes('[ALERT]'))
    .map((l) => l.replace(/^\[ALERT\]\s*(\(\d+\))?\s*:\s*(config\s*:\s*)?/, '').trim())
    .filter((l) => !/^(Error\(s\) found in configuration file|Fatal errors found in configuration)/.test(l));
  let text = (alerts.length ? alerts : output.split('\n').map((l) => l.trim()).filter(Boolean)).slice(0, 2).join(' | ');
  if (dir) text = text.split(`${dir}/`).join('');
  text = text.replace(/\b(check|gen)-\d+-\d+\//g, '');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** What of a route its configuration is made of, as text: a route refused stays refused while this is the same. */
export const routeFingerprint = (r: Route): string => JSON.stringify([r.spec, r.metadata.annotations ?? {}]);

/** Whether the route's Admitted condition is False because HAProxy refused it (for its current host). */
export function isRefusedByHaproxy(r: Route): boolean {
  const ing = r.status?.ingress?.find((i) => i.routerName === ROUTER_NAME);
  return !!ing && ing.host === r.spec.host && ing.conditions.some((c) => c.type === 'Admitted' && c.status === 'False' && c.reason === HAPROXY_REJECTED);
}
