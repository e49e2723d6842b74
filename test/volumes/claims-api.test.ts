// PersistentVolumeClaims through the API on DynamoDB Local, provisioned by the claim reconciler
// on real loop-mounted ext4 disks: Kubernetes' manifest as it is, status Bound with its
// capacity, bad input refused naming the field (claims and the pod volumes that use them), quota
// counting claims and storage at admission, an immutable spec, and deletion that waits for the
// pods using the claim and then takes the disk with it.
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_FINALIZER } from '../../shared/model/volume-kinds.ts';
import { claimReconciler } from '../../shared/volumes/claim-reconciler.ts';
import { isMounted, LoopDisks } from '../../shared/volumes/loop-disks.ts';
import { uidOfProject } from '../../shared/project/uid-blocks.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
let alice: string;
const root = mkdtempSync(join(tmpdir(), 'berth-volumes-'));
const disks = new LoopDisks(root);
const P = 'vol-api';
const path = (rest: string) => `/api/v1/projects/${P}/${rest}`;
const claim = (name: string, storage = '16Mi', accessModes = ['ReadWriteOnce']) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes, resources: { requests: { storage } } } });
const reconcile = (name: string) => claimReconciler(api.store, disks).reconcile({ kind: 'PersistentVolumeClaim', project: P, name });
const fields = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field);

beforeAll(async () => {
  api = await testApi();
  alice = await api.user('alice');
  expect((await api.call('POST', '/api/v1/projects', alice, { metadata: { name: P } })).status).toBe(201);
});

afterAll(async () => {
  for (const c of (await api.store.list<any>('PersistentVolumeClaim', P)).items) if (c.status?.volumeName) await disks.remove(c.status.volumeName);
});

describe('PersistentVolumeClaims', () => {
  it('a claim is made Pending, then Bound to a disk of its size owned by the project\'s UID', async () => {
    const made = await api.call('POST', path('persistentvolumeclaims'), alice, claim('data'));
    expect(made.status).toBe(201);
    expect(made.body.apiVersion).toBe('v1');
    expect(made.body.status.phase ?? 'Pending').toBe('Pending');
    await reconcile('data');
    const got = await api.call('GET', path('persistentvolumeclaims/data'), alice);
    expect(got.body.status).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '16Mi' } });
    expect(got.body.metadata.finalizers).toEqual([CLAIM_FINALIZER]);
    const volume = got.body.status.volumeName as string;
    expect(volume).toBe(`pvc-${got.body.metadata.uid}`);
    expect(statSync(disks.imageOf(volume)).size).toBe(16 * 2 ** 20);
    const dir = await disks.mount(volume);
    const project = (await api.store.get({ kind: 'Project', project: '', name: P }))!;
    expect(statSync(dir).uid).toBe(uidOfProject(project));
    // A second pass changes nothing and makes no second disk.
    await reconcile('data');
    expect((await api.call('GET', path('persistentvolumeclaims/data'), alice)).body.metadata.resourceVersion).toBe(got.body.metadata.resourceVersion);
  });

  it.each([
    ['no access mode', { accessModes: [], resources: { requests: { storage: '1Gi' } } }, 'spec.accessModes'],
    ['an unknown access mode', { accessModes: ['ReadWriteAlways'], resources: { requests: { storage: '1Gi' } } }, 'spec.accessModes.0'],
    ['no size', { accessModes: ['ReadWriteOnce'], resources: { requests: {} } }, 'spec.resources.requests.storage'],
    ['a size that is no quantity', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: 'lots' } } }, 'spec.resources.requests.storage'],
    ['a size below 1Mi', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Ki' } } }, 'spec.resources.requests.storage'],
    ['a hostPath-like field', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, hostPath: '/etc' }, 'spec'],
  ])('refuses %s, naming the field, and makes nothing', async (_what, spec, field) => {
    const r = await api.call('POST', path('persistentvolumeclaims'), alice, { metadata: { name: 'bad' }, spec });
    expect(r.status).toBe(422);
    expect(fields(r.body).join(' ')).toContain(field);
    expect((await api.call('GET', path('persistentvolumeclaims/bad'), alice)).status).toBe(404);
  });

  const dc = (volumes: unknown[], volumeMounts: unknown[]) => ({
    metadata: { name: 'db' },
    spec: { replicas: 1, selector: { app: 'db' }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'example/db:1', volumeMounts }], volumes } } },
  });

  it.each([
    ['a hostPath volume', [{ name: 'v', hostPath: { path: '/' } }], [{ name: 'v', mountPath: '/data' }], 'spec.template.spec.volumes.0'],
    ['a subPath with ".."', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }], [{ name: 'v', mountPath: '/data', subPath: '../other' }], 'spec.template.spec.containers.0.volumeMounts.0.subPath'],
    ['an absolute subPath', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }], [{ name: 'v', mountPath: '/data', subPath: '/etc' }], 'spec.template.spec.containers.0.volumeMounts.0.subPath'],
    ['a mountPath over /proc', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }], [{ name: 'v', mountPath: '/proc/self' }], 'spec.template.spec.containers.0.volumeMounts.0.mountPath'],
    ['a mountPath with ".."', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }], [{ name: 'v', mountPath: '/data/../etc' }], 'spec.template.spec.containers.0.volumeMounts.0.mountPath'],
    ['two sources in one volume', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' }, emptyDir: {} }], [{ name: 'v', mountPath: '/data' }], 'spec.template.spec.volumes.0'],
    ['a mount of no volume', [], [{ name: 'v', mountPath: '/data' }], 'spec.template.spec.containers.0.volumeMounts.0.name'],
  ])('a DeploymentConfig with %s is refused naming the field', async (_what, volumes, mounts, field) => {
    const r = await api.call('POST', path('deploymentconfigs'), alice, dc(volumes, mounts));
    expect(r.status).toBe(422);
    expect(fields(r.body)).toContain(field);
  });

  it('a DeploymentConfig mounting a claim (subPath, readOnly) and an emptyDir is accepted', async () => {
    const r = await api.call('POST', path('deploymentconfigs'), alice, dc([{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }, { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '32Mi' } }], [{ name: 'v', mountPath: '/var/lib/pgsql/data', subPath: 'pg' }, { name: 'v', mountPath: '/backup', readOnly: true }, { name: 'tmp', mountPath: '/tmp/scratch' }]));
    expect(r.status).toBe(201);
    expect(r.body.spec.template.spec.volumes[0]).toEqual({ name: 'v', persistentVolumeClaim: { claimName: 'data' } });
  });

  it('the spec of a claim cannot change: 422 naming the field, and the claim stays as it was', async () => {
    const cur = (await api.call('GET', path('persistentvolumeclaims/data'), alice)).body;
    const r = await api.call('PUT', path('persistentvolumeclaims/data'), alice, { metadata: { name: 'data', resourceVersion: cur.metadata.resourceVersion }, spec: { ...cur.spec, resources: { requests: { storage: '10Gi' } } } });
    expect(r.status).toBe(422);
    expect(fields(r.body)).toEqual(['spec.resources']);
    expect((await api.call('GET', path('persistentvolumeclaims/data'), alice)).body.spec.resources.requests.storage).toBe('16Mi');
    // Labels may change.
    const ok = await api.call('PUT', path('persistentvolumeclaims/data'), alice, { metadata: { name: 'data', resourceVersion: cur.metadata.resourceVersion, labels: { app: 'db' } }, spec: cur.spec });
    expect(ok.status).toBe(200);
  });

  it('quota counts claims and their storage at admission: past either limit is refused and nothing is made', async () => {
    const q = await api.call('POST', path('resourcequotas'), api.adminToken, { metadata: { name: 'storage' }, spec: { hard: { persistentvolumeclaims: 2, 'requests.storage': '48Mi' } } });
    expect(q.status).toBe(201);
    expect((await api.call('GET', path('resourcequotas/storage'), alice)).body.status.used).toEqual({ persistentvolumeclaims: '1', 'requests.storage': '16Mi' });
    const big = await api.call('POST', path('persistentvolumeclaims'), alice, claim('big', '64Mi'));
    expect(big.status).toBe(403);
    expect(big.body.message).toContain('exceeded quota: storage, requested: requests.storage=64Mi, used: requests.storage=16Mi, limited: requests.storage=48Mi');
    expect((await api.call('POST', path('persistentvolumeclaims'), alice, claim('second', '32Mi'))).status).toBe(201);
    const third = await api.call('POST', path('persistentvolumeclaims'), alice, claim('third', '1Mi'));
    expect(third.status).toBe(403);
    expect(third.body.message).toContain('persistentvolumeclaims=1');
    expect((await api.call('GET', path('persistentvolumeclaims'), alice)).body.items.map((c: any) => c.metadata.name).sort()).toEqual(['data', 'second']);
    // Deleting one gives its quota back once it is gone.
    expect((await api.call('DELETE', path('persistentvolumeclaims/second'), alice)).status).toBe(204);
    await reconcile('second');
    expect((await api.call('GET', path('resourcequotas/storage'), alice)).body.status.used).toEqual({ persistentvolumeclaims: '1', 'requests.storage': '16Mi' });
  });

  it('a claim in use by a pod is kept until the pod has gone, then its disk and data go with it', async () => {
    const volume = (await api.call('GET', path('persistentvolumeclaims/data'), alice)).body.status.volumeName as string;
    await api.store.create({
      kind: 'Pod',
      metadata: { name: 'db-1-abcde', project: P, labels: { app: 'db' } },
      spec: { containers: [{ name: 'db', image: 'example/db:1', volumeMounts: [{ name: 'v', mountPath: '/data' }] }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] },
      status: { phase: 'Running' },
    });
    expect((await api.call('DELETE', path('persistentvolumeclaims/data'), alice)).status).toBe(204);
    expect((await reconcile('data')).requeueAfter).toBeGreaterThan(0);
    const held = (await api.call('GET', path('persistentvolumeclaims/data'), alice)).body;
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(existsSync(disks.imageOf(volume))).toBe(true);
    await api.store.delete({ kind: 'Pod', project: P, name: 'db-1-abcde' });
    expect(await reconcile('data')).toEqual({});
    expect((await api.call('GET', path('persistentvolumeclaims/data'), alice)).status).toBe(404);
    expect(existsSync(disks.imageOf(volume))).toBe(false);
    expect(await isMounted(disks.dirOf(volume))).toBe(false);
    expect((await api.call('GET', path('resourcequotas/storage'), alice)).body.status.used).toEqual({ persistentvolumeclaims: '0', 'requests.storage': '0' });
  });

  it('a deleted project takes its claims and their disks with it', async () => {
    expect((await api.call('POST', '/api/v1/projects', alice, { metadata: { name: 'vol-gone' } })).status).toBe(201);
    expect((await api.call('POST', '/api/v1/projects/vol-gone/persistentvolumeclaims', alice, claim('cache'))).status).toBe(201);
    const claims = claimReconciler(api.store, disks);
    const ref = { kind: 'PersistentVolumeClaim', project: 'vol-gone', name: 'cache' };
    await claims.reconcile(ref);
    const volume = (await api.store.get<any>(ref))!.status.volumeName as string;
    await disks.mount(volume);
    expect((await api.call('DELETE', '/api/v1/projects/vol-gone', alice)).status).toBeLessThan(300);
    const finalizer = projectFinalizer(api.store);
    const project = { kind: 'Project', project: '', name: 'vol-gone' };
    expect((await finalizer.reconcile(project)).requeueAfter).toBeGreaterThan(0);
    await claims.reconcile(ref);
    expect(await api.store.get(ref)).toBeUndefined();
    await finalizer.reconcile(project);
    expect(await api.store.get(project)).toBeUndefined();
    expect(existsSync(disks.imageOf(volume))).toBe(false);
    expect(await isMounted(disks.dirOf(volume))).toBe(false);
  });
});
