// The local registry's garbage collection, on the real Distribution registry: a deleted project's
// images leave the registry directory (their blobs and repository), another project's stay and
// are still served, and the registry answers again on the same port afterwards.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry as RegistryAdapter } from '../../shared/builds/local-adapters.ts';
import { freePort } from '../../shared/local/ports.ts';
import { startRegistry, type LocalRegistry } from '../../shared/local/registry.ts';
import { scheduleRegistryGc } from '../../shared/local/registry-gc.ts';
import { fakeBuilder } from '../builds/fake-builders.ts';
import { docker, pushToRegistry } from '../builds/support.ts';

const suffix = randomBytes(3).toString('hex');
const GONE = `gone-${suffix}`;
const KEPT = `kept-${suffix}`;
let dir: string;
let registry: LocalRegistry;
const tags: string[] = [];
/** Config blob digest (the image id) of each project's image. */
const configOf: Record<string, string> = {};

const blobPath = (digest: string) => join(registry.storage, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7), 'data');

async function push(project: string): Promise<void> {
  const tag = `${registry.host}/${project}/web:1`;
  await fakeBuilder(tag, { scripts: { run: `#!/bin/sh\necho ${project}\n` } });
  tags.push(tag);
  configOf[project] = (await docker.getImage(tag).inspect()).Id;
  await pushToRegistry(tag);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-registry-gc-'));
  registry = await startRegistry({ port: await freePort(), dir });
  await push(GONE);
  await push(KEPT);
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  for (const tag of tags) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('registry garbage collection', () => {
  it('a deleted project\'s blobs and repository are gone from the registry directory; another project\'s stay and are served', async () => {
    expect(existsSync(blobPath(configOf[GONE]!))).toBe(true);
    let deletions = 0;
    await new RegistryAdapter(registry.host, () => deletions++).deleteRepository(GONE, 'web');
    expect(deletions).toBeGreaterThan(0);
    // Deleting through the API only unlinks the manifest: the blobs are still on disk.
    expect(existsSync(blobPath(configOf[GONE]!))).toBe(true);
    const before = registry.process.pid;

    const out = await registry.garbageCollect();

    expect(existsSync(blobPath(configOf[GONE]!))).toBe(false);
    expect(existsSync(join(registry.storage, 'repositories', GONE))).toBe(false);
    expect(out.removedRepositories).toEqual([`${GONE}/web`]);
    expect(out.afterBytes).toBeLessThan(out.beforeBytes);
    expect(existsSync(blobPath(configOf[KEPT]!))).toBe(true);
    expect(registry.process.pid).not.toBe(before);
    const kept = await fetch(`http://${registry.host}/v2/${KEPT}/web/manifests/1`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(kept.status).toBe(200);
    const gone = await fetch(`http://${registry.host}/v2/${GONE}/web/tags/list`);
    expect(gone.status).toBe(404);
  });

  it('the schedule collects once shortly after deletions, never while a build may be pushing', async () => {
    let busy = true;
    let runs = 0;
    const gc = scheduleRegistryGc({ registry: { garbageCollect: async () => (runs++, { beforeBytes: 0, afterBytes: 0, removedRepositories: [] }) }, settleMs: 50, busy: () => busy });
    gc.request();
    gc.request();
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toBe(0);
    busy = false;
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toBe(1);
    await gc.stop();
  });
});
