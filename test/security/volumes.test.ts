// Attack: a stranger who signed up a minute ago goes after another tenant's volume — reading,
// changing or deleting the claim through the API; naming it from a pod of their own project so
// that their host mounts it; reaching the host's disk through a hostPath volume, a ".." subPath,
// a mountPath over /proc, or a symbolic link planted in their own claim and then named as a
// subPath; and taking more storage than the trial plan gives. All fail: claims are per project,
// a pod's claims are read from its own project only, subPaths are walked without following
// links, and quota counts claims and storage when they are made.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { createPodSync } from '../../shared/fleet/pod-sync.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { projectUids } from '../../shared/project/uid-blocks.ts';
import { DEFAULT_PLAN, planObjects } from '../../shared/trials/plan.ts';
import { claimReconciler } from '../../shared/volumes/claim-reconciler.ts';
import { LoopDisks } from '../../shared/volumes/loop-disks.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { logsUntil } from '../volumes/support.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const A = `bank-${tag}`;
const B = `crook-${tag}`;
const owner = `vol-attack-${tag}`;
const root = mkdtempSync(join(tmpdir(), 'berth-volumes-'));
const disks = new LoopDisks(root);
let api: TestApi;
let victim: string, stranger: string;
let image = '';
let n = 0;
const claim = (name: string, storage = '8Mi') => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } });
const fields = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field);
const bindings = () => new DynamoBindingStore({ client: api.client, tableName: api.tableName });
const pods = new DockerPods(docker, { owner, volumes: disks });

/** Runs a pod in the project, the project's earlier ones removed first (the trial plan allows 4 pods). */
async function runPod(project: string, script: string, volumeMounts: unknown[], volumes: unknown[]): Promise<Pod> {
  for (const old of (await api.store.list<Pod>('Pod', project)).items) {
    await pods.removePod(project, old.metadata.name);
    await api.store.delete({ kind: 'Pod', project, name: old.metadata.name });
  }
  const p = await api.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `p-${++n}`, project, labels: { app: 'x' } },
    spec: { containers: [{ name: 'c', image, command: ['sh', '-c', script], env: [], ports: [], volumeMounts, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } } }], volumes, restartPolicy: 'Always', terminationGracePeriodSeconds: 0 } as never,
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  const host = (await api.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
  const bound = (await bindPod(bindings(), { pod: p, host, request: podRequest(p) })).pod as Pod;
  const sync = createPodSync({ store: api.store, bindings: bindings(), hostName: 'h1', address: '127.0.0.1', containers: pods, drainMs: 0, uidFor: projectUids(api.store) });
  await sync.syncPod(bound);
  return (await api.store.get<Pod>({ kind: 'Pod', project, name: p.metadata.name }))!;
}

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  api = await testApi();
  victim = await api.user('victim');
  stranger = await api.user('stranger');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: A } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: B } })).status).toBe(201);
  // The stranger is on the trial plan: its quota, as trial sign-up makes it.
  for (const o of planObjects(DEFAULT_PLAN, B)) await api.store.create(o);
  await api.store.create<Host>({
    kind: 'Host',
    metadata: { name: 'h1', project: '' },
    spec: { provider: 'docker', address: '127.0.0.1', capacity: { cpu: '4', memory: '4Gi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 4000, memoryBytes: 2 ** 32 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
  });
  for (const [project, token] of [[A, victim], [B, stranger]] as const) {
    expect((await api.call('POST', `/api/v1/projects/${project}/persistentvolumeclaims`, token, claim('data'))).status).toBe(201);
    await claimReconciler(api.store, disks).reconcile({ kind: 'PersistentVolumeClaim', project, name: 'data' });
  }
  const p = await runPod(A, 'echo victim-ledger-9f3 > /data/ledger && echo DONE && sleep 600', [{ name: 'd', mountPath: '/data' }], [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]);
  expect(await logsUntil(pods, A, p.metadata.name, 'DONE')).toContain('DONE');
}, 600_000);

afterAll(async () => {
  for (const c of await pods.listPods()) await pods.removePod(c.project, c.pod);
  for (const project of [A, B]) for (const c of (await api.store.list<any>('PersistentVolumeClaim', project)).items) if (c.status?.volumeName) await disks.remove(c.status.volumeName);
});

describe('a stranger against another tenant\'s volume', () => {
  it('cannot read, list, change or delete the claim through the API', async () => {
    const base = `/api/v1/projects/${A}/persistentvolumeclaims`;
    expect((await api.call('GET', `${base}/data`, stranger)).status).toBe(403);
    expect((await api.call('GET', base, stranger)).status).toBe(403);
    expect((await api.call('PUT', `${base}/data`, stranger, claim('data'))).status).toBe(403);
    expect((await api.call('DELETE', `${base}/data`, stranger)).status).toBe(403);
    expect((await api.call('POST', base, stranger, claim('mine'))).status).toBe(403);
    expect((await api.call('GET', `${base}/data`, victim)).body.metadata.deletionTimestamp).toBeUndefined();
  });

  it('naming the victim\'s claim from a pod of their own project mounts their own claim, and a project-qualified name is no claim at all', async () => {
    const own = await runPod(B, 'cat /data/ledger 2>&1; ls -a /data; echo DONE; sleep 600', [{ name: 'd', mountPath: '/data' }], [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]);
    const out = await logsUntil(pods, B, own.metadata.name, 'DONE');
    expect(out).not.toContain('victim-ledger-9f3');
    expect(out).toContain('No such file');
    const qualified = await runPod(B, 'sleep 600', [{ name: 'd', mountPath: '/data' }], [{ name: 'd', persistentVolumeClaim: { claimName: `${A}/data` } }]);
    expect(qualified.status).toMatchObject({ reason: 'CreateContainerConfigError', message: `persistentvolumeclaim "${A}/data" not found (for the volume d)` });
    expect(await pods.inspectPod(B, qualified.metadata.name)).toBeUndefined();
  }, 60_000);

  it.each([
    ['a hostPath volume', [{ name: 'd', hostPath: { path: root } }], [{ name: 'd', mountPath: '/data' }], 'spec.template.spec.volumes.0'],
    ['a subPath climbing out with ".."', [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }], [{ name: 'd', mountPath: '/data', subPath: '../../disks' }], 'spec.template.spec.containers.0.volumeMounts.0.subPath'],
    ['a mountPath over /proc', [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }], [{ name: 'd', mountPath: '/proc/1/root' }], 'spec.template.spec.containers.0.volumeMounts.0.mountPath'],
  ])('cannot reach the host\'s disk through %s: 422 naming the field', async (_what, volumes, volumeMounts, field) => {
    const r = await api.call('POST', `/api/v1/projects/${B}/deploymentconfigs`, stranger, {
      metadata: { name: `steal-${++n}` },
      spec: { replicas: 1, selector: { app: 'x' }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'example/x:1', volumeMounts }], volumes } } },
    });
    expect(r.status).toBe(422);
    expect(fields(r.body)).toContain(field);
  });

  it('a symbolic link planted in their own claim and named as a subPath mounts nothing of the host', async () => {
    const plant = await runPod(B, 'ln -s / /data/escape && ln -s /../../.. /data/up && echo DONE; sleep 600', [{ name: 'd', mountPath: '/data' }], [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]);
    expect(await logsUntil(pods, B, plant.metadata.name, 'DONE')).toContain('DONE');
    for (const subPath of ['escape', 'up', 'escape/etc']) {
      const p = await runPod(B, 'ls /stolen; echo DONE; sleep 600', [{ name: 'd', mountPath: '/stolen', subPath }], [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]);
      expect(p.status.reason).toBe('CreateContainerConfigError');
      expect(p.status.message).toContain('links are not followed');
      expect(await pods.inspectPod(B, p.metadata.name)).toBeUndefined();
    }
  }, 90_000);

  it('cannot write past their claim\'s size, nor make claims past the trial plan\'s 2 claims and 2 GiB', async () => {
    const fill = await runPod(B, 'dd if=/dev/zero of=/data/fill bs=1M count=64 2>&1 | grep -o "No space left on device"; echo DONE; sleep 600', [{ name: 'd', mountPath: '/data' }], [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]);
    expect(await logsUntil(pods, B, fill.metadata.name, 'DONE')).toContain('No space left on device');
    const base = `/api/v1/projects/${B}/persistentvolumeclaims`;
    const big = await api.call('POST', base, stranger, claim('big', '3Gi'));
    expect(big.status).toBe(403);
    expect(big.body.message).toContain('exceeded quota');
    expect((await api.call('POST', base, stranger, claim('second', '1Gi'))).status).toBe(201);
    expect((await api.call('POST', base, stranger, claim('third', '1Mi'))).status).toBe(403);
    expect((await api.call('GET', base, stranger)).body.items.map((c: any) => c.metadata.name).sort()).toEqual(['data', 'second']);
  }, 60_000);

  it('the victim\'s data is still there, and the disks directory is the platform\'s alone', async () => {
    const p = await runPod(A, 'cat /data/ledger; echo DONE; sleep 600', [{ name: 'd', mountPath: '/data' }], [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]);
    expect(await logsUntil(pods, A, p.metadata.name, 'DONE')).toContain('victim-ledger-9f3');
    const { statSync } = await import('node:fs');
    expect(existsSync(join(root, 'disks'))).toBe(true);
    expect(statSync(join(root, 'disks')).mode & 0o077).toBe(0);
  }, 60_000);
});
