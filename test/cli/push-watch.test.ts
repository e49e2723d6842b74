// Where the API answers watches and log reads at once (as on Lambda), the CLI waits on a push
// connection for a notice that what it follows changed, rather than asking every poll interval;
// without one offered, or when it cannot be opened, it polls as before.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../shared/builds/instantiate.ts';
import type { ReplicationController } from '../../shared/model/objects.ts';
import { PUSH_PATH } from '../../shared/push/topics.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { until } from '../support/until.ts';
import { startPushCli, type PushCli } from './push-harness.ts';

const PROJECT = 'pushed';
const ROLLOUT_DONE = 'Waiting for rollout to finish: 0 of 1 updated replicas are available...\nreplication controller "web-1" successfully rolled out\n';

/** Logs in, makes the project, a DC "web" and its first revision (web-1, not yet complete). */
async function withRollout(h: PushCli): Promise<void> {
  await h.login('admin');
  expect((await h.berth(['new-project', PROJECT])).code).toBe(0);
  const dc = await h.api.call('POST', `/api/v1/projects/${PROJECT}/deploymentconfigs`, h.api.adminToken, {
    metadata: { name: 'web' },
    spec: { replicas: 1, selector: { deploymentconfig: 'web' }, template: { metadata: { labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa' }] } } },
  });
  expect(dc.status).toBe(201);
  expect((await h.berth(['rollout', 'latest', 'dc/web'])).code).toBe(0);
}

/** Starts `rollout status` polling every 50 ms, lets it follow for 2 s of nothing, and answers the requests made meanwhile. */
async function quietRollout(h: PushCli): Promise<{ run: Promise<{ code: number; stdout: string; stderr: string }>; quiet: string[] }> {
  h.requests.length = 0;
  const run = h.berth(['rollout', 'status', 'dc/web', '--poll-interval', '50']);
  await until('the first watch from a cursor', async () => h.requests.some((r) => r.includes('watch=1') && r.includes('resourceVersion=')), 15_000);
  await sleep(2_000);
  return { run, quiet: [...h.requests] };
}

/** Whether the CLI polls while nothing changes: 16 requests within 20 s, which a CLI waiting on a push notice (25 s) never makes. */
const polls = async (h: PushCli) => until('polling every 50 ms', async () => h.requests.length > 15, 20_000).then(() => true);

/**
 * Follows revision 1 of a new DC `name` (3 replicas) through three steps, the test playing the
 * rollout's writes: Running with 0, 1 then 2 replicas available (each with status.desiredReplicas
 * when `told`), then Complete; each step once the CLI has been told of the one before (and has
 * read it, when its notice carried nothing). Returns what it printed, its reads of the DC, and
 * its reads of the RCs once it was watching them.
 */
async function followSteps(h: PushCli, name: string, told: boolean): Promise<{ stdout: string; dcReads: number; rcReads: number }> {
  const made = await h.api.call('POST', `/api/v1/projects/${PROJECT}/deploymentconfigs`, h.api.adminToken, {
    metadata: { name },
    spec: { replicas: 3, selector: { deploymentconfig: name }, template: { metadata: { labels: { deploymentconfig: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa' }] } } },
  });
  expect(made.status).toBe(201);
  expect((await h.berth(['rollout', 'latest', `dc/${name}`])).code).toBe(0);
  const rc = { kind: 'ReplicationController', project: PROJECT, name: `${name}-1` };
  const step = (status: Partial<ReplicationController['status']>) =>
    patchStatus<ReplicationController>(h.api.store, rc, (cur) => ({ ...cur.status, ...(told ? { desiredReplicas: 3 } : {}), ...status }));
  const rcPath = `/api/v1/projects/${PROJECT}/replicationcontrollers`;
  const watchReads = () => h.requests.filter((r) => r.startsWith(`GET ${rcPath}?`) && r.includes('resourceVersion=')).length;
  await step({ phase: 'Running', availableReplicas: 0 });
  h.requests.length = 0;
  const run = h.berth(['rollout', 'status', `dc/${name}`, '--poll-interval', '50']);
  await until('the RCs watched', async () => (await h.watchers(PROJECT)).some((w) => w.topic === 'replicationcontrollers'), 15_000);
  // The read that follows subscribing, then nothing until told.
  await until('the read after subscribing', async () => watchReads() > 1, 15_000);
  await sleep(300);
  const watching = watchReads();
  for (const available of [1, 2]) {
    const before = { reads: watchReads(), notices: h.notices.length };
    const written = await step({ availableReplicas: available });
    const notice = await until(`the step to ${available} told`, async () =>
      h.notices.slice(before.notices).find((m) => m.type === 'changed' && m.path === rcPath && (!m.objects || m.objects.some((o) => (o as { metadata: { resourceVersion: string } }).metadata.resourceVersion === written!.metadata.resourceVersion))), 15_000);
    if (notice.type === 'changed' && !notice.objects) await until(`the step to ${available} read`, async () => watchReads() > before.reads, 15_000);
    await sleep(300);
  }
  await step({ phase: 'Complete', availableReplicas: 3 });
  const r = await run;
  expect(r.code).toBe(0);
  return { stdout: r.stdout, dcReads: h.requests.filter((r) => r === `GET /api/v1/projects/${PROJECT}/deploymentconfigs/${name}`).length, rcReads: watchReads() - watching };
}

const THREE_STEPS = (rc: string) =>
  [0, 1, 2].map((n) => `Waiting for rollout to finish: ${n} of 3 updated replicas are available...\n`).join('') + `replication controller "${rc}" successfully rolled out\n`;

async function completeRevision(h: PushCli): Promise<number> {
  await patchStatus<ReplicationController>(h.api.store, { kind: 'ReplicationController', project: PROJECT, name: 'web-1' }, (rc) => ({ ...rc.status, phase: 'Complete', availableReplicas: 1 }));
  return Date.now();
}

describe('with push connections offered', () => {
  let h: PushCli;
  beforeAll(async () => {
    h = await startPushCli(PUSH_PATH);
    await withRollout(h);
    await h.berth(['new-build', 'python~https://github.com/example/shop.git']);
  }, 60_000);
  afterAll(() => h?.stop());

  it('rollout status makes a handful of requests while nothing changes, and ends as soon as the revision completes', async () => {
    const { run, quiet } = await quietRollout(h);

    // The listing, the DC, a watch from the cursor and the one read after subscribing (a late
    // notice of the setup's writes may add one): polling every 50 ms would have made some forty.
    expect(quiet.length).toBeLessThanOrEqual(6);
    expect(h.upgrades).toEqual([PUSH_PATH]);
    expect((await h.watchers(PROJECT)).map((w) => w.topic)).toEqual(['replicationcontrollers']);
    const completed = await completeRevision(h);
    const r = await run;
    expect(Date.now() - completed).toBeLessThan(3_000);
    expect(r).toEqual({ code: 0, stdout: ROLLOUT_DONE, stderr: '' });
    // The command closed its connection: the platform forgets what it watched.
    await until('the connection is forgotten', async () => (await h.watchers(PROJECT)).length === 0, 10_000);
  });

  it('logs -f prints what is appended later as its notices carry it, without reading the log, and ends with the build', async () => {
    h.upgrades.length = 0;
    const name = (await h.api.call('POST', `/api/v1/projects/${PROJECT}/buildconfigs/shop/instantiate`, h.api.adminToken, {})).body.metadata.name as string;
    const ref = { kind: 'Build', project: PROJECT, name };
    await h.logs.append(ref, 'Cloning ...\n');
    h.requests.length = 0;
    const logReads = () => h.requests.filter((r) => r.startsWith(`GET /api/v1/projects/${PROJECT}/builds/${name}/log?offset=`)).length;

    const run = h.berth(['logs', '-f', `build/${name}`]);
    const watched = await until('the log and the builds watched', async () => {
      const w = await h.watchers(PROJECT);
      return w.length === 2 && w.map((x) => x.topic).sort();
    }, 15_000);
    expect(watched).toEqual(['builds', `builds/${name}/log`]);
    await sleep(500);
    const settled = logReads();
    await sleep(3_000);
    // Polling once a second would have read the log three times by now.
    expect(logReads()).toBe(settled);
    await h.logs.append(ref, '---> Installing ...\n');
    await h.logs.append(ref, '---> Pushing ...\n');
    // Told with their text: printed from the notices, the log not read again.
    await sleep(2_000);
    expect(logReads()).toBe(settled);
    await patchStatus<Build>(h.api.store, ref, (b) => ({ ...b.status, phase: 'Complete' }));
    const completed = Date.now();
    const r = await run;

    expect(Date.now() - completed).toBeLessThan(3_000);
    expect(r).toEqual({ code: 0, stdout: 'Cloning ...\n---> Installing ...\n---> Pushing ...\n', stderr: `build "${name}" Complete\n` });
    expect(h.upgrades).toEqual([PUSH_PATH]);
    expect(h.requests.length).toBeLessThanOrEqual(9);
  });

  it('rollout status takes the count from a revision that carries it, and each step from the notice that carries the RC: the DC is read once, the RCs not at each step', async () => {
    const { stdout, dcReads, rcReads } = await followSteps(h, 'told', true);

    expect(stdout).toBe(THREE_STEPS('told-1'));
    expect(dcReads).toBe(1);
    expect(rcReads).toBe(0);
  });

  it('rollout status reads the DC at each step for a revision made before the count was recorded, printing the same', async () => {
    const { stdout, dcReads } = await followSteps(h, 'untold', false);

    expect(stdout).toBe(THREE_STEPS('untold-1'));
    // Once at the start, and once for each of the three steps printed.
    expect(dcReads).toBe(4);
  });
});

describe('with push connections whose notices carry no objects', () => {
  let h: PushCli;
  beforeAll(async () => {
    h = await startPushCli(PUSH_PATH, { pathOnly: true });
    await withRollout(h);
  }, 60_000);
  afterAll(() => h?.stop());

  it('rollout status reads the RCs once a step, printing the same', async () => {
    const { stdout, dcReads, rcReads } = await followSteps(h, 'plain', true);

    expect(stdout).toBe(THREE_STEPS('plain-1'));
    expect(dcReads).toBe(1);
    // A read for each of the two steps and the completion.
    expect(rcReads).toBe(3);
  });
});

describe('without push connections', () => {
  let h: PushCli;
  beforeAll(async () => {
    h = await startPushCli();
    await withRollout(h);
  }, 60_000);
  afterAll(() => h?.stop());

  it('rollout status asks again every poll interval, as before', async () => {
    const { run } = await quietRollout(h);

    expect(await polls(h)).toBe(true);
    expect(h.upgrades).toEqual([]);
    await completeRevision(h);
    expect(await run).toEqual({ code: 0, stdout: ROLLOUT_DONE, stderr: '' });
  });
});

describe('with a push endpoint that refuses the upgrade', () => {
  let h: PushCli;
  beforeAll(async () => {
    h = await startPushCli('/api/v1/no-such-push');
    await withRollout(h);
  }, 60_000);
  afterAll(() => h?.stop());

  it('rollout status tries it once, then completes by polling, quietly', async () => {
    const { run } = await quietRollout(h);

    expect(h.upgrades).toEqual(['/api/v1/no-such-push']);
    expect(await polls(h)).toBe(true);
    await completeRevision(h);
    expect(await run).toEqual({ code: 0, stdout: ROLLOUT_DONE, stderr: '' });
  });
});
