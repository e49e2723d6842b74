// The pure rules behind the build commands: reading BUILDER~SOURCE, naming apps, webhook URLs,
// build targets, durations and sizes, and the last word on a finished build.
import { describe, expect, it } from 'vitest';
import { appNameFor, buildConfigSpec, classifySource, splitAppArg, toDnsLabel, webhookUrls } from '../../cli/app-source.ts';
import { buildTarget } from '../../cli/builds.ts';
import { Context } from '../../cli/context.ts';
import { reportOutcome } from '../../cli/follow.ts';
import { objectTable } from '../../cli/columns.ts';
import { duration, formatBytes } from '../../cli/output.ts';
import { Progress } from '../../cli/progress.ts';

const dirs = new Set(['./src', 'local.git']);
const isDir = (p: string) => dirs.has(p);

describe('splitAppArg', () => {
  it('splits at the first ~', () => {
    expect(splitAppArg('python~https://x/y.git#a~b')).toEqual({ builder: 'python', source: 'https://x/y.git#a~b' });
  });

  it.each(['./src', '~./src', 'python~'])('"%s" is a usage error', (arg) => {
    expect(() => splitAppArg(arg)).toThrow(expect.objectContaining({ exitCode: 2, message: `"${arg}" is not BUILDER~SOURCE` }));
  });
});

describe('classifySource', () => {
  it.each([
    ['https://github.com/org/repo.git', { type: 'git', uri: 'https://github.com/org/repo.git' }],
    ['http://git.example/repo', { type: 'git', uri: 'http://git.example/repo' }],
    ['git@github.com:org/repo.git#v1.2', { type: 'git', uri: 'git@github.com:org/repo.git', ref: 'v1.2' }],
    ['file:///srv/repo', { type: 'git', uri: 'file:///srv/repo' }],
    ['ssh://git@host/repo.git', { type: 'git', uri: 'ssh://git@host/repo.git' }],
    ['elsewhere/repo.git', { type: 'git', uri: 'elsewhere/repo.git' }],
    ['./src', { type: 'dir', dir: expect.stringMatching(/\/src$/) }],
    ['local.git', { type: 'dir', dir: expect.stringMatching(/\/local\.git$/) }],
  ])('%s', (source, expected) => {
    expect(classifySource(source, isDir)).toEqual(expected);
  });

  it('what is neither is an error with examples', () => {
    expect(() => classifySource('./missing', isDir)).toThrow('"./missing" is neither a directory nor a git repository URL');
  });
});

describe('app names', () => {
  it.each([
    ['Hello World', 'hello-world'],
    ['my_app.v2', 'my-app-v2'],
    ['--edge--', 'edge'],
    ['a'.repeat(62) + '-b', 'a'.repeat(62)],
    ['ÜBER', 'ber'],
    ['___', ''],
  ])('toDnsLabel(%j) is %j', (text, label) => {
    expect(toDnsLabel(text)).toBe(label);
  });

  it.each([
    [{ type: 'git', uri: 'https://github.com/org/Flask-App.git/' }, 'flask-app'],
    [{ type: 'git', uri: 'git@github.com:Repo.git' }, 'repo'],
    [{ type: 'dir', dir: '/home/me/Projects/Blog_Engine' }, 'blog-engine'],
  ] as const)('appNameFor(%j) is %s', (source, name) => {
    expect(appNameFor(source)).toBe(name);
  });
});

describe('buildConfigSpec and webhookUrls', () => {
  const builder = { name: 'python', image: 'registry/python:3.11' };
  let n = 0;
  const secret = () => `secret-${++n}-long-enough`;

  it('a git source gets webhooks whose URLs carry their secrets; a binary one gets none', () => {
    const git = buildConfigSpec({ name: 'web', source: { type: 'git', uri: 'https://x/web.git' }, builder, env: [], secret });
    const binary = buildConfigSpec({ name: 'web', source: { type: 'dir', dir: '/src' }, builder, env: [], secret });

    expect(webhookUrls('https://berth.example', 'my proj', 'web', git.triggers as never)).toEqual([
      { type: 'GitHub', url: 'https://berth.example/webhooks/my%20proj/web/github/secret-1-long-enough' },
      { type: 'Generic', url: 'https://berth.example/webhooks/my%20proj/web/generic/secret-2-long-enough', allowEnv: false },
    ]);
    expect(binary.triggers).toEqual([]);
    expect(binary.source).toEqual({ binary: {} });
  });

  it('GitLab triggers get their URL too', () => {
    expect(webhookUrls('http://s', 'p', 'b', [{ type: 'GitLab', gitlab: { secret: '12345678' } }, { type: 'ConfigChange' }])).toEqual([{ type: 'GitLab', url: 'http://s/webhooks/p/b/gitlab/12345678' }]);
  });
});

describe('buildTarget', () => {
  it.each([
    ['web-1', { kind: 'Build', name: 'web-1' }],
    ['build/web-1', { kind: 'Build', name: 'web-1' }],
    ['builds/web-1', { kind: 'Build', name: 'web-1' }],
    ['bc/web', { kind: 'BuildConfig', name: 'web' }],
    ['buildconfig/web', { kind: 'BuildConfig', name: 'web' }],
  ])('%s', (arg, target) => {
    expect(buildTarget(arg, 'Build')).toEqual(target);
  });

  it.each(['is/web', 'bc/'])('%s is a usage error', (arg) => {
    expect(() => buildTarget(arg, 'Build')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('duration and formatBytes', () => {
  it.each([
    [undefined, ''],
    [0, '0.0s'],
    [400, '0.4s'],
    [3_240, '3.2s'],
    [9_949, '9.9s'],
    [9_950, '10s'],
    [45_000, '45s'],
    [60_000, '1m'],
    [65_000, '1m5s'],
    [2 * 3600_000 + 3 * 60_000, '2h3m'],
  ])('duration(%s) is %j', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [2048, '2.0 KiB'],
    [200 * 1024 * 1024, '200.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
  ])('formatBytes(%i) is %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('reportOutcome', () => {
  const build = (status: object) => ({ kind: 'Build', metadata: { name: 'web-3', labels: { 'berth.io/buildconfig': 'web' } }, status });
  const noted: string[] = [];
  const ctx = new Context({ stdout: { write: () => {} }, stderr: { write: (s: string) => noted.push(s) }, env: {} });

  it('Complete is a line on stderr with the time taken and the image', () => {
    reportOutcome(ctx, build({ phase: 'Complete', duration: 3000, outputDockerImageReference: 'r/p/web@sha256:1' }));

    expect(noted).toEqual(['build "web-3" Complete in 3.0s: r/p/web@sha256:1\n']);
  });

  it.each([
    ['Failed', { phase: 'Failed', reason: 'NoStartCommand', message: 'nothing to run; add app.py, wsgi.py or APP_SCRIPT' }, 'build "web-3" Failed: NoStartCommand: nothing to run; add app.py, wsgi.py or APP_SCRIPT', 'fix the cause, then run `berth start-build web`'],
    ['Error', { phase: 'Error', reason: 'BuilderImageMissing', message: 'no such image' }, 'build "web-3" Error: BuilderImageMissing: no such image', '`berth describe build web-3` shows more; `berth start-build web` tries again'],
    ['Cancelled', { phase: 'Cancelled' }, 'build "web-3" was cancelled', 'start another with `berth start-build web`'],
  ])('%s is an error with exit code 1', (_, status, message, hint) => {
    expect(() => reportOutcome(ctx, build(status))).toThrow(expect.objectContaining({ message, hint, exitCode: 1 }));
  });
});

describe('Progress', () => {
  const run = (isTTY: boolean) => {
    const out: string[] = [];
    const p = new Progress({ stdout: { write: () => {} }, stderr: { write: (s: string) => out.push(s), isTTY }, env: {} }, 4096);
    p.start('Uploading ...');
    p.advance(1024);
    p.end('Uploading finished');
    return out;
  };

  it('on a terminal redraws one line with the share done, then clears it', () => {
    expect(run(true)).toEqual(['Uploading ...\n', '\r\x1b[K  25% of 4.0 KiB', '\r\x1b[K', 'Uploading finished\n']);
  });

  it('elsewhere prints only where the work starts and ends', () => {
    expect(run(false)).toEqual(['Uploading ...\n', 'Uploading finished\n']);
  });
});

describe('build tables', () => {
  it('list builds in the order of their numbers', () => {
    const build = (name: string) => ({ kind: 'Build', metadata: { name }, spec: { strategy: { type: 'Source' }, source: { binary: {} } }, status: { phase: 'New' } });

    const names = objectTable('Build', ['web-10', 'web-2', 'web-1'].map(build)).split('\n').slice(1, 4).map((l) => l.split(' ')[0]);

    expect(names).toEqual(['web-1', 'web-2', 'web-10']);
  });
});
