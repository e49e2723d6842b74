// Attack surface: `berth adm prune`. A project admin (a stranger who made a project a minute ago)
// tries to prune builds, deployments and images, dry run or confirmed, and is refused with 403,
// nothing changed. When the cluster-admin prunes images, an image another project's
// ReplicationController still runs is never removed, from the image stream or from the registry
// (the real Distribution registry of the test setup); an unused old image is.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalRegistry } from '../../shared/builds/local-adapters.ts';
import { imagePruneReconciler } from '../../shared/images/prune-images.ts';
import { newRevision } from '../../shared/deploy/rollout-template.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { PRUNE_ANNOTATION } from '../../shared/prune/run.ts';
import { fakeBuilder } from '../builds/fake-builders.ts';
import { docker, pushToRegistry } from '../builds/support.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { stranger } from './build-support.ts';

const suffix = randomBytes(3).toString('hex');
const VICTIM = `victim-${suffix}`;
const MALLORY = `mallory-${suffix}`;
let api: TestApi;
let mallory: string;
let registry: string;
const tags: string[] = [];
/** Digests of mallory's images, oldest first: old (unused), shared (the victim's RC runs it), current. */
const digest: Record<'old' | 'shared' | 'current', string> = { old: '', shared: '', current: '' };
const streamRef = () => ({ kind: 'ImageStream', project: MALLORY, name: 'web' });
const manifestStatus = async (d: string) =>
  (await fetch(`http://${registry}/v2/${MALLORY}/web/manifests/${d}`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } })).status;

async function pushed(name: 'old' | 'shared' | 'current'): Promise<void> {
  const tag = `${registry}/${MALLORY}/web:${name}`;
  await fakeBuilder(tag, { scripts: { run: `#!/bin/sh\necho ${name}-${suffix}\n` } });
  tags.push(tag);
  digest[name] = await pushToRegistry(tag);
}

beforeAll(async () => {
  registry = inject('registryHost');
  api = await testApi();
  await stranger(api, 'victor', VICTIM);
  mallory = await stranger(api, 'mallory', MALLORY);
  for (const n of ['old', 'shared', 'current'] as const) await pushed(n);
  const item = (n: keyof typeof digest, hoursAgo: number) => ({ created: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(), dockerImageReference: `${registry}/${MALLORY}/web@${digest[n]}`, image: digest[n] });
  const is = await api.store.create({ kind: 'ImageStream', metadata: { name: 'web', project: MALLORY }, spec: { tags: [] } });
  await api.store.updateStatus({ ...is, status: { dockerImageRepository: `${registry}/${MALLORY}/web`, tags: [{ tag: 'latest', items: [item('current', 1), item('shared', 5), item('old', 9)] }] } });
  // The victim's revision runs the same content (the same digest), from its own repository.
  const dc = { kind: 'DeploymentConfig', metadata: { name: 'web', project: VICTIM, labels: {}, annotations: {} }, spec: { replicas: 1, selector: { app: 'web' }, triggers: [], revisionHistoryLimit: 10, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: `${registry}/${VICTIM}/web@${digest.shared}` }] } } } };
  await api.store.create(newRevision(dc as never, 1, 'ConfigChange'));
}, 300_000);

afterAll(async () => {
  for (const tag of tags) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  await new LocalRegistry(registry).deleteRepository(MALLORY, 'web').catch(() => undefined);
});

describe('a project admin cannot prune', () => {
  it.each(['builds', 'deployments', 'images'])('POST /api/v1/prune/%s, dry run or confirmed, is 403 and changes nothing', async (target) => {
    const before = JSON.stringify(await api.store.get(streamRef()));
    for (const body of [{}, { confirm: true, keepTagRevisions: 1, keepYoungerThan: '0s', keepComplete: 0, keepFailed: 0 }]) {
      const res = await api.call('POST', `/api/v1/prune/${target}`, mallory, body);
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain(VICTIM);
    }
    expect(JSON.stringify(await api.store.get(streamRef()))).toBe(before);
    for (const d of Object.values(digest)) expect(await manifestStatus(d)).toBe(200);
  });
});

describe('the cluster-admin prunes images', () => {
  it('never removes an image another project\'s ReplicationController runs; removes the unused old one from the stream and the registry', async () => {
    const body = { keepTagRevisions: 1, keepYoungerThan: '2h' };
    const dry = await api.call('POST', '/api/v1/prune/images', api.adminToken, body);
    expect(dry.status).toBe(200);
    expect(dry.body.items.filter((i: { project: string }) => i.project === MALLORY).map((i: { image: string }) => i.image)).toEqual([digest.old]);
    expect((await api.store.get<BerthObject<unknown, ImageStreamStatus>>(streamRef()))!.status.tags![0]!.items).toHaveLength(3);

    const done = await api.call('POST', '/api/v1/prune/images', api.adminToken, { ...body, confirm: true });
    expect(done.status).toBe(200);
    const is = (await api.store.get<BerthObject<unknown, ImageStreamStatus>>(streamRef()))!;
    expect(is.status.tags![0]!.items.map((i) => i.image)).toEqual([digest.current, digest.shared]);
    expect(is.metadata.annotations[PRUNE_ANNOTATION]).toBe(digest.old);

    await imagePruneReconciler(api.store, new LocalRegistry(registry)).reconcile(streamRef());
    expect(await manifestStatus(digest.old)).toBe(404);
    expect(await manifestStatus(digest.shared)).toBe(200);
    expect(await manifestStatus(digest.current)).toBe(200);
    expect((await api.store.get(streamRef()))!.metadata.annotations[PRUNE_ANNOTATION]).toBeUndefined();
  });
});

describe('bad input from the cluster-admin', () => {
  it.each([
    ['images', { keepYoungerThan: 'soon', confirm: true }, 'keepYoungerThan'],
    ['builds', { keepComplete: -1, confirm: true }, 'keepComplete'],
    ['images', { keepTagRevisions: 0, confirm: true }, 'keepTagRevisions'],
    ['images', { confirm: 'yes' }, 'confirm'],
    ['everything', {}, 'path.target'],
  ])('POST /api/v1/prune/%s with %j is a 422 naming %s and changes nothing', async (target, body, field) => {
    const before = JSON.stringify(await api.store.get(streamRef()));
    const res = await api.call('POST', `/api/v1/prune/${target}`, api.adminToken, body);
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([expect.objectContaining({ field })]);
    expect(JSON.stringify(await api.store.get(streamRef()))).toBe(before);
  });
});
