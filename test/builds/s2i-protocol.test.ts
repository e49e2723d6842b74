// The S2I protocol against real Docker, after source-to-image: where scripts come from, the
// upload under the image's destination, .s2iignore, .s2i/environment, the committed image's
// CMD/USER/labels, typed failures, cancellation, and the assemble container's confinement.
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { dockerfileBuild } from '../../shared/builds/docker-build.ts';
import { AssembleFailedError, BuilderImageNotFoundError, BuilderUserError, S2IError, dockerEngine, runS2I } from '../../shared/builds/s2i/index.ts';
import type { EngineClient } from '../../shared/builds/s2i/ports.ts';
import type { S2IRequest } from '../../shared/builds/s2i/types.ts';
import { answerOf, appSource, build, buildSuite, docker, runOnce } from './support.ts';

const suite = buildSuite();
const tagFor = (app: string) => suite.tag(app);

const exe = (text: string) => ({ text, mode: 0o755 });

/** runS2I through an engine that remembers the containers it created. */
async function recordedBuild(req: Omit<S2IRequest, 'log' | 'env' | 'incremental'> & Partial<S2IRequest>) {
  const created: string[] = [];
  const real = dockerEngine(docker);
  const engine: EngineClient = { ...real, createContainer: async (spec) => (created.push(await real.createContainer(spec)), created.at(-1)!) };
  const lines: string[] = [];
  const result = await runS2I(engine, { env: [], incremental: false, ...req, log: (l) => lines.push(l) }).catch((err: unknown) => err);
  const left = await Promise.all(created.map((id) => docker.getContainer(id).inspect().then(() => id, () => undefined)));
  return { result, lines, created, left: left.filter(Boolean) };
}

/** A builder image made at test time from a Dockerfile (FROM the test builder, or scratch). */
async function derivedBuilder(name: string, dockerfile: string): Promise<string> {
  const tag = tagFor(name);
  const ctx = await appSource(undefined, { Dockerfile: dockerfile });
  await dockerfileBuild(docker, { contextDir: ctx, dockerfilePath: 'Dockerfile', buildArgs: [], noCache: false, tag, log: () => undefined });
  return tag;
}

async function imageConfig(tag: string) {
  return (await docker.getImage(tag).inspect()).Config;
}

describe('scripts', () => {
  it('.s2i/bin in the source overrides the image scripts; the image runs the uploaded run script', async () => {
    const src = await appSource('app-py', {
      '.s2i/bin/assemble': exe('#!/bin/bash\necho "custom assemble from $0"\nexec /usr/libexec/s2i/assemble\n'),
      '.s2i/bin/run': exe('#!/bin/bash\necho "custom run"\nexec /usr/libexec/s2i/run\n'),
    });
    const built = await build({ builderImage: suite.builder, sourceDir: src, tag: tagFor('bin-override') });
    expect(built.lines).toContain('custom assemble from /tmp/scripts/assemble');
    expect((await imageConfig(built.tag)).Cmd).toEqual(['/tmp/scripts/run']);
    const { body, logs } = await answerOf(built.tag);
    expect(body).toMatch(/hello from app\.py/);
    expect(logs).toContain('custom run');
  }, 180_000);

  it('a scripts URL naming a source directory supplies the scripts it has; the image the rest', async () => {
    const src = await appSource('app-py', { 'ci/s2i/assemble': exe('#!/bin/bash\necho "assemble from ci/s2i"\nexec /usr/libexec/s2i/assemble\n') });
    const built = await build({ builderImage: suite.builder, sourceDir: src, tag: tagFor('scripts-url'), scriptsUrl: 'ci/s2i' });
    expect(built.lines).toContain('assemble from ci/s2i');
    expect((await imageConfig(built.tag)).Cmd).toEqual(['/usr/libexec/s2i/run']);
  }, 120_000);

  it('an unsupported scripts URL fails before any container is made', async () => {
    const r = await recordedBuild({ builderImage: suite.builder, sourceDir: await appSource('app-py'), tag: tagFor('bad-url'), scriptsUrl: 'https://scripts.invalid/s2i' });
    expect(r.result).toBeInstanceOf(S2IError);
    expect(r.result).toMatchObject({ code: 'UnsupportedScriptsUrl' });
    expect(r.created).toEqual([]);
  }, 60_000);
});

describe('the source upload', () => {
  it('.s2iignore leaves out matching paths, keeps back negated ones, and is not recursive', async () => {
    const src = await appSource('app-py', {
      'secret.txt': 'do not ship',
      'debug.log': 'x',
      'keep.log': 'x',
      'tmp/scratch': 'x',
      'sub/notes.txt': 'x',
      'sub/y.txt': 'x',
      '.s2iignore': '# build junk\nsecret.txt\n*.log\n!keep.log\ntmp\n*.txt\n',
    });
    const built = await build({ builderImage: suite.builder, sourceDir: src, tag: tagFor('ignore') });
    const { output } = await runOnce(built.tag, ['bash', '-c', 'cd $HOME && find . -path ./.cache -prune -o -type f -print | sort']);
    const files = output.trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['./app.py', './keep.log', './sub/notes.txt', './sub/y.txt', './.s2iignore']));
    expect(files).not.toContain('./secret.txt');
    expect(files).not.toContain('./debug.log');
    expect(files.filter((f) => f.startsWith('./tmp'))).toEqual([]);
  }, 120_000);

  it('.s2i/environment is applied to assemble and baked into the image; the build env wins over it', async () => {
    const src = await appSource('app-py', {
      '.s2i/environment': '# comment\nGREETING=hello from the env file\nEQUALS=a=b=c\nOVERRIDDEN=from file\n',
      '.s2i/action_hooks/pre-build': 'echo "assemble sees GREETING=$GREETING EQUALS=$EQUALS OVERRIDDEN=$OVERRIDDEN"\n',
    });
    const built = await build({ builderImage: suite.builder, sourceDir: src, tag: tagFor('environment'), env: [{ name: 'OVERRIDDEN', value: 'from the build' }] });
    expect(built.lines).toContain('assemble sees GREETING=hello from the env file EQUALS=a=b=c OVERRIDDEN=from the build');
    const env = (await imageConfig(built.tag)).Env;
    expect(env).toEqual(expect.arrayContaining(['GREETING=hello from the env file', 'EQUALS=a=b=c', 'OVERRIDDEN=from the build', 'PORT=8080']));
    expect((await runOnce(built.tag, ['printenv', 'GREETING'])).output.trim()).toBe('hello from the env file');
  }, 120_000);

  it('honours io.openshift.s2i.destination: source and scripts go under it, created when missing', async () => {
    const derived = await derivedBuilder('builder-with-destination', `FROM ${suite.builder}\nLABEL io.openshift.s2i.destination=/opt/s2i/destination\n`);
    const src = await appSource('app-py', {
      '.s2i/bin/assemble': exe('#!/bin/bash\necho "assemble at $0"\nls /opt/s2i/destination/src\nmkdir -p /tmp/src && cp -a /opt/s2i/destination/src/. /tmp/src/\nexec /usr/libexec/s2i/assemble\n'),
    });
    const built = await build({ builderImage: derived, sourceDir: src, tag: tagFor('destination') });
    expect(built.lines).toContain('assemble at /opt/s2i/destination/scripts/assemble');
    expect(built.lines).toContain('app.py');
    expect((await answerOf(built.tag)).body).toMatch(/hello from app\.py/);
  }, 180_000);

  it('refuses a control file that links outside the source, so no host file can leak into the build', async () => {
    const src = await appSource('app-py');
    await symlink('/etc/hostname', join(src, '.s2iignore'));
    const r = await recordedBuild({ builderImage: suite.builder, sourceDir: src, tag: tagFor('leak') });
    expect(r.result).toMatchObject({ code: 'UnsafeSourceLink' });
    expect(r.created).toEqual([]);
  }, 60_000);
});

describe('the committed image', () => {
  it('has CMD the run script, the builder USER, io.openshift.build.* labels and the caller labels', async () => {
    const built = await build({
      builderImage: suite.builder,
      sourceDir: await appSource('app-py'),
      tag: tagFor('labels'),
      labels: { 'io.openshift.build.name': 'hello-1', 'io.openshift.build.commit.id': '3f2a1c9', 'io.openshift.build.source-location': 'https://git.example/hello.git' },
    });
    const cfg = await imageConfig(built.tag);
    expect(cfg.Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(cfg.User).toBe('1001');
    expect(cfg.Labels).toMatchObject({
      'io.openshift.build.image': suite.builder,
      'io.openshift.build.name': 'hello-1',
      'io.openshift.build.commit.id': '3f2a1c9',
      'io.openshift.build.source-location': 'https://git.example/hello.git',
      'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i',
      'io.openshift.expose-services': '8080:http',
      'io.k8s.display-name': built.tag,
    });
  }, 120_000);
});

/** Pushes a local tag to the test registry (what the builder agent does with the output). */
async function push(tag: string): Promise<void> {
  // A local registry wants no credentials, but the engine wants the header: an empty auth.
  const stream = await docker.getImage(tag).push({ authconfig: { base64: Buffer.from('{}').toString('base64') } });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err ?? (events.find((e) => e.error) ? new Error(events.find((e) => e.error)!.error) : null);
      return failed ? reject(failed) : resolve();
    }),
  );
}

describe('the registry', () => {
  it('a builder image missing locally is pulled; the output image round-trips through the registry and runs', async () => {
    const remoteBuilder = tagFor('python-builder');
    const [repo, tag] = [remoteBuilder.slice(0, remoteBuilder.lastIndexOf(':')), 'latest'];
    await docker.getImage(suite.builder).tag({ repo, tag });
    await push(remoteBuilder);
    await docker.getImage(remoteBuilder).remove();

    const out = tagFor('through-registry');
    const built = await build({ builderImage: remoteBuilder, sourceDir: await appSource('flask-gunicorn'), tag: out });
    expect(built.lines).toContain(`Pulling image ${remoteBuilder} ...`);
    await push(out);
    await docker.getImage(out).remove();
    const pulled = await docker.pull(out);
    await new Promise((resolve) => docker.modem.followProgress(pulled, resolve));
    expect((await answerOf(out)).body.trim()).toBe('hello from flask');
  }, 300_000);
});

describe('failures', () => {
  it('a missing source directory is a typed error before anything runs', async () => {
    const r = await recordedBuild({ builderImage: suite.builder, sourceDir: '/nonexistent/berth-source', tag: tagFor('x') });
    expect(r.result).toMatchObject({ code: 'SourceNotFound' });
    expect(r.created).toEqual([]);
  });

  it('a missing builder image is an error naming the image', async () => {
    const missing = `${inject('registryHost')}/nowhere/no-such-builder:1`;
    const r = await recordedBuild({ builderImage: missing, sourceDir: await appSource('app-py'), tag: tagFor('x') });
    expect(r.result).toBeInstanceOf(BuilderImageNotFoundError);
    expect((r.result as Error).message).toContain(missing);
    expect(r.result).toMatchObject({ code: 'BuilderImageNotFound', image: missing });
    expect(r.created).toEqual([]);
  }, 60_000);

  it('a builder image that runs as root is refused', async () => {
    const root = await derivedBuilder('root-builder', `FROM ${suite.builder}\nUSER 0\n`);
    const r = await recordedBuild({ builderImage: root, sourceDir: await appSource('app-py'), tag: tagFor('x') });
    expect(r.result).toBeInstanceOf(BuilderUserError);
    expect(r.created).toEqual([]);
  }, 120_000);

  it('a builder image that cannot run the scripts fails with a typed error naming /usr/bin/env, leaving no container', async () => {
    const empty = await derivedBuilder('scratch-builder', 'FROM scratch\nLABEL io.openshift.s2i.scripts-url=image:///s2i\nUSER 1001\n');
    const r = await recordedBuild({ builderImage: empty, sourceDir: await appSource('app-py'), tag: tagFor('x') });
    expect(r.result).toMatchObject({ code: 'NotS2IBuilder', message: `builder image "${empty}" is not an S2I builder: it has no /usr/bin/env, which runs the S2I scripts` });
    expect(r.created).toHaveLength(1);
    expect(r.left).toEqual([]);
  }, 120_000);

  it('a failing assemble reports its last 50 lines, and its container is removed', async () => {
    const r = await recordedBuild({ builderImage: suite.builder, sourceDir: await appSource('failing'), tag: tagFor('failing') });
    expect(r.result).toBeInstanceOf(AssembleFailedError);
    const err = r.result as AssembleFailedError;
    expect(err.lines).toHaveLength(50);
    expect(err.lines.join('\n')).toMatch(/no-such-package-anywhere/);
    expect(err.lines).not.toContain('pre-build line 1');
    expect(err.message).toContain(err.lines.at(-1));
    expect(r.lines.slice(-50)).toEqual(err.lines);
    expect(r.created).toHaveLength(1);
    expect(r.left).toEqual([]);
  }, 120_000);

  it('a source with no way to start fails the assemble with a reason and a suggestion', async () => {
    const r = await recordedBuild({ builderImage: suite.builder, sourceDir: await appSource('no-start'), tag: tagFor('no-start') });
    expect(r.result).toBeInstanceOf(AssembleFailedError);
    expect(r.result).toMatchObject({ code: 'AssembleFailed', suggestion: 'add app.py, wsgi.py or APP_SCRIPT' });
    expect((r.result as Error).message).toMatch(/no way to start/);
    expect(r.left).toEqual([]);
  }, 120_000);

  it('an aborted build stops, removes its containers and throws an AbortError', async () => {
    const controller = new AbortController();
    const src = await appSource('app-py', { '.s2i/action_hooks/pre-build': 'echo "pre-build sleeping"; sleep 120\n' });
    const created: string[] = [];
    const real = dockerEngine(docker);
    const engine: EngineClient = { ...real, createContainer: async (spec) => (created.push(await real.createContainer(spec)), created.at(-1)!) };
    const started = Date.now();
    const result = await runS2I(engine, {
      builderImage: suite.builder,
      sourceDir: src,
      tag: tagFor('aborted'),
      env: [],
      incremental: false,
      signal: controller.signal,
      log: (l) => {
        if (l === 'pre-build sleeping') controller.abort();
      },
    }).catch((err: unknown) => err);
    expect(result).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(created).toHaveLength(1);
    await expect(docker.getContainer(created[0]!).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 120_000);
});

describe('the assemble container', () => {
  it('runs as the builder user with no network, no capabilities, no new privileges, no Docker socket and the memory limit', async () => {
    const src = await appSource('app-py', {
      '.s2i/action_hooks/pre-build': [
        'echo "uid=$(id -u) gid=$(id -g)"',
        'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status',
        'echo "interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" " ")"',
        'if [ -e /var/run/docker.sock ]; then echo "docker socket: present"; else echo "docker socket: absent"; fi',
        'echo "memory limit: $(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
      ].join('\n'),
    });
    const built = await build({ builderImage: suite.builder, sourceDir: src, tag: tagFor('confined'), memoryBytes: 300 * 1024 * 1024 });
    expect(built.lines).toEqual(
      expect.arrayContaining([
        'uid=1001 gid=0',
        'CapEff:\t0000000000000000',
        'CapBnd:\t0000000000000000',
        'NoNewPrivs:\t1',
        'interfaces: lo ',
        'docker socket: absent',
        `memory limit: ${300 * 1024 * 1024}`,
      ]),
    );
  }, 120_000);
});
