// What `berth adm prune` removes, decided from the objects alone (as oc adm prune decides).
import { describe, expect, it } from 'vitest';
import { digestsOf, parseDuration, planBuildPrune, planDeploymentPrune, planImagePrune, PRUNE_DEFAULTS } from '../../shared/prune/plan.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ago = (min: number) => new Date(NOW - min * 60_000).toISOString();
const meta = (project: string, name: string, min: number, labels: Record<string, string> = {}) => ({ name, project, labels, annotations: {}, creationTimestamp: ago(min) });
const opts = { ...PRUNE_DEFAULTS, keepComplete: 2, keepFailed: 1, keepYoungerThanMs: 60 * 60_000 };
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('builds', () => {
  const build = (name: string, phase: string, min: number, bc = 'app', project = 'shop') => ({ kind: 'Build', metadata: meta(project, name, min, { 'berth.io/buildconfig': bc }), spec: {}, status: { phase } }) as never;
  const builds = [
    build('app-1', 'Complete', 500), build('app-2', 'Failed', 400), build('app-3', 'Complete', 300), build('app-4', 'Error', 200),
    build('app-5', 'Complete', 100), build('app-6', 'Complete', 30), build('app-7', 'Running', 600),
    build('other-1', 'Complete', 500, 'other'),
  ];

  it('keeps the newest complete and failed of each build config, unfinished builds, and young ones', () => {
    expect(planBuildPrune(builds, 'berth.io/buildconfig', opts, NOW).map((i) => [i.name, i.reason])).toEqual([
      ['app-1', 'beyond the 2 newest complete builds of its build config'],
      ['app-2', 'beyond the 1 newest failed builds of its build config'],
      ['app-3', 'beyond the 2 newest complete builds of its build config'],
    ]);
  });

  it('keep-younger-than keeps what is younger whatever its rank', () => {
    expect(planBuildPrune(builds, 'berth.io/buildconfig', { ...opts, keepYoungerThanMs: 350 * 60_000 }, NOW).map((i) => i.name)).toEqual(['app-1', 'app-2']);
  });
});

describe('deployments', () => {
  const rc = (name: string, rev: number, phase: string, min: number, replicas = 0, dc = 'web') =>
    ({ kind: 'ReplicationController', metadata: { ...meta('shop', name, min, { deploymentconfig: dc }), annotations: { rev: String(rev) } }, spec: { replicas }, status: { phase, replicas } }) as never;
  const rev = (r: { metadata: { annotations: Record<string, string> } }) => Number(r.metadata.annotations.rev);
  const dc = (limit: number) => ({ kind: 'DeploymentConfig', metadata: meta('shop', 'web', 900), spec: { revisionHistoryLimit: limit } }) as never;
  const rcs = [rc('web-1', 1, 'Complete', 600), rc('web-2', 2, 'Failed', 500), rc('web-3', 3, 'Complete', 400), rc('web-4', 4, 'Complete', 300), rc('web-5', 5, 'Complete', 200, 2), rc('web-6', 6, 'Failed', 100)];

  it('never the latest nor the running revision; beyond the keep counts, old enough', () => {
    expect(planDeploymentPrune([dc(10)], rcs, 'deploymentconfig', rev, opts, NOW).map((i) => i.name)).toEqual(['web-1']);
  });

  it('the DC\'s revisionHistoryLimit caps what is kept', () => {
    expect(planDeploymentPrune([dc(1)], rcs, 'deploymentconfig', rev, opts, NOW).map((i) => i.name)).toEqual(['web-1', 'web-3']);
  });

  it('revisions of a deleted DC go when they hold no replicas', () => {
    const orphans = [rc('gone-1', 1, 'Complete', 600, 0, 'gone'), rc('gone-2', 2, 'Complete', 500, 1, 'gone')];
    expect(planDeploymentPrune([], orphans, 'deploymentconfig', rev, opts, NOW).map((i) => [i.name, i.reason])).toEqual([['gone-1', 'its deployment config is gone']]);
  });
});

describe('images', () => {
  const item = (c: string, min: number) => ({ created: ago(min), dockerImageReference: `r/shop/web@${D(c)}`, image: D(c) });
  const stream = { kind: 'ImageStream', metadata: meta('shop', 'web', 900), spec: {}, status: { tags: [{ tag: 'latest', items: [item('a', 10), item('b', 200), item('c', 300), item('d', 400), item('e', 500), item('f', 20)] }] } } as never;

  it('history beyond the newest revisions, old enough, that nothing uses', () => {
    const plan = planImagePrune([stream], new Set([D('d')]), { ...opts, keepTagRevisions: 2 }, NOW);
    expect(plan.map((i) => i.image)).toEqual([D('c'), D('e')]);
    expect(plan[0]).toMatchObject({ kind: 'ImageStreamImage', project: 'shop', name: 'web', tag: 'latest' });
  });

  it('digestsOf reads the digests of references by digest only', () => {
    expect([...digestsOf([`x/y@${D('a')}`, 'x/y:latest', `x/y@${D('b')}`])]).toEqual([D('a'), D('b')]);
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['60m', 3_600_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '60', 'an hour', '5x'])('%j is refused', (text) => expect(parseDuration(text)).toBeUndefined());
});
