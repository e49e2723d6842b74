// Pure parts of the S2I engine, table-tested: .s2iignore globs, .s2i/environment, the step
// container spec, the assemble user, labels, commit options, the upload layout, script lookup.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitTag } from '../../shared/builds/s2i/ports.ts';
import { BuilderUserError, ScriptsNotFoundError } from '../../shared/builds/s2i/errors.ts';
import { s2iIgnore } from '../../shared/builds/s2i/ignore.ts';
import { imageDestination, resolveScripts, scriptPath } from '../../shared/builds/s2i/scripts.ts';
import { mergeEnv, parseEnvironment } from '../../shared/builds/s2i/source.ts';
import { commitOptions, outputLabels, parseOwner, stepContainerSpec, uploadLayout } from '../../shared/builds/s2i/spec.ts';
import type { ImageFacts } from '../../shared/builds/s2i/types.ts';

const image = (labels: Record<string, string> = {}, env: string[] = []): ImageFacts => ({ id: 'sha256:abc', user: '1001', labels, env, entrypoint: null });

describe('.s2iignore', () => {
  const skip = s2iIgnore('# comment\n\n*.pyc\ntmp\n/build/\ndocs/*.md\n!docs/keep.md\nsecret?.txt\n[ab].cfg\n');
  it.each([
    ['x.pyc', true],
    ['pkg/x.pyc', false],
    ['tmp', true],
    ['tmp/deep/file', true],
    ['build/out.o', true],
    ['docs/a.md', true],
    ['docs/keep.md', false],
    ['docs/sub/a.md', false],
    ['secret1.txt', true],
    ['secret12.txt', false],
    ['a.cfg', true],
    ['c.cfg', false],
    ['app.py', false],
  ])('%s → left out: %s', (path, left) => {
    expect(skip(path)).toBe(left);
  });
});

describe('.dockerignore-style "**"', () => {
  const skip = s2iIgnore('**/*.pyc\nnode_modules\n**/secrets\n');
  it.each([
    ['a.pyc', true],
    ['pkg/deep/b.pyc', true],
    ['node_modules/x/y.js', true],
    ['a/b/secrets/key', true],
    ['src/app.py', false],
  ])('%s → left out: %s', (path, left) => {
    expect(skip(path)).toBe(left);
  });
});

describe('.s2i/environment', () => {
  it('reads NAME=VALUE lines, keeps "=" in values, skips comments and reports bad lines', () => {
    const warnings: string[] = [];
    const env = parseEnvironment('# c\nA=1\nB=x=y\n\nnot a line\n9BAD=1\nC=\r\n', (w) => warnings.push(w));
    expect(env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'x=y' },
      { name: 'C', value: '' },
    ]);
    expect(warnings).toHaveLength(2);
  });

  it('merges lists, later ones winning', () => {
    expect(mergeEnv([{ name: 'A', value: '1' }, { name: 'B', value: '2' }], [{ name: 'A', value: '3' }])).toEqual(['A=3', 'B=2']);
  });
});

describe('the step container spec', () => {
  it('confines the step: no network, no privileges, all capabilities dropped, no mounts, memory without swap', () => {
    const spec = stepContainerSpec({ image: 'sha256:abc', step: 'assemble', cmd: '/usr/libexec/s2i/assemble', user: '1001:0', env: ['A=1'], memoryBytes: 512 });
    expect(spec).toMatchObject({
      Image: 'sha256:abc',
      Entrypoint: ['/usr/bin/env'],
      Cmd: ['/usr/libexec/s2i/assemble'],
      User: '1001:0',
      Env: ['A=1'],
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none', Privileged: false, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], Binds: [], Memory: 512, MemorySwap: 512 },
    });
    expect(spec.name).toMatch(/^berth-s2i-assemble-[0-9a-f]{12}$/);
    const named = stepContainerSpec({ image: 'sha256:abc', step: 'assemble', cmd: 'x', user: '1001:0', env: [], build: { project: 'shop', name: 'web-3' }, nanoCpus: 5e8 });
    expect(named.name).toMatch(/^berth-s2i-shop_web-3-assemble-[0-9a-f]{12}$/);
    expect(named.Labels).toEqual({ 'berth.io/build-step-project': 'shop', 'berth.io/build-step-build': 'web-3' });
    expect(named.HostConfig?.NanoCpus).toBe(5e8);
    expect(JSON.stringify(spec)).not.toContain('docker.sock');
  });
});

describe('the assemble user', () => {
  it.each([
    ['1001', { uid: 1001, gid: 0 }],
    ['1001:1001', { uid: 1001, gid: 1001 }],
  ])('%s is accepted', (user, owner) => {
    expect(parseOwner('img', user)).toEqual(owner);
  });
  it.each(['', 'root', '0', '0:0', 'default'])('"%s" is refused', (user) => {
    expect(() => parseOwner('img', user)).toThrow(BuilderUserError);
  });
});

describe('the committed image', () => {
  it('merges labels: builder, then image metadata, then generated, then the caller', () => {
    const labels = outputLabels({
      builder: image({ a: 'builder', b: 'builder', 'io.k8s.display-name': 'Python' }),
      builderImage: 'b:1',
      sourceLocation: 'https://git.example/app.git',
      tag: 'r/p/app:latest',
      metadata: { b: 'metadata', 'io.openshift.build.image': 'forged' },
      extra: { a: 'caller' },
    });
    expect(labels).toEqual({ a: 'caller', b: 'metadata', 'io.k8s.display-name': 'r/p/app:latest', 'io.openshift.build.image': 'b:1', 'io.openshift.build.source-location': 'https://git.example/app.git' });
  });

  it('names no source location unless one is given', () => {
    expect(outputLabels({ builder: image(), builderImage: 'b:1', tag: 't' })).not.toHaveProperty(['io.openshift.build.source-location']);
  });

  it('commits CMD the run script, the builder user and entrypoint, the build env', () => {
    expect(commitOptions({ tag: '127.0.0.1:7500/demo/hello:v1', runPath: '/usr/libexec/s2i/run', builder: image(), env: ['A=1'], labels: { l: 'v' } })).toEqual({
      repo: '127.0.0.1:7500/demo/hello',
      tag: 'v1',
      config: { Cmd: ['/usr/libexec/s2i/run'], User: '1001', Env: ['A=1'], Labels: { l: 'v' }, Entrypoint: [] },
    });
  });

  it.each([
    ['127.0.0.1:7500/demo/hello:latest', ['127.0.0.1:7500/demo/hello', 'latest']],
    ['127.0.0.1:7500/demo/hello', ['127.0.0.1:7500/demo/hello', 'latest']],
    ['hello:1.2', ['hello', '1.2']],
  ])('splits %s', (ref, parts) => {
    expect(splitTag(ref)).toEqual(parts);
  });
});

describe('the upload layout', () => {
  it('puts src/, scripts/ and artifacts/ under the destination, creating its missing parts', () => {
    const skip = () => false;
    expect(uploadLayout({ missing: ['s2i', 'dest'], sourceDir: '/s', skip, scripts: { assemble: { kind: 'upload', file: '/s/.s2i/bin/assemble' }, run: { kind: 'image', path: '/usr/libexec/s2i/run' } }, artifactsDir: '/a' })).toEqual([
      { type: 'dir', name: 's2i' },
      { type: 'dir', name: 's2i/dest' },
      { type: 'dir', name: 's2i/dest/src' },
      { type: 'tree', name: 's2i/dest/src', from: '/s', skip },
      { type: 'dir', name: 's2i/dest/scripts' },
      { type: 'file', name: 's2i/dest/scripts/assemble', from: '/s/.s2i/bin/assemble', mode: 0o755 },
      { type: 'dir', name: 's2i/dest/artifacts' },
      { type: 'tree', name: 's2i/dest/artifacts', from: '/a' },
    ]);
  });

  it('takes the destination from the label, the deprecated label, or /tmp', () => {
    expect(imageDestination(image({ 'io.openshift.s2i.destination': '/opt/d' }))).toBe('/opt/d');
    expect(imageDestination(image({ 'io.s2i.destination': '/old' }))).toBe('/old');
    expect(imageDestination(image())).toBe('/tmp');
  });
});

describe('script lookup', () => {
  async function source(files: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-scripts-'));
    for (const f of files) {
      await mkdir(join(dir, f, '..'), { recursive: true });
      await writeFile(join(dir, f), '#!/bin/sh\n');
    }
    return dir;
  }

  it('takes each script from .s2i/bin first, then the scripts URL, then the image label', async () => {
    const dir = await source(['.s2i/bin/assemble', 'custom/run']);
    const scripts = await resolveScripts(dir, 'custom', image({ 'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i' }));
    expect(scripts.assemble).toEqual({ kind: 'upload', file: join(dir, '.s2i/bin/assemble') });
    expect(scripts.run).toEqual({ kind: 'upload', file: join(dir, 'custom/run') });
    expect(scripts['save-artifacts']).toEqual({ kind: 'image', path: '/usr/libexec/s2i/save-artifacts' });
    expect(scriptPath(scripts.assemble!, 'assemble', '/tmp')).toBe('/tmp/scripts/assemble');
    expect(scriptPath(scripts['save-artifacts']!, 'save-artifacts', '/tmp')).toBe('/usr/libexec/s2i/save-artifacts');
  });

  it('falls back to STI_SCRIPTS_URL in the image env and the deprecated label', async () => {
    const dir = await source([]);
    expect((await resolveScripts(dir, undefined, image({}, ['STI_SCRIPTS_URL=image:///s2i']))).run).toEqual({ kind: 'image', path: '/s2i/run' });
    expect((await resolveScripts(dir, undefined, image({ 'io.s2i.scripts-url': 'image:///old' }))).run).toEqual({ kind: 'image', path: '/old/run' });
  });

  it('fails naming the missing scripts when there are none', async () => {
    const err = await resolveScripts(await source(['.s2i/bin/assemble']), undefined, image()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScriptsNotFoundError);
    expect((err as Error).message).toMatch(/no run script/);
  });

  it.each(['../up', '/abs/path', 'file:///etc', 'http://scripts.invalid/x'])('refuses the scripts URL %s', async (url) => {
    await expect(resolveScripts(await source([]), url, image())).rejects.toMatchObject({ code: 'UnsupportedScriptsUrl' });
  });
});
