// start-build, cancel-build, get builds|buildconfigs|imagestreams and describe bc.
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, sourceTree, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;
beforeAll(async () => {
  h = await startBuildCli();
  await h.berth(['new-build', 'python~https://github.com/example/api.git']);
  await h.berth(['new-build', `python~${sourceTree({ 'app.py': 'print(1)\n' })}`, '--name', 'site']);
});
afterAll(() => h.close());

describe('berth start-build', () => {
  it('starts a build of a git BuildConfig with --env for this build only', async () => {
    const r = await h.berth(['start-build', 'api', '--env', 'PIP_INDEX_URL=http://mirror/simple', '-e', 'DEBUG=1']);

    expect(r).toEqual({ code: 0, stdout: 'build.build.berth.io/api-1 started\n', stderr: '' });
    const build = await h.get('builds', 'api-1');
    expect(build.spec.env).toEqual([
      { name: 'PIP_INDEX_URL', value: 'http://mirror/simple' },
      { name: 'DEBUG', value: '1' },
    ]);
    expect(build.spec.triggeredBy).toEqual([{ message: 'Manually triggered by admin' }]);
    expect((await h.get('buildconfigs', 'api')).spec.strategy.sourceStrategy.env).toEqual([]);
  });

  it('--from-dir uploads the directory as the source of a binary build', async () => {
    const dir = sourceTree({ 'app.sh': { text: '#!/bin/sh\n', mode: 0o755 }, 'lib/util.py': 'X = 1\n' });

    const r = await h.berth(['start-build', 'site', '--from-dir', dir]);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe('build.build.berth.io/site-1 started\n');
    expect(r.stderr).toMatch(/^Uploading directory ".*" as binary input for the build \(2 files, [\d.]+ KiB\) \.\.\.\nUploading finished\n$/);
    const files = await h.uploaded('site-1');
    expect([...files.keys()].sort()).toEqual(['app.sh', 'lib/', 'lib/util.py']);
    expect(files.get('lib/util.py')!.content).toBe('X = 1\n');
    expect(files.get('app.sh')!.mode & 0o777).toBe(0o755);
    // The directory's name, not its path, is what the image's source label will say.
    expect((await h.get('builds', 'site-1')).metadata.annotations['berth.io/source-archive']).toBe(basename(dir));
  });

  it.each([
    ['a binary BuildConfig without --from-dir', ['start-build', 'site'], 1, 'error: buildconfig "site" builds uploaded source', 'hint: give the directory to build with `berth start-build site --from-dir DIR`'],
    ['a git BuildConfig with --from-dir', ['start-build', 'api', '--from-dir', '.'], 1, 'error: buildconfig "api" builds from git (https://github.com/example/api.git), not from an upload', 'hint: start it without --from-dir, or create a binary one with `berth new-build python~DIR`'],
    ['--env with --from-dir', ['start-build', 'site', '--from-dir', '.', '-e', 'A=1'], 2, 'error: --env cannot be given with --from-dir', "hint: set build environment in the BuildConfig's spec.strategy.sourceStrategy.env, or in .s2i/environment in the directory"],
    ['a BuildConfig that does not exist', ['start-build', 'nope'], 1, 'error: BuildConfig "nope" not found', `hint: list them with \`berth get buildconfigs -n ${PROJECT}\``],
    ['--from-dir that is not a directory', ['start-build', 'site', '--from-dir', '/no/such/dir'], 1, 'error: "/no/such/dir" is not a directory', 'hint: give the directory that holds the source, e.g. --from-dir .'],
  ])('refuses %s with one error and one hint, starting nothing', async (_, argv, code, error, hint) => {
    const before = (await h.get('buildconfigs', argv[1]!))?.status?.lastVersion;

    const r = await h.berth(argv);

    expect(r).toEqual({ code, stdout: '', stderr: `${error}\n${hint}\n` });
    expect((await h.get('buildconfigs', argv[1]!))?.status?.lastVersion).toBe(before);
  });
});

describe('berth cancel-build', () => {
  it('marks each named build cancelled; a finished one is left as it is', async () => {
    await h.berth(['start-build', 'api']);
    await h.berth(['start-build', 'api']);
    await h.setStatus('api-1', { phase: 'Complete' });

    const r = await h.berth(['cancel-build', 'api-1', 'build/api-2', 'api-3']);

    expect(r).toEqual({
      code: 0,
      stdout: 'build.build.berth.io/api-1 already Complete\nbuild.build.berth.io/api-2 marked for cancellation\nbuild.build.berth.io/api-3 marked for cancellation\n',
      stderr: '',
    });
    expect((await h.get('builds', 'api-1')).spec.cancelled).toBe(false);
    expect((await h.get('builds', 'api-2')).spec.cancelled).toBe(true);
    expect((await h.get('builds', 'api-3')).spec.cancelled).toBe(true);
  });

  it('bc/NAME cancels every unfinished build of the BuildConfig', async () => {
    await h.berth(['new-build', 'python~https://github.com/example/jobs.git']);
    for (let i = 0; i < 3; i++) await h.berth(['start-build', 'jobs']);
    await h.setStatus('jobs-1', { phase: 'Failed' });

    const r = await h.berth(['cancel-build', 'bc/jobs']);

    expect(r.stdout).toBe('build.build.berth.io/jobs-2 marked for cancellation\nbuild.build.berth.io/jobs-3 marked for cancellation\n');
    expect((await h.get('builds', 'jobs-1')).spec.cancelled).toBe(false);
  });

  it('a build that does not exist is one error with a hint', async () => {
    expect(await h.berth(['cancel-build', 'api-99'])).toEqual({ code: 1, stdout: '', stderr: `error: Build "api-99" not found\nhint: list them with \`berth get builds -n ${PROJECT}\`\n` });
  });
});

describe('berth get and describe for builds', () => {
  beforeAll(async () => {
    await h.berth(['new-build', 'python~https://github.com/example/web.git#main']);
    for (let i = 0; i < 2; i++) await h.api.call('POST', `/api/v1/projects/${PROJECT}/buildconfigs/web/instantiate`, h.api.adminToken, {});
    const started = new Date(Date.now() - 5 * 60_000).toISOString();
    await h.setStatus('web-1', { phase: 'Complete', startTimestamp: started, duration: 65_000, revision: { commit: '3f2a1c9d0e8b7a6f' } });
    await h.setStatus('web-2', { phase: 'Failed', reason: 'AssembleFailed', startTimestamp: started, duration: 12_000 });
    const updated = new Date(Date.now() - 3 * 60_000).toISOString();
    const is = await h.get('imagestreams', 'web');
    await h.api.store.updateStatus({
      ...is,
      status: {
        dockerImageRepository: '127.0.0.1:7500/demo/web',
        tags: [{ tag: 'latest', items: [{ created: updated, dockerImageReference: '127.0.0.1:7500/demo/web@sha256:aa', image: 'sha256:aa' }] }],
      },
    });
  });

  it('get builds prints NAME TYPE FROM STATUS STARTED DURATION', async () => {
    const r = await h.berth(['get', 'builds', '-l', 'berth.io/buildconfig=web']);

    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+TYPE\s+FROM\s+STATUS\s+STARTED\s+DURATION$/),
      expect.stringMatching(/^web-1\s+Source\s+Git@3f2a1c9\s+Complete\s+5m ago\s+1m5s$/),
      expect.stringMatching(/^web-2\s+Source\s+Git\s+Failed \(AssembleFailed\)\s+5m ago\s+12s$/),
      '',
    ]);
  });

  it('get bc prints NAME TYPE FROM LATEST', async () => {
    const r = await h.berth(['get', 'bc']);

    expect(r.stdout).toMatch(/^NAME\s+TYPE\s+FROM\s+LATEST\n/);
    expect(r.stdout).toMatch(/\nsite\s+Source\s+Binary\s+1\n/);
    expect(r.stdout).toMatch(/\nweb\s+Source\s+Git@main\s+2\n/);
  });

  it('get is prints NAME IMAGE REPOSITORY TAGS UPDATED', async () => {
    const r = await h.berth(['get', 'is', 'web']);

    expect(r.stdout).toMatch(/^NAME\s+IMAGE REPOSITORY\s+TAGS\s+UPDATED\nweb\s+127\.0\.0\.1:7500\/demo\/web\s+latest\s+3m ago\n$/);
  });

  it('describe bc shows the webhook URLs with their secrets and the recent builds, newest first', async () => {
    const bc = await h.get('buildconfigs', 'web');
    const secret = (type: string) => bc.spec.triggers.find((t: any) => t.type === type)[type.toLowerCase()].secret;

    const r = await h.berth(['describe', 'bc', 'web']);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Webhooks:\n  GitHub:  ${h.server}/webhooks/${PROJECT}/web/github/${secret('GitHub')}\n  Generic: ${h.server}/webhooks/${PROJECT}/web/generic/${secret('Generic')}\n`,
    );
    expect(r.stdout).toMatch(/\nBuilds:\n\s+NAME\s+TYPE\s+FROM\s+STATUS\s+STARTED\s+DURATION\n\s+web-2\s+Source\s+Git\s+Failed \(AssembleFailed\)[^\n]*\n\s+web-1\s+Source\s+Git@3f2a1c9\s+Complete[^\n]*\nEvents:/);
  });

  it('describe bc of a binary BuildConfig says it has no webhooks', async () => {
    const r = await h.berth(['describe', 'bc', 'site']);

    expect(r.stdout).toContain('\nWebhooks:  <none>\nBuilds:\n');
  });
});
