// Incremental S2I builds: save-artifacts of the previous image is injected at /tmp/artifacts
// and the Python assemble reuses the installed packages (proved by the log); without a usable
// previous image the build falls back to a clean one and says so. The wheelhouse makes the
// install work offline: pip runs with --no-index.
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { makeWheels } from '../../images/wheelhouse.ts';
import { APPS, answerOf, appSource, build, buildSuite, docker } from './support.ts';

const suite = buildSuite();
const tagFor = (app: string) => suite.tag(app);
let builder: string;
let source: string;

beforeAll(async () => {
  builder = suite.builder;
  source = await appSource('wheel-app');
  const wheels = await makeWheels(docker, builder, join(APPS, 'berthdemo-src'), join(source, '.s2i/wheelhouse'));
  expect(wheels).toEqual(['berthdemo-1.0-py3-none-any.whl']);
}, 20 * 60_000);

describe('an incremental rebuild with a wheelhouse', () => {
  it('installs offline, then reuses the saved artifacts on the rebuild', async () => {
    const tag = tagFor('wheel-app');
    const first = await build({ builderImage: builder, sourceDir: source, tag, incremental: true });
    const firstLog = first.lines.join('\n');
    expect(firstLog).toContain('without a package index');
    expect(firstLog).toMatch(/Processing .*\.s2i\/wheelhouse\/berthdemo-1\.0-py3-none-any\.whl/);
    expect(firstLog).not.toContain('Restoring build artifacts');

    const second = await build({ builderImage: builder, sourceDir: source, tag, incremental: true, previousImage: tag });
    const log = second.lines.join('\n');
    expect(log).toContain(`Saving build artifacts from image ${tag}`);
    expect(log).toMatch(/---> Restoring build artifacts from \/tmp\/artifacts: reusing [1-9]\d* installed packages/);
    expect(log).toMatch(/Requirement already satisfied: berthdemo==1\.0 in \/opt\/app-root\/lib\/python3\.\d+\/site-packages/);
    expect(log).not.toMatch(/Processing .*berthdemo/);
    expect(second.imageId).not.toBe(first.imageId);

    expect((await answerOf(tag)).body.trim()).toBe('hello from berthdemo');
  }, 240_000);

  it('falls back to a clean build when the previous image cannot be had, and says so', async () => {
    const previous = `${inject('registryHost')}/nowhere/never-built:1`;
    const built = await build({ builderImage: builder, sourceDir: source, tag: tagFor('wheel-app-clean'), incremental: true, previousImage: previous });
    const log = built.lines.join('\n');
    expect(log).toContain(`Clean build will be performed because saving the artifacts of ${previous} failed`);
    expect(log).not.toContain('Restoring build artifacts');
    expect(log).toMatch(/Processing .*berthdemo-1\.0-py3-none-any\.whl/);
  }, 240_000);

  it('falls back to a clean build when save-artifacts fails in the previous image', async () => {
    const previous = tagFor('wheel-app-broken');
    const broken = await appSource('wheel-app', { '.s2i/bin/save-artifacts': { text: '#!/bin/bash\necho "cannot save" >&2\nexit 4\n', mode: 0o755 } });
    await makeWheels(docker, builder, join(APPS, 'berthdemo-src'), join(broken, '.s2i/wheelhouse'));
    await build({ builderImage: builder, sourceDir: broken, tag: previous });
    const built = await build({ builderImage: builder, sourceDir: broken, tag: tagFor('wheel-app-after-broken'), incremental: true, previousImage: previous });
    const log = built.lines.join('\n');
    expect(log).toContain('save-artifacts: cannot save');
    expect(log).toContain('save-artifacts exited with code 4');
    expect(log).toContain('Clean build will be performed');
  }, 240_000);
});
