// The DeploymentConfig controller against DynamoDB Local, driven by reconcile() with an injected
// clock; the test plays the RC controller (RC status) and the hosts (pod phases) itself.
import { beforeAll, describe, expect, it } from 'vitest';
import { deploymentConfigReconciler } from '../../shared/deploy/deploymentconfig.ts';
import { startRevision } from '../../shared/deploy/rollout-revision.ts';
import type { DeploymentConfig, Pod, ReplicationController } from '../../shared/model/objects.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import { collect, eachObject } from '../../shared/store/each.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const P = 'roll';
let t: TestTable;
// Near the real time: Events expire an hour after they happen, and DynamoDB Local removes expired
// items (TTL) in the background, so events dated in the past could vanish before they are read.
let clock = Date.now();
let ctl: ReturnType<typeof deploymentConfigReconciler>;

const dcRef = (name: string) => ({ kind: 'DeploymentConfig', project: P, name });
const rcRef = (name: string) => ({ kind: 'ReplicationController', project: P, name });
const getDc = async (name: string) => (await t.store.get<DeploymentConfig>(dcRef(name)))!;
const getRc = async (name: string) => (await t.store.get<ReplicationController>(rcRef(name)))!;
const rcsOf = async (dc: string) =>
  (await collect(eachObject<ReplicationController>(t.store, 'ReplicationController', P, { deploymentconfig: dc }))).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));
const reconcile = (dc: string) => ctl.reconcile(dcRef(dc));
const hookRef = (dc: string) => ({ kind: 'Pod', project: P, name: `${dc}-1-hook-pre` });

async function createDc(name: string, over: Record<string, unknown> = {}): Promise<DeploymentConfig> {
  const spec = deploymentConfigSpec.parse({
    replicas: 2,
    selector: { deploymentconfig: name },
    template: { metadata: { labels: { deploymentconfig: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1', env: [{ name: 'V', value: '1' }] }] } },
    ...over,
  });
  return t.store.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: P }, spec });
}

async function changeDc(name: string, change: (spec: DeploymentConfig['spec']) => DeploymentConfig['spec']): Promise<void> {
  const dc = await getDc(name);
  await t.store.update({ ...dc, spec: change(dc.spec) });
}
const setEnv = (name: string, value: string) =>
  changeDc(name, (s) => ({ ...s, template: { ...s.template, spec: { ...s.template.spec, containers: [{ ...s.template.spec.containers[0]!, env: [{ name: 'V', value }] }] } } }));

/** What the RC controller would report: `available` of the RC's replicas (default all). */
async function report(rc: string, available?: number): Promise<void> {
  await patchStatus<ReplicationController>(t.store, rcRef(rc), (cur) => {
    const n = Math.min(available ?? cur.spec.replicas, cur.spec.replicas);
    return { ...cur.status, replicas: cur.spec.replicas, readyReplicas: n, availableReplicas: n, observedGeneration: cur.metadata.generation };
  });
}

/** Reconciles, with every pod becoming available at once, until the latest revision is Complete or Failed. */
async function rollOut(dc: string): Promise<ReplicationController> {
  for (let i = 0; i < 40; i++) {
    await reconcile(dc);
    for (const rc of await rcsOf(dc)) await report(rc.metadata.name);
    const latest = (await rcsOf(dc)).at(-1);
    if (latest && ['Complete', 'Failed'].includes(latest.status.phase)) return latest;
  }
  throw new Error(`rollout of ${dc} did not finish`);
}

async function events(reason: string): Promise<string[]> {
  return (await collect(eachObject(t.store, 'Event', P))).filter((e: any) => e.spec.reason === reason).map((e: any) => e.spec.message as string);
}

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  ctl = deploymentConfigReconciler({ store: t.store, now: () => clock });
});

describe('triggers', () => {
  it('a new DeploymentConfig gets its first revision and rolls it out', async () => {
    await createDc('first');

    await reconcile('first');

    const rc = await getRc('first-1');
    expect(rc.metadata.annotations).toMatchObject({ 'berth.io/revision': '1', 'berth.io/cause': 'ConfigChange', 'berth.io/template-hash': expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(rc.spec.template.metadata.labels).toEqual({ deploymentconfig: 'first', deployment: 'first-1' });
    expect((await getDc('first')).status).toMatchObject({ latestVersion: 1, details: { cause: 'ConfigChange', message: 'initial deployment' } });

    const done = await rollOut('first');

    expect(done.status.phase).toBe('Complete');
    expect(done.spec.replicas).toBe(2);
    const dc = await getDc('first');
    expect(dc.status).toMatchObject({ replicas: 2, availableReplicas: 2, updatedReplicas: 2, unavailableReplicas: 0, observedGeneration: dc.metadata.generation });
    expect(dc.status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicationControllerAvailable'],
    ]);
    expect(await events('RolloutComplete')).toContain('Rollout of "first-1" complete');
  });

  it('an env change makes a ConfigChange revision; a replicas change only scales', async () => {
    await setEnv('first', '2');
    await reconcile('first');
    expect((await getRc('first-2')).metadata.annotations['berth.io/cause']).toBe('ConfigChange');
    await rollOut('first');

    await changeDc('first', (s) => ({ ...s, replicas: 5 }));
    await reconcile('first');

    expect((await rcsOf('first')).map((rc) => [rc.metadata.name, rc.spec.replicas])).toEqual([
      ['first-1', 0],
      ['first-2', 5],
    ]);
    expect(await events('ReplicationControllerScaled')).toContain('Scaled replication controller "first-2" from 2 to 5');
  });

  it('two starters of the same template at once make one revision: the one that loses the name takes the winner\'s (a rollback racing the controller)', async () => {
    await createDc('race');
    await rollOut('race');
    await setEnv('race', '2');
    const dc = await getDc('race');
    const [a, b] = await Promise.all([startRevision(t.store, dc, 'Rollback', 'rollback', clock), startRevision(t.store, dc, 'ConfigChange', 'config change', clock)]);
    expect(a.metadata.name).toBe('race-2');
    expect(b.metadata.name).toBe('race-2');
    expect((await rcsOf('race')).map((rc) => rc.metadata.name)).toEqual(['race-1', 'race-2']);
    // Whichever won the name, the revision is the rollback's: its cause, in the RC and the DC's status.
    expect((await getRc('race-2')).metadata.annotations['berth.io/cause']).toBe('Rollback');
    expect((await getDc('race')).status.details?.cause).toBe('Rollback');
    // A different template is a revision of its own.
    await setEnv('race', '3');
    expect((await startRevision(t.store, await getDc('race'), 'ConfigChange', 'config change', clock)).metadata.name).toBe('race-3');
  });

  it("a rollback that takes the controller's revision keeps its cause when the controller writes the DC's status after it", async () => {
    await createDc('late');
    await rollOut('late');
    await setEnv('late', '2');
    const dc = await getDc('late');
    // The controller makes late-2, then is slow to write the DC's status (a loaded machine).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atStatus = new Promise<void>((r) => (reached = r));
    const slow = new Proxy(t.store, {
      get(target, prop) {
        if (prop === 'updateStatus') {
          return async (o: { kind: string }) => {
            if (o.kind === 'DeploymentConfig') {
              reached();
              await held;
            }
            return target.updateStatus(o as never);
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const controller = startRevision(slow, dc, 'ConfigChange', 'config change', clock);
    await atStatus;
    // The rollback listed the revisions just before late-2 was made, so it tries that name too.
    let first = true;
    const behind = new Proxy(t.store, {
      get(target, prop) {
        if (prop === 'list') {
          return async (kind: string, project: string, opts: never) => {
            const page = await target.list(kind, project, opts);
            if (kind !== 'ReplicationController' || !first) return page;
            first = false;
            return { ...page, items: page.items.filter((rc) => rc.metadata.name !== 'late-2') };
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    expect((await startRevision(behind, dc, 'Rollback', 'rollback', clock)).metadata.name).toBe('late-2');
    release();
    await controller;
    expect((await getRc('late-2')).metadata.annotations['berth.io/cause']).toBe('Rollback');
    expect((await getDc('late')).status).toMatchObject({ latestVersion: 2, details: { cause: 'Rollback' } });
  });

  it('the controller, having decided from revisions read before a rollback made its own, starts none more for the same template', async () => {
    await createDc('stale');
    await rollOut('stale');
    await setEnv('stale', '2');
    const dc = await getDc('stale');
    // The rollback makes stale-2 first; the controller saw the change with only stale-1 listed.
    expect((await startRevision(t.store, dc, 'Rollback', 'rollback', clock)).metadata.name).toBe('stale-2');
    expect((await startRevision(t.store, dc, 'ConfigChange', 'config change', clock)).metadata.name).toBe('stale-2');
    expect((await rcsOf('stale')).map((rc) => rc.metadata.name)).toEqual(['stale-1', 'stale-2']);
    expect((await getDc('stale')).status).toMatchObject({ latestVersion: 2, details: { cause: 'Rollback' } });
    // A user's rollout of the same template is a revision of its own.
    expect((await startRevision(t.store, await getDc('stale'), 'Manual', 'manual rollout', clock)).metadata.name).toBe('stale-3');
  });

  it('an ImageChange trigger waits for an image, then each new image makes a revision; paused makes none', async () => {
    const trigger = { type: 'ImageChange', imageChangeParams: { containerNames: ['web'], from: { kind: 'ImageStreamTag', name: 'app:latest' } } };
    await createDc('img', { triggers: [{ type: 'ConfigChange' }, trigger], template: { metadata: { labels: { deploymentconfig: 'img' } }, spec: { containers: [{ name: 'web' }] } } });

    await reconcile('img');

    expect(await rcsOf('img')).toEqual([]);
    expect((await getDc('img')).status.conditions.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'WaitingForImage', message: 'waiting for an image on ImageStreamTag app:latest' });

    const tagEvent = (n: number) => ({ created: new Date(clock).toISOString(), dockerImageReference: `registry.local/roll/app@sha256:${n}`, image: `sha256:${n}` });
    const is = await t.store.create({ kind: 'ImageStream', metadata: { name: 'app', project: P }, spec: {}, status: { tags: [{ tag: 'latest', items: [tagEvent(1)] }] } });
    await ctl.reconcile({ kind: 'ImageStream', project: P, name: 'app' });

    const dc = await getDc('img');
    expect(dc.spec.template.spec.containers[0]!.image).toBe('registry.local/roll/app@sha256:1');
    expect(dc.spec.triggers[1]).toMatchObject({ imageChangeParams: { lastTriggeredImage: 'registry.local/roll/app@sha256:1' } });
    expect((await getRc('img-1')).metadata.annotations['berth.io/cause']).toBe('ImageChange');
    expect((await getRc('img-1')).spec.template.spec.containers[0]!.image).toBe('registry.local/roll/app@sha256:1');
    await rollOut('img');

    await t.store.updateStatus({ ...is, status: { tags: [{ tag: 'latest', items: [tagEvent(2), tagEvent(1)] }] } });
    await ctl.reconcile({ kind: 'ImageStream', project: P, name: 'app' });
    expect((await getRc('img-2')).spec.template.spec.containers[0]!.image).toBe('registry.local/roll/app@sha256:2');
    expect((await getDc('img')).status.details).toEqual({ cause: 'ImageChange', message: 'image change on app:latest' });
    await rollOut('img');

    await changeDc('img', (s) => ({ ...s, paused: true }));
    const latest = await t.store.get<any>({ kind: 'ImageStream', project: P, name: 'app' });
    await t.store.updateStatus({ ...latest, status: { tags: [{ tag: 'latest', items: [tagEvent(3), tagEvent(2)] }] } });
    await ctl.reconcile({ kind: 'ImageStream', project: P, name: 'app' });
    expect((await rcsOf('img')).map((rc) => rc.metadata.name)).toEqual(['img-1', 'img-2']);
    expect((await getDc('img')).spec.template.spec.containers[0]!.image).toBe('registry.local/roll/app@sha256:2');
  });
});

describe('Rolling', () => {
  it('never asks for more than desired + maxSurge nor drops below desired − maxUnavailable', async () => {
    await createDc('surge', { replicas: 4, strategy: { type: 'Rolling', rollingParams: { maxSurge: 1, maxUnavailable: 0, intervalSeconds: 1 } } });
    await rollOut('surge');
    await setEnv('surge', 'b');
    let steps = 0;
    for (;;) {
      const r = await reconcile('surge');
      const rcs = await rcsOf('surge');
      const latest = rcs.at(-1)!;
      if (latest.status.phase === 'Complete') break;
      expect(r.requeueAfter).toBe(1000);
      expect(rcs.reduce((n, rc) => n + rc.spec.replicas, 0)).toBeLessThanOrEqual(5);
      // The RC controller: old RCs lose pods at once (availability is counted before any new
      // pod becomes ready), new pods become available one per pass.
      await report('surge-1');
      await report('surge-2', latest.status.availableReplicas ?? 0);
      expect((await rcsOf('surge')).reduce((n, rc) => n + rc.status.availableReplicas, 0)).toBeGreaterThanOrEqual(4);
      await report('surge-2', Math.min(latest.spec.replicas, (latest.status.availableReplicas ?? 0) + 1));
      expect(++steps).toBeLessThan(30);
    }
    expect(steps).toBeGreaterThan(2);
    expect((await rcsOf('surge')).map((rc) => [rc.metadata.name, rc.spec.replicas, rc.status.phase])).toEqual([
      ['surge-1', 0, 'Complete'],
      ['surge-2', 4, 'Complete'],
    ]);
  });

  it('a rollout past its timeout fails, goes to 0 and the previous revision is scaled back', async () => {
    await createDc('slow', { replicas: 2, strategy: { type: 'Rolling', rollingParams: { maxSurge: 1, maxUnavailable: 1, timeoutSeconds: 60 } } });
    await rollOut('slow');
    await setEnv('slow', 'never-ready');
    await reconcile('slow');
    await reconcile('slow');
    await report('slow-1');
    await report('slow-2', 0);
    await reconcile('slow');
    expect((await getRc('slow-1')).spec.replicas).toBeLessThan(2);

    clock += 61_000;
    await reconcile('slow');

    const failed = await getRc('slow-2');
    expect(failed.status).toMatchObject({ phase: 'Failed', reason: 'ProgressDeadlineExceeded', message: 'replication controller "slow-2" has timed out progressing (60s)' });
    expect(failed.spec.replicas).toBe(0);
    expect((await getRc('slow-1')).spec.replicas).toBe(2);
    expect((await getDc('slow')).status.conditions.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(await events('RolloutFailed')).toContain('ProgressDeadlineExceeded: replication controller "slow-2" has timed out progressing (60s); rolled back to "slow-1"');
    // Later passes keep the old revision running and make no new one.
    await reconcile('slow');
    expect((await rcsOf('slow')).map((rc) => [rc.metadata.name, rc.spec.replicas])).toEqual([
      ['slow-1', 2],
      ['slow-2', 0],
    ]);
  });
});

describe('the count a rollout heads for (status.desiredReplicas, what `rollout status` prints)', () => {
  it.each([
    ['Rolling', 1],
    ['Rolling', 3],
    ['Recreate', 3],
  ] as const)('%s, %i replicas: the new revision carries it from the rollout\'s first write of it to Complete', async (type, replicas) => {
    const name = `heads-${type.toLowerCase()}-${replicas}`;
    await createDc(name, { replicas, strategy: { type } });
    await rollOut(name);
    await setEnv(name, 'b');
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 40; i++) {
      await reconcile(name);
      const latest = await getRc(`${name}-2`);
      // Once the rollout has written the revision (Running), it carries the count.
      if (latest.status.phase !== 'New') seen.push(latest.status.desiredReplicas);
      if (latest.status.phase === 'Complete') break;
      for (const rc of await rcsOf(name)) await report(rc.metadata.name);
    }
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((n) => n === replicas)).toBe(true);
    expect((await getRc(`${name}-2`)).status).toMatchObject({ phase: 'Complete', desiredReplicas: replicas });
    expect((await getRc(`${name}-1`)).status.desiredReplicas).toBe(replicas);
  });

  /** A DC of 3 (surge 1, none unavailable) whose second revision has taken its first step: 1 replica, none available yet. */
  async function firstStep(name: string): Promise<ReplicationController> {
    await createDc(name, { replicas: 3, strategy: { type: 'Rolling', rollingParams: { maxSurge: 1, maxUnavailable: 0 } } });
    await rollOut(name);
    await setEnv(name, 'b');
    await reconcile(name);
    await report(`${name}-2`, 0);
    const rc = await getRc(`${name}-2`);
    expect([rc.spec.replicas, rc.status.desiredReplicas]).toEqual([1, 3]);
    return rc;
  }

  it('a failed rollout scales the previous revision back to the DC\'s count, and that revision carries it', async () => {
    await firstStep('back-up');
    await changeDc('back-up', (s) => ({ ...s, replicas: 4, strategy: { type: 'Rolling', rollingParams: { maxSurge: 1, maxUnavailable: 0, timeoutSeconds: 60, intervalSeconds: 1 } } }));
    clock += 61_000;
    await reconcile('back-up');
    expect((await getRc('back-up-2')).status.phase).toBe('Failed');
    const back = await getRc('back-up-1');
    expect([back.spec.replicas, back.status.phase, back.status.desiredReplicas]).toEqual([4, 'Complete', 4]);
  });

  it('a DC scaled up during the rollout: the next write of the new revision carries the new count', async () => {
    await firstStep('heads-up');

    await changeDc('heads-up', (s) => ({ ...s, replicas: 5 }));
    await reconcile('heads-up');

    const grown = await getRc('heads-up-2');
    expect(grown.spec.replicas).toBe(3);
    expect(grown.status.desiredReplicas).toBe(5);
  });

  it('a DC scaled down during the rollout: no write of its own; the next write the rollout makes of the new revision carries it', async () => {
    const before = await firstStep('heads-down');

    await changeDc('heads-down', (s) => ({ ...s, replicas: 2 }));
    await reconcile('heads-down');

    // This pass shrank the old revision only: the new one is not written for the count alone.
    expect((await getRc('heads-down-1')).spec.replicas).toBe(2);
    const untouched = await getRc('heads-down-2');
    expect(untouched.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(untouched.status.desiredReplicas).toBe(3);

    // Then, as its pods become available, the rollout's next scale of it carries the new count.
    for (let i = 0; i < 40; i++) {
      for (const rc of await rcsOf('heads-down')) await report(rc.metadata.name);
      const was = await getRc('heads-down-2');
      await reconcile('heads-down');
      const now = await getRc('heads-down-2');
      if (now.spec.replicas !== was.spec.replicas) {
        expect(now.status.desiredReplicas).toBe(2);
        break;
      }
      expect(now.status.desiredReplicas).toBe(3);
      expect(i).toBeLessThan(39);
    }
    expect((await rollOut('heads-down')).status).toMatchObject({ phase: 'Complete', desiredReplicas: 2 });
  });
});

describe('Recreate', () => {
  it('scales the old revision to 0, waits for its pods to go, runs the mid hook, then scales the new one up', async () => {
    const mid = { failurePolicy: 'Abort', execNewPod: { command: ['./migrate'] } };
    await createDc('rec', { strategy: { type: 'Recreate', recreateParams: { mid } } });
    // The first revision also runs the mid hook.
    await reconcile('rec');
    await reconcile('rec');
    await patchStatus<Pod>(t.store, { kind: 'Pod', project: P, name: 'rec-1-hook-mid' }, (p) => ({ ...p.status, phase: 'Succeeded' }));
    await rollOut('rec');
    await setEnv('rec', '2');
    await t.store.create({ kind: 'Pod', metadata: { name: 'rec-1-abcde', project: P, labels: { deploymentconfig: 'rec', deployment: 'rec-1' } }, spec: { containers: [{ name: 'web', image: 'x' }] }, status: { phase: 'Running' } });

    await reconcile('rec');
    await reconcile('rec');

    expect((await getRc('rec-1')).spec.replicas).toBe(0);
    expect((await getRc('rec-2')).spec.replicas).toBe(0);
    expect(await t.store.get({ kind: 'Pod', project: P, name: 'rec-2-hook-mid' })).toBeUndefined();

    await t.store.delete({ kind: 'Pod', project: P, name: 'rec-1-abcde' });
    await reconcile('rec');
    const hook = (await t.store.get<Pod>({ kind: 'Pod', project: P, name: 'rec-2-hook-mid' }))!;
    expect(hook.spec.containers[0]).toMatchObject({ command: ['./migrate'], image: 'registry.local/app@sha256:1', env: [{ name: 'V', value: '2' }] });
    expect((await getRc('rec-2')).spec.replicas).toBe(0);

    await patchStatus<Pod>(t.store, { kind: 'Pod', project: P, name: 'rec-2-hook-mid' }, (p) => ({ ...p.status, phase: 'Succeeded' }));
    await reconcile('rec');
    expect((await getRc('rec-2')).spec.replicas).toBe(2);
    expect((await rollOut('rec')).status.phase).toBe('Complete');
  });
});

describe('pre hook', () => {
  const withPre = (failurePolicy: string) => ({
    strategy: { type: 'Rolling', rollingParams: { pre: { failurePolicy, execNewPod: { command: ['./pre'], env: [{ name: 'HOOK', value: '1' }] } } } },
  });
  const failHook = (dc: string) => patchStatus<Pod>(t.store, hookRef(dc), (p) => ({ ...p.status, phase: 'Failed', exitCode: 1 }));

  it('runs in a one-off pod of the new template before any replica; Abort fails the rollout', async () => {
    await createDc('abort', withPre('Abort'));
    await reconcile('abort');
    await reconcile('abort');

    const hook = (await t.store.get<Pod>(hookRef('abort')))!;
    expect(hook.metadata.labels).toEqual({ deploymentconfig: 'abort', 'berth.io/hook': 'pre' });
    expect(hook.spec).toMatchObject({ restartPolicy: 'Never', containers: [{ name: 'web', image: 'registry.local/app@sha256:1', command: ['./pre'], env: [{ name: 'V', value: '1' }, { name: 'HOOK', value: '1' }] }] });
    expect((await getRc('abort-1')).spec.replicas).toBe(0);

    await failHook('abort');
    await reconcile('abort');

    expect((await getRc('abort-1')).status).toMatchObject({ phase: 'Failed', reason: 'HookFailed' });
  });

  it('Retry runs the hook pod again', async () => {
    await createDc('retry', withPre('Retry'));
    await reconcile('retry');
    await reconcile('retry');
    const first = (await t.store.get<Pod>(hookRef('retry')))!;
    await failHook('retry');

    await reconcile('retry');
    expect(await t.store.get(hookRef('retry'))).toBeUndefined();
    await reconcile('retry');

    const again = (await t.store.get<Pod>(hookRef('retry')))!;
    expect(again.metadata.uid).not.toBe(first.metadata.uid);
    expect(again.status.phase).toBe('Pending');
    // Still before any replica: the rollout waits for its pre hook.
    expect((await getRc('retry-1')).status.phase).toBe('Pending');
    expect((await getRc('retry-1')).spec.replicas).toBe(0);
  });

  it('Ignore goes on with the rollout', async () => {
    await createDc('ignore', withPre('Ignore'));
    await reconcile('ignore');
    await reconcile('ignore');
    await failHook('ignore');

    expect((await rollOut('ignore')).status.phase).toBe('Complete');
    expect((await getRc('ignore-1')).metadata.annotations['berth.io/hook-pre']).toBe('Ignored');
  });
});

describe('post hook', () => {
  it('runs once the new revision is fully available, and only then is the rollout Complete', async () => {
    await createDc('post', { strategy: { type: 'Rolling', rollingParams: { post: { failurePolicy: 'Abort', execNewPod: { command: ['./notify'] } } } } });
    for (let i = 0; i < 6; i++) {
      await reconcile('post');
      await report('post-1');
    }
    expect((await getRc('post-1')).spec.replicas).toBe(2);
    expect((await getRc('post-1')).status.phase).toBe('Running');
    const ref = { kind: 'Pod', project: P, name: 'post-1-hook-post' };
    expect((await t.store.get<Pod>(ref))!.metadata.labels).toEqual({ deploymentconfig: 'post', 'berth.io/hook': 'post' });

    await patchStatus<Pod>(t.store, ref, (p) => ({ ...p.status, phase: 'Succeeded', exitCode: 0 }));
    await reconcile('post');

    expect((await getRc('post-1')).status.phase).toBe('Complete');
  });
});

describe('history and deletion', () => {
  it('keeps revisionHistoryLimit old revisions besides the latest', async () => {
    await createDc('hist', { revisionHistoryLimit: 1 });
    await rollOut('hist');
    for (const v of ['2', '3', '4']) {
      await setEnv('hist', v);
      await rollOut('hist');
    }
    await reconcile('hist');

    expect((await rcsOf('hist')).map((rc) => rc.metadata.name)).toEqual(['hist-3', 'hist-4']);
  });

  it('deleting a DeploymentConfig removes its RCs, its pods and its hook pods', async () => {
    await t.store.delete(dcRef('abort'));
    await t.store.create({ kind: 'Pod', metadata: { name: 'abort-1-xyzab', project: P, labels: { deploymentconfig: 'abort', deployment: 'abort-1' } }, spec: { containers: [{ name: 'web', image: 'x' }], host: 'h1' }, status: { phase: 'Running' } });

    await ctl.reconcile(rcRef('abort-1'));

    expect(await rcsOf('abort')).toEqual([]);
    expect(await t.store.get(hookRef('abort'))).toBeUndefined();
    // A bound pod is only marked; its host stops it and releases it.
    expect((await t.store.get<Pod>({ kind: 'Pod', project: P, name: 'abort-1-xyzab' }))!.metadata.deletionTimestamp).toBeDefined();
  });
});
