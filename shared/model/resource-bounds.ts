// How much one container may ask for. The scheduler books a container's requests while the
// engine enforces its limits, so a container that books little and may use much takes room
// nobody paid for: limits are at most the platform's maximum (no host offers more than one
// container may use), at least the requests, and at most MAX_LIMIT_REQUEST_RATIO times them
// (as OpenShift's LimitRange maxLimitRequestRatio). A limit without a request makes the request
// equal to it, a request without a limit the limit equal to it, and a container with neither
// gets DEFAULT_RESOURCES for both (deploy/pods.ts applies them).
import { cpuMillis, memoryBytes } from './quantity.ts';

/** The most one container may use (and so ask for). */
export const CONTAINER_MAX = { cpu: '16', memory: '64Gi' } as const;
export const CONTAINER_MAX_MILLI = cpuMillis(CONTAINER_MAX.cpu)!;
export const CONTAINER_MAX_BYTES = memoryBytes(CONTAINER_MAX.memory)!;
/** Docker Engine refuses memory limits under 6 MiB. */
export const CONTAINER_MIN_BYTES = 6 * 2 ** 20;
/** How many times its request a container's limit may be. */
export const MAX_LIMIT_REQUEST_RATIO = 10;

interface Quantities {
  cpu?: string;
  memory?: string;
}

/** Each problem of a container's requests and limits, by field under `resources`. */
export function resourceProblems(r: { requests?: Quantities; limits?: Quantities }): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const check = (name: 'cpu' | 'memory', parse: (q: string) => number | undefined, max: number, maxText: string, min: number) => {
    const req = r.requests?.[name] === undefined ? undefined : parse(r.requests[name]!);
    const lim = r.limits?.[name] === undefined ? undefined : parse(r.limits[name]!);
    const before = problems.length;
    for (const [part, v] of [['requests', req], ['limits', lim]] as const) {
      if (v === undefined) continue;
      if (v > max) problems.push({ path: [part, name], message: `at most ${maxText} (the most one container may use)` });
      else if (v < min) problems.push({ path: [part, name], message: `at least ${min} bytes (6Mi)` });
    }
    // How limit and request compare is judged once each is within bounds: one problem per field.
    if (req === undefined || lim === undefined || problems.length > before) return;
    if (lim < req) problems.push({ path: ['limits', name], message: `must be at least the request (${r.requests![name]})` });
    else if (lim > req * MAX_LIMIT_REQUEST_RATIO) problems.push({ path: ['limits', name], message: `at most ${MAX_LIMIT_REQUEST_RATIO} times the request (${r.requests![name]}): the scheduler books requests` });
  };
  check('cpu', cpuMillis, CONTAINER_MAX_MILLI, CONTAINER_MAX.cpu, 1);
  check('memory', memoryBytes, CONTAINER_MAX_BYTES, CONTAINER_MAX.memory, CONTAINER_MIN_BYTES);
  return problems;
}
