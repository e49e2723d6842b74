// rollout latest|status|history|undo, scale, set env, get pods|dc|rc|svc and logs pod/NAME,
// through the real API; where no controller runs, the test writes RC and pod status itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicationController } from '../../shared/model/objects.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { PROJECT, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;
const rcRef = (name: string) => ({ kind: 'ReplicationController', project: PROJECT, name });
const setRc = (name: string, status: Partial<ReplicationController['status']>) =>
  patchStatus<ReplicationController>(h.api.store, rcRef(name), (rc) => ({ ...rc.status, ...status }));

async function createDc(name: string): Promise<void> {
  const r = await h.api.call('POST', `/api/v1/projects/${PROJECT}/deploymentconfigs`, h.api.adminToken, {
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { deploymentconfig: name },
      template: { metadata: { labels: { deploymentconfig: name } }, spec: { containers: [{ name: 'web', image: `registry.local/${name}@sha256:aaa`, env: [{ name: 'KEEP', value: '1' }, { name: 'DROP', value: 'x' }] }] } },
    },
  });
  expect(r.status).toBe(201);
}

beforeAll(async () => {
  h = await startBuildCli();
  await createDc('web');
});
afterAll(() => h.close());

describe('berth rollout', () => {
  it('latest starts a revision; history lists revision, status, cause and image', async () => {
    expect(await h.berth(['rollout', 'latest', 'dc/web'])).toEqual({ code: 0, stdout: 'deploymentconfig.apps.berth.io/web rolled out\n', stderr: '' });
    await setRc('web-1', { phase: 'Complete' });
    await h.berth(['rollout', 'latest', 'web']);

    const r = await h.berth(['rollout', 'history', 'dc/web']);

    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['deploymentconfig.apps.berth.io/web'],
      ['REVISION', 'STATUS', 'CAUSE', 'IMAGE'],
      ['1', 'Complete', 'Manual', 'registry.local/web@sha256:aaa'],
      ['2', 'New', 'Manual', 'registry.local/web@sha256:aaa'],
      [''],
    ]);
  });

  it('status follows the latest revision until it is complete', async () => {
    const run = h.berth(['rollout', 'status', 'dc/web', '--poll-interval', '50']);
    await new Promise((r) => setTimeout(r, 800));
    await setRc('web-2', { phase: 'Running', availableReplicas: 1 });
    await new Promise((r) => setTimeout(r, 800));
    await setRc('web-2', { phase: 'Complete', availableReplicas: 2 });

    const r = await run;

    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Waiting for rollout to finish: 0 of 2 updated replicas are available...',
        'Waiting for rollout to finish: 1 of 2 updated replicas are available...',
        'replication controller "web-2" successfully rolled out',
        '',
      ].join('\n'),
    );
  });

  it('status exits 1 with the reason when the rollout failed', async () => {
    await h.berth(['rollout', 'latest', 'dc/web']);
    await setRc('web-3', { phase: 'Failed', reason: 'ProgressDeadlineExceeded', message: 'replication controller "web-3" has timed out progressing (600s)' });

    const r = await h.berth(['rollout', 'status', 'dc/web']);

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: replication controller "web-3" failed: replication controller "web-3" has timed out progressing (600s)\nhint: see \`berth describe dc web -n ${PROJECT}\` and \`berth get events -n ${PROJECT}\`\n`);
  });

  it('undo --to-revision rolls back to that revision', async () => {
    const r = await h.berth(['rollout', 'undo', 'dc/web', '--to-revision', '1']);

    expect(r).toEqual({ code: 0, stdout: 'deploymentconfig.apps.berth.io/web rolled back\n', stderr: '' });
    const rc = await h.get('replicationcontrollers', 'web-4');
    expect(rc.metadata.annotations['berth.io/cause']).toBe('Rollback');
  });

  it.each([
    ['another kind', ['rollout', 'latest', 'bc/web'], 2, 'error: "bc/web" does not name a deploymentconfig', 'hint: give dc/NAME'],
    ['a DC that does not exist', ['rollout', 'latest', 'dc/nope'], 1, 'error: DeploymentConfig "nope" not found', `hint: list them with \`berth get dc -n ${PROJECT}\``],
    ['a revision that does not exist', ['rollout', 'undo', 'dc/web', '--to-revision', '42'], 1, 'error: revision "web-42" not found', `hint: list them with \`berth get dc -n ${PROJECT}\``],
    ['a revision that is not a number', ['rollout', 'undo', 'dc/web', '--to-revision', 'x'], 2, "error: option '--to-revision <n>' argument 'x' is invalid. must be a whole number from 1 to 1000000", 'hint: see `berth rollout undo --help`'],
  ])('refuses %s with one error and one hint', async (_, argv, code, error, hint) => {
    const r = await h.berth(argv);

    expect(r).toEqual({ code, stdout: '', stderr: `${error}\n${hint}\n` });
  });
});

describe('berth scale', () => {
  it('sets the replicas', async () => {
    expect(await h.berth(['scale', 'dc/web', '--replicas', '4'])).toEqual({ code: 0, stdout: 'deploymentconfig.apps.berth.io/web scaled\n', stderr: '' });
    expect((await h.get('deploymentconfigs', 'web')).spec.replicas).toBe(4);
  });

  it('refuses a negative count as a usage error and changes nothing', async () => {
    const r = await h.berth(['scale', 'dc/web', '--replicas', '-1']);

    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^error: option '--replicas <n>' argument '-1' is invalid/);
    expect((await h.get('deploymentconfigs', 'web')).spec.replicas).toBe(4);
  });
});

describe('berth set env', () => {
  it('sets and removes variables of the template', async () => {
    await createDc('envy');

    const r = await h.berth(['set', 'env', 'dc/envy', 'NEW=a=b', 'KEEP=2', 'DROP-']);

    expect(r).toEqual({ code: 0, stdout: 'deploymentconfig.apps.berth.io/envy updated\n', stderr: '' });
    expect((await h.get('deploymentconfigs', 'envy')).spec.template.spec.containers[0].env).toEqual([
      { name: 'NEW', value: 'a=b' },
      { name: 'KEEP', value: '2' },
    ]);
  });

  it('--list prints the environment per container', async () => {
    const r = await h.berth(['set', 'env', 'dc/envy', '--list']);

    expect(r).toEqual({ code: 0, stdout: '# deploymentconfigs/envy, container web\nNEW=a=b\nKEEP=2\n', stderr: '' });
  });

  it.each([
    [['set', 'env', 'dc/envy', '1BAD=x'], 'error: "1BAD=x" is neither NAME=VALUE nor NAME-'],
    [['set', 'env', 'dc/envy', 'JUSTANAME'], 'error: "JUSTANAME" is neither NAME=VALUE nor NAME-'],
    [['set', 'env', 'dc/envy'], 'error: give NAME=VALUE or NAME- changes, --from, or --list'],
  ])('%j is a usage error that changes nothing', async (argv, error) => {
    const before = await h.get('deploymentconfigs', 'envy');

    const r = await h.berth(argv);

    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(error);
    expect(r.stderr.split('\n')[1]).toMatch(/^hint: /);
    expect(await h.get('deploymentconfigs', 'envy')).toEqual(before);
  });
});

describe('berth get for the deployment kinds', () => {
  it('pods: NAME READY STATUS RESTARTS AGE HOST', async () => {
    const spec = { containers: [{ name: 'web', image: 'x' }] };
    const now = new Date().toISOString();
    await h.api.store.create({ kind: 'Pod', metadata: { name: 'web-1-abcde', project: PROJECT, labels: { deploymentconfig: 'web' } }, spec: { ...spec, host: 'local' }, status: { phase: 'Running', restartCount: 2, conditions: [{ type: 'Ready', status: 'True' }], startTime: now } });
    await h.api.store.create({ kind: 'Pod', metadata: { name: 'web-1-fghij', project: PROJECT }, spec, status: { phase: 'Running', reason: 'CrashLoopBackOff', restartCount: 5, conditions: [{ type: 'Ready', status: 'False' }] } });
    await h.api.store.create({ kind: 'Pod', metadata: { name: 'web-1-hook-pre', project: PROJECT }, spec, status: { phase: 'Succeeded', conditions: [] } });

    const r = await h.berth(['get', 'pods']);

    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'HOST'],
      ['web-1-abcde', '1/1', 'Running', '2', expect.stringMatching(/^\ds$/), 'local'],
      ['web-1-fghij', '0/1', 'CrashLoopBackOff', '5', expect.stringMatching(/^\ds$/), '<none>'],
      ['web-1-hook-pre', '0/1', 'Completed', '0', expect.stringMatching(/^\ds$/), '<none>'],
    ]);
  });

  it('deploymentconfigs and replicationcontrollers', async () => {
    const dc = await h.berth(['get', 'dc', 'web']);
    const rc = await h.berth(['get', 'rc', 'web-1']);

    expect(dc.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['NAME', 'REVISION', 'DESIRED', 'CURRENT', 'TRIGGERED BY'],
      ['web', '4', '4', '0', 'config'],
    ]);
    expect(rc.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['NAME', 'DESIRED', 'CURRENT', 'READY', 'STATUS', 'AGE'],
      ['web-1', '0', '0', '0', 'Complete', expect.stringMatching(/^\d+s$/)],
    ]);
  });
});

describe('berth logs', () => {
  it('pod/NAME reads the pod log; a pod that does not exist gets a hint to list pods', async () => {
    const r = await h.berth(['logs', 'pod/nope']);

    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[1]).toBe(`hint: list them with \`berth get pods -n ${PROJECT}\``);
  });

  it('build/NAME still reads build logs', async () => {
    await h.berth(['new-build', 'python~https://github.com/example/logged.git']);
    await h.api.call('POST', `/api/v1/projects/${PROJECT}/buildconfigs/logged/instantiate`, h.api.adminToken, {});
    await h.appendLog('logged-1', 'hello from the build\n');

    const r = await h.berth(['logs', 'build/logged-1']);

    expect(r).toEqual({ code: 0, stdout: 'hello from the build\n', stderr: '' });
  });
});
