// Which pod writes the all-in-one platform hands to the endpoints controller at once (before the
// stream record comes): those that carry the pod's readiness or mark it for deletion, not the
// writes that make or bind a pod, which cannot change any Service's endpoints.
import { describe, expect, it } from 'vitest';
import { newUnboundPod, readinessWrite, unobservedSpec, wakesAtOnce } from '../../agents/up/reconcilers.ts';
import { WAKE_KIND } from '../../shared/idling/signals.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import type { Pod } from '../../shared/model/objects.ts';

const pod = (over: { deletionTimestamp?: string; conditions?: { type: string; status: string }[]; host?: string }): Pod =>
  ({
    kind: 'Pod',
    metadata: { name: 'web-1-abcde', project: 'demo', labels: {}, ...(over.deletionTimestamp ? { deletionTimestamp: over.deletionTimestamp } : {}) },
    spec: { containers: [], ...(over.host ? { host: over.host } : {}) },
    status: { phase: 'Pending', conditions: over.conditions ?? [], restartCount: 0 },
  }) as unknown as Pod;

describe('readinessWrite', () => {
  it.each([
    ['a new pod', pod({}), false],
    ['a pod just bound', pod({ host: 'h1' }), false],
    ['a pod the host found ready', pod({ host: 'h1', conditions: [{ type: 'Ready', status: 'True' }] }), true],
    ['a pod the host found not ready', pod({ host: 'h1', conditions: [{ type: 'Ready', status: 'False' }] }), true],
    ['a pod that could not be placed', pod({ conditions: [{ type: 'PodScheduled', status: 'False' }] }), false],
    ['a pod being deleted', pod({ host: 'h1', deletionTimestamp: '2026-12-03T08:00:00Z' }), true],
  ])('%s', (_what, p, told) => {
    expect(readinessWrite(p)).toBe(told);
  });
});

// Which DeploymentConfig writes it hands to their controller at once: a spec its controller has
// not seen (a user's edit, a scale, a wake), not the controller's own status writes.
describe('unobservedSpec', () => {
  const dc = (generation: number, observedGeneration?: number) =>
    ({ kind: 'DeploymentConfig', metadata: { name: 'web', project: 'demo', generation }, spec: {}, status: observedGeneration === undefined ? {} : { observedGeneration } }) as unknown as BerthObject;
  it.each([
    ['a new DC, never reconciled', dc(1), true],
    ["the controller's status write", dc(3, 3), false],
    ['a user edit after it', dc(4, 3), true],
  ])('%s', (_what, o, told) => {
    expect(unobservedSpec(o)).toBe(told);
  });
});

// Which pod writes it hands to the scheduler at once: a new pod waiting for a host, not one the
// scheduler already tried (it comes back to those itself) nor one bound or being deleted.
describe('newUnboundPod', () => {
  it.each([
    ['a new pod', pod({}), true],
    ['a pod the scheduler could not place', pod({ conditions: [{ type: 'PodScheduled', status: 'False' }] }), false],
    ['a pod just bound', pod({ host: 'h1' }), false],
    ['a new pod already being deleted', pod({ deletionTimestamp: '2026-12-03T08:00:00Z' }), false],
  ])('%s', (_what, p, told) => {
    expect(newUnboundPod(p)).toBe(told);
  });
});

// A wake the router asks for is written first, then handed to the idler: the idler finds the
// wake item when it looks (it reads it, never trusts the call), and a failed write tells nobody.
describe('wakesAtOnce', () => {
  it('writes the wake, then names it to the idler; activity passes through untouched', async () => {
    const order: string[] = [];
    const signals = {
      reportActivity: async (services: { project: string; service: string }[], at: number) => void order.push(`activity ${services.map((s) => s.service)} ${at}`),
      requestWake: async (s: { project: string; service: string }, at: number) => void order.push(`write ${s.project}/${s.service} ${at}`),
    };
    const told = wakesAtOnce(signals, (ref) => order.push(`idler ${ref.kind} ${ref.project}/${ref.name}`));
    await told.requestWake({ project: 'demo', service: 'web' }, 5);
    await told.reportActivity([{ project: 'demo', service: 'web' }], 6);
    expect(order).toEqual(['write demo/web 5', `idler ${WAKE_KIND} demo/web`, 'activity web 6']);
  });

  it('tells the idler nothing when the wake could not be written', async () => {
    const idler: unknown[] = [];
    const told = wakesAtOnce({ reportActivity: async () => {}, requestWake: async () => Promise.reject(new Error('throttled')) }, (ref) => idler.push(ref));
    await expect(told.requestWake({ project: 'demo', service: 'web' }, 5)).rejects.toThrow('throttled');
    expect(idler).toEqual([]);
  });
});
