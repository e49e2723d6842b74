// Which pod writes the all-in-one platform hands to the endpoints controller at once (before the
// stream record comes): those that carry the pod's readiness or mark it for deletion, not the
// writes that make or bind a pod, which cannot change any Service's endpoints.
import { describe, expect, it } from 'vitest';
import { readinessWrite, unobservedSpec } from '../../agents/up/reconcilers.ts';
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
