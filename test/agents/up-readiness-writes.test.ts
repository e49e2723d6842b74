// Which pod writes the all-in-one platform hands to the endpoints controller at once (before the
// stream record comes): those that carry the pod's readiness or mark it for deletion, not the
// writes that make or bind a pod, which cannot change any Service's endpoints.
import { describe, expect, it } from 'vitest';
import { readinessWrite } from '../../agents/up/reconcilers.ts';
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
