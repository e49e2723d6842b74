// Builds with builders Berth did not write, in the style of source-to-image's own integration
// images: a busybox base, the scripts baked in and found through the scripts URL label, a numeric
// non-root user. Image metadata labels, an incremental build whose save-artifacts tar ends in
// zero padding, labels that name no path of the build host, and images that are not S2I builders.
import { describe, expect, it } from 'vitest';
import { NotS2IBuilderError, S2IError, ScriptsNotFoundError } from '../../shared/builds/s2i/index.ts';
import { BARE_BUSYBOX, FAKE_SCRIPTS, fakeBuilder } from './fake-builders.ts';
import { appSource, build, docker, runOnce, tagSuite } from './support.ts';

const suite = { tag: tagSuite() };
const labelsOf = async (tag: string) => (await docker.getImage(tag).inspect()).Config.Labels ?? {};

const withMetadata = (json: string) => ({
  ...FAKE_SCRIPTS,
  assemble: `${FAKE_SCRIPTS.assemble}mkdir -p /tmp/.s2i\ncat > /tmp/.s2i/image_metadata.json <<'JSON'\n${json}\nJSON\n`,
});

describe('image metadata written by assemble', () => {
  it('puts its labels on the output image, over the builder\'s, but never over what the platform records', async () => {
    const builder = await fakeBuilder(suite.tag('fake-metadata-builder'), {
      scripts: withMetadata('{"labels": [{"io.k8s.description": "from assemble"}, {"com.example.version": "1.2.3", "io.openshift.build.image": "forged"}]}'),
      labels: { 'io.k8s.description': 'from the builder', 'com.example.kept': 'yes' },
    });
    const out = suite.tag('fake-metadata');
    const built = await build({ builderImage: builder, sourceDir: await appSource(undefined, { message: 'hi' }), tag: out, sourceLocation: 'https://git.example/app.git' });
    const labels = await labelsOf(out);
    expect(labels).toMatchObject({
      'io.k8s.description': 'from assemble',
      'com.example.version': '1.2.3',
      'com.example.kept': 'yes',
      'io.openshift.build.image': builder,
      'io.openshift.build.source-location': 'https://git.example/app.git',
    });
    expect(built.lines).toContain(`Labels from /tmp/.s2i/image_metadata.json: io.k8s.description, com.example.version, io.openshift.build.image`);
  }, 120_000);

  it.each([
    ['not JSON', '{"labels": ['],
    ['labels not a list', '{"labels": {"a": "b"}}'],
    ['a value that is not a string', '{"labels": [{"a": 1}]}'],
    ['a name that is not a label name', '{"labels": [{"bad name": "x"}]}'],
  ])('fails the build with a typed error when the file is %s', async (_what, json) => {
    const builder = await fakeBuilder(suite.tag('fake-bad-metadata-builder'), { scripts: withMetadata(json) });
    const err = await build({ builderImage: builder, sourceDir: await appSource(undefined, { message: 'hi' }), tag: suite.tag('fake-bad-metadata') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S2IError);
    expect(err).toMatchObject({ code: 'InvalidImageMetadata' });
    expect((err as Error).message).toContain('/tmp/.s2i/image_metadata.json');
  }, 120_000);
});

describe('a fake builder', () => {
  it('builds as its numeric user, runs, and rebuilds incrementally from a save-artifacts tar that ends in zero padding', async () => {
    const builder = await fakeBuilder(suite.tag('fake-builder'));
    const out = suite.tag('fake-app');
    const first = await build({ builderImage: builder, sourceDir: await appSource(undefined, { message: 'first' }), tag: out });
    expect(first.lines).toContain('---> fake assemble as 1001');
    expect((await runOnce(out, ['/usr/libexec/s2i/run'])).output).toBe('first');
    // The save-artifacts stream is a whole record: its one entry, then zeros to 10 KiB.
    const saved = await runOnce(out, ['/bin/sh', '-c', '/usr/libexec/s2i/save-artifacts | wc -c; /usr/libexec/s2i/save-artifacts | tail -c 8192 | tr -d "\\000" | wc -c']);
    expect(saved.output.trim().split(/\s+/).map(Number)).toEqual([10240, 0]);

    const second = await build({ builderImage: builder, sourceDir: await appSource(undefined, {}), tag: out, incremental: true, previousImage: out });
    expect(second.lines).toContain(`Saving build artifacts from image ${out} ...`);
    expect(second.lines).toContain('---> restored 1 artifacts');
    expect((await runOnce(out, ['/usr/libexec/s2i/run'])).output).toBe('first');
  }, 180_000);

  it('labels the image with the source it was given, and with no path of the build host when none is given', async () => {
    const builder = await fakeBuilder(suite.tag('fake-builder-src'));
    const dir = await appSource(undefined, { message: 'x' });
    const out = suite.tag('fake-no-path');
    await build({ builderImage: builder, sourceDir: dir, tag: out });
    const labels = await labelsOf(out);
    expect(labels['io.openshift.build.source-location']).toBeUndefined();
    expect(Object.values(labels).join('\n')).not.toContain(dir);
  }, 120_000);
});

describe('an image that is not an S2I builder', () => {
  it('without the scripts URL label: the error names the label', async () => {
    const image = await fakeBuilder(suite.tag('fake-no-label'), { noScriptsLabel: true });
    const err = await build({ builderImage: image, sourceDir: await appSource(undefined, { message: 'x' }), tag: suite.tag('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScriptsNotFoundError);
    expect((err as Error).message).toBe(`builder image "${image}" is not an S2I builder: it has no io.openshift.s2i.scripts-url label, and the source has no .s2i/bin/assemble, .s2i/bin/run`);
  }, 120_000);

  it('without /usr/bin/env: the error names /usr/bin/env', async () => {
    const image = await fakeBuilder(suite.tag('fake-no-env'), { from: BARE_BUSYBOX });
    const err = await build({ builderImage: image, sourceDir: await appSource(undefined, { message: 'x' }), tag: suite.tag('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotS2IBuilderError);
    expect((err as Error).message).toBe(`builder image "${image}" is not an S2I builder: it has no /usr/bin/env, which runs the S2I scripts`);
  }, 120_000);

  it('with the label pointing where no script is: the error names the script and the label', async () => {
    const image = await fakeBuilder(suite.tag('fake-no-scripts'), { scripts: { usage: '#!/bin/sh\necho usage\n' } });
    const err = await build({ builderImage: image, sourceDir: await appSource(undefined, { message: 'x' }), tag: suite.tag('x') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NotS2IBuilder' });
    expect((err as Error).message).toContain('no assemble script at /usr/libexec/s2i/assemble (where its io.openshift.s2i.scripts-url label points)');
  }, 120_000);
});
