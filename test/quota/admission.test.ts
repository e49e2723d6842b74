// The pure parts of quota and limit-range admission, table-tested: what an object uses, whether
// a change fits every quota, the refusal's words, and what a limit range fills in and refuses.
import { describe, expect, it } from 'vitest';
import type { Container } from '../../shared/model/deploy-kinds.ts';
import { admit, refusalMessage, type Counter } from '../../shared/quota/admission.ts';
import type { LimitRange } from '../../shared/quota/kinds.ts';
import { applyLimitRanges } from '../../shared/quota/limit-range.ts';
import { formatAmount, parseAmount, usageDelta, usageOf } from '../../shared/quota/resources.ts';
import { counterChanges } from '../../shared/quota/writes.ts';

const meta = (name: string) => ({ name, project: 'p', uid: '', resourceVersion: '1', generation: 1, creationTimestamp: '', labels: {}, annotations: {} });
const pod = (phase: string, cpu = '250m') => ({ kind: 'Pod', metadata: meta('a'), spec: { containers: [{ name: 'c', image: '', env: [], ports: [], resources: { requests: { cpu }, limits: {} } }] }, status: { phase } });

describe('usage', () => {
  it.each([
    ['a pending pod', pod('Pending'), { pods: 1, 'requests.cpu': 250, 'limits.cpu': 250, 'requests.memory': 256 * 2 ** 20, 'limits.memory': 256 * 2 ** 20 }],
    ['a pod that succeeded', pod('Succeeded'), {}],
    ['a running build', { kind: 'Build', metadata: meta('b'), spec: {}, status: { phase: 'Running' } }, { builds: 1 }],
    ['a finished build', { kind: 'Build', metadata: meta('b'), spec: {}, status: { phase: 'Complete' } }, {}],
    ['a route', { kind: 'Route', metadata: meta('r'), spec: {}, status: {} }, { routes: 1 }],
    ['a role binding', { kind: 'RoleBinding', metadata: meta('r'), spec: {}, status: {} }, {}],
  ])('%s', (_, o, expected) => expect(usageOf(o)).toEqual(expected));

  it('a pod ending gives back everything it held', () => {
    expect(usageDelta(pod('Running'), pod('Failed'))).toEqual({ pods: -1, 'requests.cpu': -250, 'limits.cpu': -250, 'requests.memory': -(256 * 2 ** 20), 'limits.memory': -(256 * 2 ** 20) });
  });

  it('a pod created and one deleted in one write leave the counter alone', () => {
    expect(counterChanges([{ after: pod('Pending') }, { before: pod('Pending') }])).toEqual([]);
  });

  it.each([
    ['requests.cpu', '1.5', 1500, '1500m'],
    ['requests.cpu', '2', 2000, '2'],
    ['limits.memory', '2Gi', 2 ** 31, '2Gi'],
    ['pods', 10, 10, '10'],
    ['pods', '0', 0, '0'],
  ] as const)('%s %s is %s base units, shown as %s', (r, q, n, shown) => {
    expect(parseAmount(r, q)).toBe(n);
    expect(formatAmount(r, n)).toBe(shown);
  });

  it.each([['pods', '1.5'], ['pods', '-1'], ['requests.cpu', 'lots'], ['limits.memory', '1Zi']] as const)('%s %s is not an amount', (r, q) => expect(parseAmount(r, q)).toBeUndefined());
});

describe('admit', () => {
  const counter: Counter = { version: 3, used: { pods: 3, 'requests.cpu': 900 }, hard: { big: { pods: 10 }, small: { pods: 4, 'requests.cpu': 1000 } } };

  it('bounds each increased resource by its tightest quota', () => {
    expect(admit(counter, { pods: 1, 'requests.cpu': 100 })).toEqual({ admit: true, bounds: [{ resource: 'pods', atMost: 3 }, { resource: 'requests.cpu', atMost: 900 }] });
  });

  it('refuses what passes any quota, naming it with the numbers', () => {
    const d = admit(counter, { pods: 1, 'requests.cpu': 200 });
    expect(d).toEqual({ admit: false, refusal: { quota: 'small', resource: 'requests.cpu', requested: 200, used: 900, hard: 1000 } });
    if (!d.admit) expect(refusalMessage(d.refusal)).toBe('exceeded quota: small, requested: requests.cpu=200m, used: requests.cpu=900m, limited: requests.cpu=1');
  });

  it('never refuses giving back, even over a quota lowered below use', () => {
    expect(admit({ ...counter, hard: { q: { pods: 1 } } }, { pods: -1 })).toEqual({ admit: true, bounds: [] });
  });
});

describe('limit ranges', () => {
  const range = (limits: object[]): LimitRange => ({ kind: 'LimitRange', metadata: meta('lr'), spec: { limits: limits as never }, status: {} });
  const c = (resources: object): Container => ({ name: 'c', image: '', env: [], ports: [], resources: resources as never });

  it('fills limits from default and requests from defaultRequest', () => {
    const out = applyLimitRanges([c({ requests: {}, limits: {} })], [range([{ type: 'Container', default: { cpu: '1' }, defaultRequest: { cpu: '200m' } }])], 'spec.containers');
    expect(out).toEqual({ containers: [c({ requests: { cpu: '200m' }, limits: { cpu: '1' } })], problems: [] });
  });

  it('a request left out takes the container\'s own limit before defaultRequest', () => {
    const out = applyLimitRanges([c({ requests: {}, limits: { memory: '128Mi' } })], [range([{ defaultRequest: { memory: '64Mi' } }])], 'spec.containers');
    expect(out.containers[0]!.resources.requests).toEqual({ memory: '128Mi' });
  });

  it('a container that states nothing is held to max with the platform default', () => {
    const out = applyLimitRanges([c({ requests: {}, limits: {} })], [range([{ max: { memory: '128Mi' } }])], 'spec.containers');
    expect(out.problems.map((p) => p.field)).toEqual(['spec.containers.0.resources.requests.memory', 'spec.containers.0.resources.limits.memory']);
  });

  it('defaults that pass the platform bounds are refused by them', () => {
    const out = applyLimitRanges([c({ requests: {}, limits: {} })], [range([{ default: { cpu: '32' }, defaultRequest: { cpu: '32' } }])], 'spec.containers');
    expect(out.problems.map((p) => p.field)).toEqual(['spec.containers.0.resources.requests.cpu', 'spec.containers.0.resources.limits.cpu']);
  });
});
