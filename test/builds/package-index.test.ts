// The platform's offline package index: a PEP 503 tree written from a directory of wheels,
// served by an index container that joins each build's own internal network, so that a real S2I
// build's `pip install -r requirements.txt` installs from it over HTTP, as from the real index.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWheels } from '../../images/wheelhouse.ts';
import { DockerIndexEgress, PACKAGE_INDEX_URL, startPackageIndex } from '../../shared/builds/docker-egress.ts';
import { normalizeProjectName, simpleIndexFiles, wheelProject, writeSimpleIndex } from '../../shared/builds/package-index.ts';
import { APPS, appSource, build, buildSuite, docker, runOnce } from './support.ts';

describe('the simple index pages', () => {
  it.each([
    ['Foo.Bar__baz', 'foo-bar-baz'],
    ['requests', 'requests'],
    ['Django', 'django'],
  ])('%s is normalised to %s (PEP 503)', (name, want) => {
    expect(normalizeProjectName(name)).toBe(want);
  });

  it.each([
    ['berthdemo-1.0-py3-none-any.whl', 'berthdemo'],
    ['Tiny_Pkg-2.1.post1-1-py2.py3-none-any.whl', 'tiny-pkg'],
    ['zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl', 'zope-interface'],
    ['berthdemo-1.0.tar.gz', undefined],
    ['notes.txt', undefined],
  ])('the wheel %s belongs to %s', (file, want) => {
    expect(wheelProject(file)).toBe(want);
  });

  it('lists each project and links its wheels with their sha256', () => {
    const files = simpleIndexFiles([
      { file: 'b_pkg-1.0-py3-none-any.whl', sha256: 'aa' },
      { file: 'a-1.0-py3-none-any.whl', sha256: 'bb' },
      { file: 'B.Pkg-2.0-py3-none-any.whl', sha256: 'cc' },
    ]);
    expect([...files.keys()].sort()).toEqual(['a/index.html', 'b-pkg/index.html', 'index.html']);
    expect(files.get('index.html')).toMatch(/<a href="a\/">a<\/a>\n<a href="b-pkg\/">b-pkg<\/a>/);
    const page = files.get('b-pkg/index.html')!;
    expect(page).toContain('<a href="../../wheels/B.Pkg-2.0-py3-none-any.whl#sha256=cc">B.Pkg-2.0-py3-none-any.whl</a>');
    expect(page).toContain('<a href="../../wheels/b_pkg-1.0-py3-none-any.whl#sha256=aa">');
  });

  it('rewrites the tree when wheels come and go', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-index-'));
    try {
      await writeSimpleIndex(dir);
      await writeFile(join(dir, 'wheels', 'one-1.0-py3-none-any.whl'), 'one');
      await writeFile(join(dir, 'wheels', 'README'), 'not a wheel');
      expect(await writeSimpleIndex(dir)).toBe(1);
      // sha256("one")
      expect(await readFile(join(dir, 'simple', 'one', 'index.html'), 'utf8')).toContain('#sha256=7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed');
      await rm(join(dir, 'wheels', 'one-1.0-py3-none-any.whl'));
      expect(await writeSimpleIndex(dir)).toBe(0);
      expect(await readdir(join(dir, 'simple'))).toEqual(['index.html']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a build installing from the platform index', () => {
  const suite = buildSuite();
  const tag = randomBytes(4).toString('hex');
  let home = '';
  let index: { name: string; stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-index-home-'));
    // A tiny pure-Python package made into a wheel in the builder image, offline.
    expect(await makeWheels(docker, suite.builder, join(APPS, 'berthdemo-src'), join(home, 'wheels'))).toEqual(['berthdemo-1.0-py3-none-any.whl']);
    await writeSimpleIndex(home);
    index = await startPackageIndex(docker, { name: `berth-package-index-test-${tag}`, image: suite.builder, dir: home });
  }, 20 * 60_000);

  afterAll(async () => {
    await index?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it("pip installs the app's requirement over HTTP from the index, and the image keeps no index setting", async () => {
    const egress = new DockerIndexEgress(docker, { container: index!.name });
    const network = await egress.open({ project: `idx-${tag}`, name: 'app-1' });
    let built;
    try {
      expect(network.env).toEqual([{ name: 'PIP_INDEX_URL', value: PACKAGE_INDEX_URL }, { name: 'PIP_TRUSTED_HOST', value: 'package-index' }]);
      // wheel-app's requirements.txt asks for berthdemo==1.0, and it has no wheelhouse.
      built = await build({ builderImage: suite.builder, sourceDir: await appSource('wheel-app'), tag: suite.tag('index-app'), egress: { network: network.mode, env: network.env } });
    } finally {
      await network.close();
    }
    const log = built.lines.join('\n');
    expect(log).toMatch(/Looking in indexes: http:\/\/package-index:8080\/simple\//);
    expect(log).toMatch(/package-index:8080\/wheels\/berthdemo-1\.0-py3-none-any\.whl/);
    const run = await runOnce(built.tag, ['python', '-c', 'import berthdemo; print(berthdemo.greeting())']);
    expect(run.output.trim()).toBe('hello from berthdemo');
    const env = (await docker.getImage(built.tag).inspect()).Config.Env ?? [];
    expect(env.filter((e) => e.startsWith('PIP_INDEX_URL') || e.startsWith('PIP_TRUSTED_HOST'))).toEqual([]);
    // The build's network is gone with the build.
    expect(await docker.listNetworks({ filters: { name: [network.mode] } })).toEqual([]);
  }, 300_000);

  it('control: without the egress, the same build cannot reach any index and fails', async () => {
    await expect(build({ builderImage: suite.builder, sourceDir: await appSource('wheel-app'), tag: suite.tag('no-index-app') })).rejects.toThrow(/berthdemo==1.0/);
  }, 300_000);
});
