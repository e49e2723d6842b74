// The build reconciler's pure decisions, table-tested.
import { describe, expect, it } from 'vitest';
import { buildsToPrune, planBuild, type BuildObservation } from '../../shared/builds/plan.ts';
import type { Build } from '../../shared/builds/instantiate.ts';
import type { BuildPhase } from '../../shared/model/build-kinds.ts';

const T0 = Date.parse('2026-11-26T12:00:00Z');

function build(n: number, phase: BuildPhase, extra: { cancelled?: boolean; agent?: string; deadline?: number; startedAgoMs?: number } = {}): Build {
  return {
    kind: 'Build',
    metadata: {
      name: `app-${n}`, project: 'p', uid: `u${n}`, resourceVersion: '1', generation: 1,
      creationTimestamp: new Date(T0 - 60_000).toISOString(), labels: { 'berth.io/buildconfig': 'app' }, annotations: { 'berth.io/build-number': String(n) },
    },
    spec: {
      source: { git: { uri: 'file:///src' } },
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'b' }, env: [], incremental: false } },
      output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } },
      triggeredBy: [], env: [], cancelled: extra.cancelled ?? false,
      completionDeadlineSeconds: extra.deadline,
    },
    status: {
      phase,
      ...(extra.agent ? { agent: extra.agent } : {}),
      ...(extra.startedAgoMs !== undefined ? { startTimestamp: new Date(T0 - extra.startedAgoMs).toISOString() } : {}),
    },
  };
}

const obs = (b: Build, o: Partial<BuildObservation> = {}): BuildObservation => ({ build: b, siblings: [], runPolicy: 'Serial', now: T0, ...o });

describe('planBuild', () => {
  it.each<[string, BuildObservation, string]>([
    ['a new build with nothing ahead launches', obs(build(1, 'New')), 'launch'],
    ['Serial: waits while an earlier build runs', obs(build(2, 'New'), { siblings: [build(1, 'Running')] }), 'wait'],
    ['Serial: goes once earlier builds are done', obs(build(2, 'New'), { siblings: [build(1, 'Complete')] }), 'launch'],
    ['Serial: a later build does not hold an earlier one', obs(build(1, 'New'), { siblings: [build(2, 'New')] }), 'launch'],
    ['Parallel: never waits', obs(build(2, 'New'), { runPolicy: 'Parallel', siblings: [build(1, 'Running')] }), 'launch'],
    ['SerialLatestOnly: a newer pending build cancels this one', obs(build(1, 'New'), { runPolicy: 'SerialLatestOnly', siblings: [build(2, 'New')] }), 'finish:Cancelled'],
    ['SerialLatestOnly: the newest waits for the running one', obs(build(3, 'New'), { runPolicy: 'SerialLatestOnly', siblings: [build(1, 'Running')] }), 'wait'],
    ['cancelled before launch', obs(build(1, 'New', { cancelled: true })), 'finish:Cancelled'],
    ['cancelled while running stops the agent', obs(build(1, 'Running', { cancelled: true, agent: 'local:1' }), { agentAlive: true }), 'finish:Cancelled'],
    ['past its deadline fails', obs(build(1, 'Running', { agent: 'local:1', deadline: 30, startedAgoMs: 31_000 }), { agentAlive: true }), 'finish:Failed'],
    ['within its deadline keeps running', obs(build(1, 'Running', { agent: 'local:1', deadline: 30, startedAgoMs: 29_000 }), { agentAlive: true }), 'watch'],
    ['an agent that died leaves an Error', obs(build(1, 'Running', { agent: 'local:1', startedAgoMs: 1000 }), { agentAlive: false }), 'finish:Error'],
    ['a pending build whose agent is alive is watched', obs(build(1, 'Pending', { agent: 'local:1' }), { agentAlive: true }), 'watch'],
    ['a finished build needs nothing', obs(build(1, 'Complete')), 'none'],
  ])('%s', (_, o, expected) => {
    const actions = planBuild(o);
    const got = actions.length === 0 ? 'none' : actions.map((a) => (a.type === 'finish' ? `finish:${a.phase}` : a.type)).join(',');
    expect(got).toBe(expected);
  });

  it('the deadline reason names the limit; cancel stops an agent only when there is one', () => {
    const [deadline] = planBuild(obs(build(1, 'Running', { agent: 'local:1', deadline: 5, startedAgoMs: 6000 }), { agentAlive: true }));
    expect(deadline).toMatchObject({ type: 'finish', reason: 'DeadlineExceeded', stopAgent: true });
    expect((deadline as { message: string }).message).toContain('5 s');
    expect(planBuild(obs(build(1, 'New', { cancelled: true })))[0]).toMatchObject({ stopAgent: false });
  });
});

describe('buildsToPrune', () => {
  it('keeps the newest within each history limit', () => {
    const all = [build(1, 'Complete'), build(2, 'Failed'), build(3, 'Complete'), build(4, 'Error'), build(5, 'Complete'), build(6, 'Running'), build(7, 'Cancelled')];
    expect(buildsToPrune(all, 2, 1).map((b) => b.metadata.name)).toEqual(['app-1', 'app-2', 'app-4']);
    expect(buildsToPrune(all, 10, 10)).toEqual([]);
    expect(buildsToPrune(all, 0, 0).map((b) => b.metadata.name)).toEqual(['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-7']);
  });
});
