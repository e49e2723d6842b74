// Following a build's log (logs -f, start-build --follow): the log as it is written, then the
// outcome — a line for Complete, an error and exit 1 for Failed, Error and Cancelled. No builder
// runs here: the test writes the log and moves the phase while the CLI follows.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, after, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;
beforeAll(async () => {
  h = await startBuildCli();
  await h.berth(['new-build', 'python~https://github.com/example/shop.git']);
});
afterAll(() => h.close());
afterEach(() => {
  h.cutFollowAfterMs = undefined;
});

/** A new build of the "shop" BuildConfig, as the platform would start it. */
async function newBuild(): Promise<string> {
  return (await h.api.call('POST', `/api/v1/projects/${PROJECT}/buildconfigs/shop/instantiate`, h.api.adminToken, {})).body.metadata.name;
}

describe('berth start-build --follow', () => {
  it('prints the started line, then the log as it is written, and the outcome once Complete', async () => {
    const run = h.berth(['start-build', 'shop', '--follow']);
    await after(300, () => h.appendLog('shop-1', 'Cloning "https://github.com/example/shop.git" ...\n'));
    await after(300, () => h.appendLog('shop-1', '---> Installing dependencies ...\n---> Pushing image ...\n'));
    await h.setStatus('shop-1', { phase: 'Complete', duration: 42_000, outputDockerImageReference: '127.0.0.1:7500/demo/shop@sha256:abc' });

    const r = await run;

    expect(r).toEqual({
      code: 0,
      stdout: 'build.build.berth.io/shop-1 started\nCloning "https://github.com/example/shop.git" ...\n---> Installing dependencies ...\n---> Pushing image ...\n',
      stderr: 'build "shop-1" Complete in 42s: 127.0.0.1:7500/demo/shop@sha256:abc\n',
    });
  });
});

describe('berth logs -f', () => {
  it('a failed build ends with its reason and message as the error, and exit 1', async () => {
    const build = await newBuild();
    const run = h.berth(['logs', '-f', `build/${build}`]);
    await after(200, () => h.appendLog(build, 'ERROR: No matching distribution found for flask\n'));
    await h.setStatus(build, { phase: 'Failed', reason: 'AssembleFailed', message: 'assemble exited with code 1' });

    const r = await run;

    expect(r).toEqual({
      code: 1,
      stdout: 'ERROR: No matching distribution found for flask\n',
      stderr: `error: build "${build}" Failed: AssembleFailed: assemble exited with code 1\nhint: fix the cause, then run \`berth start-build shop\`\n`,
    });
  });

  it.each([
    ['Error', { phase: 'Error', reason: 'BuilderLost', message: 'The builder agent stopped before the build finished.' }, ': BuilderLost: The builder agent stopped before the build finished.', 'shows more; `berth start-build shop` tries again'],
    ['Cancelled', { phase: 'Cancelled', reason: 'CancelledBuild', message: 'The build was cancelled by the user.' }, ' was cancelled: The build was cancelled by the user.', 'start another with `berth start-build shop`'],
  ] as const)('a build that ends %s exits 1', async (_, status, said, hint) => {
    const build = await newBuild();
    await h.appendLog(build, 'starting\n');
    const run = h.berth(['logs', '-f', build]);
    await after(200, () => h.setStatus(build, status));

    const r = await run;

    expect(r.code).toBe(1);
    expect(r.stdout).toBe('starting\n');
    const [error, hintLine, rest] = r.stderr.split('\n');
    expect(error).toBe(`error: build "${build}"${status.phase === 'Error' ? ' Error' : ''}${said}`);
    expect(hintLine).toMatch(new RegExp(`^hint: .*${hint.replace(/[.`]/g, '\\$&')}$`));
    expect(rest).toBe('');
  });

  it('bc/NAME follows the newest build of the BuildConfig', async () => {
    await newBuild();
    const newest = await newBuild();
    await h.appendLog(newest, `this is ${newest}\n`);
    await h.setStatus(newest, { phase: 'Complete' });

    const r = await h.berth(['logs', '-f', 'bc/shop']);

    expect(r).toEqual({ code: 0, stdout: `this is ${newest}\n`, stderr: `build "${newest}" Complete\n` });
  });

  it('carries on by polling from where it stopped when the stream ends early', async () => {
    h.cutFollowAfterMs = 300;
    const build = await newBuild();
    const run = h.berth(['logs', '-f', `build/${build}`]);
    await after(100, () => h.appendLog(build, 'line 1 — before the cut\n'));
    await after(800, () => h.appendLog(build, 'line 2 — after the cut\n'));
    await after(300, () => h.appendLog(build, 'line 3\n'));
    await h.setStatus(build, { phase: 'Complete' });

    const r = await run;

    expect(r).toEqual({ code: 0, stdout: 'line 1 — before the cut\nline 2 — after the cut\nline 3\n', stderr: `build "${build}" Complete\n` });
  });

  it('a build that does not exist is one error with a hint', async () => {
    const r = await h.berth(['logs', '-f', 'build/shop-99']);

    expect(r).toEqual({ code: 1, stdout: '', stderr: `error: Build "shop-99" not found\nhint: list them with \`berth get builds -n ${PROJECT}\`\n` });
  });
});

describe('berth logs', () => {
  it('without -f prints the log as it is now and exits 0, whatever the phase', async () => {
    const build = await newBuild();
    await h.appendLog(build, 'so far\n');

    expect(await h.berth(['logs', `build/${build}`])).toEqual({ code: 0, stdout: 'so far\n', stderr: '' });
  });

  it('bc/NAME of a BuildConfig that never built says how to start one', async () => {
    await h.berth(['new-build', 'python~https://github.com/example/idle.git']);

    const r = await h.berth(['logs', 'bc/idle']);

    expect(r).toEqual({ code: 1, stdout: '', stderr: `error: buildconfig "idle" has no builds yet\nhint: start one with \`berth start-build idle -n ${PROJECT}\`\n` });
  });

  it('a kind other than build or buildconfig is a usage error', async () => {
    const r = await h.berth(['logs', 'cm/settings']);

    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: "cm/settings" names neither a build nor a buildconfig\nhint: give build/NAME or bc/NAME\n' });
  });
});
