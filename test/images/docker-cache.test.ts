// The image cache of a real Docker Engine: small images made for the test (from the busybox test
// base), named under a registry host of this test's own. Least recently used tenant images go
// first; images in use by a container or a desired pod, the platform's shared images, recent
// images and images that are not only the platform's stay.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerImageCache } from '../../shared/images/docker-cache.ts';
import { docker } from '../builds/support.ts';
import { fakeBuilder } from '../builds/fake-builders.ts';

const suffix = randomBytes(3).toString('hex');
const HOST = `127.0.0.9:${40000 + (parseInt(suffix, 16) % 20000)}`;
const registry = { host: HOST, prefix: '', shared: ['berth'] };
const NS = `cache-${suffix}`;
const name = (n: string) => `${HOST}/${NS}/${n}:1`;
const OTHER = `berth-test/cache-other-${suffix}:1`;
const MIXED_OTHER = `berth-test/cache-mixed-${suffix}:1`;
const SHARED = `${HOST}/berth/builder-${suffix}:1`;
const made: string[] = [];
let container: string | undefined;

async function image(tag: string, content: string): Promise<void> {
  await fakeBuilder(tag, { scripts: { run: `#!/bin/sh\necho ${content}\n` } });
  made.push(tag);
}
const exists = (ref: string) => docker.getImage(ref).inspect().then(() => true, () => false);

beforeAll(async () => {
  // Made in this order, so a is the least recently used and d the most.
  for (const n of ['a', 'b', 'c', 'd']) await image(name(n), `${n}-${suffix}`);
  await image(SHARED, `shared-${suffix}`);
  await image(OTHER, `other-${suffix}`);
  await image(name('mixed'), `mixed-${suffix}`);
  await docker.getImage(name('mixed')).tag({ repo: MIXED_OTHER.slice(0, -2), tag: '1' });
  made.push(MIXED_OTHER);
  // c is used by a container (created, never started).
  container = (await docker.createContainer({ Image: name('c'), Cmd: ['/bin/true'], name: `cache-test-${suffix}`, Labels: { 'berth-test': NS } })).id;
}, 300_000);

afterAll(async () => {
  if (container) await docker.getContainer(container).remove({ force: true }).catch(() => undefined);
  for (const tag of made) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
});

describe('DockerImageCache', () => {
  it('within the recent-use window nothing goes, whatever the budget', async () => {
    const cache = new DockerImageCache(docker, { registry, budgetBytes: 0, keepRecentMs: 30 * 60_000 });
    const out = await cache.collect();
    expect(out.removed).toEqual([]);
    expect(out.beforeBytes).toBeGreaterThan(0);
    for (const n of ['a', 'b', 'c', 'd']) expect(await exists(name(n))).toBe(true);
  });

  it('over budget, the least recently used tenant image goes first and only as many as needed', async () => {
    const cache = new DockerImageCache(docker, { registry, budgetBytes: 0, keepRecentMs: 0 });
    const sizes = await cache.images(new Set());
    expect(sizes.map((i) => i.refs.find((r) => r.endsWith(':1'))).sort()).toEqual(['a', 'b', 'c', 'd'].map(name));
    const total = sizes.reduce((s, i) => s + i.sizeBytes, 0);
    const fit = new DockerImageCache(docker, { registry, budgetBytes: total - 1, keepRecentMs: 0 });
    const out = await fit.collect();
    expect(out.removed.map((r) => r.refs)).toEqual([[name('a')]]);
    expect(await exists(name('a'))).toBe(false);
    expect(await exists(name('b'))).toBe(true);
  });

  it('with no budget, every tenant image goes but those a container or a desired pod uses, the shared images and images also named elsewhere', async () => {
    const cache = new DockerImageCache(docker, { registry, budgetBytes: 0, keepRecentMs: 0 });
    const out = await cache.collect([name('d')]);
    expect(out.removed.map((r) => r.refs[0])).toEqual([name('b')]);
    expect(await exists(name('b'))).toBe(false);
    for (const kept of [name('c'), name('d'), SHARED, OTHER, name('mixed'), MIXED_OTHER]) expect(await exists(kept)).toBe(true);
  });
});
