// Claims on the real Docker Engine through the pod sync: a pod writes into its claim as the
// project's UID, a write past the claim's size fails with ENOSPC, the data outlives the pod and
// a restart of the host's processes (a fresh pod sync and a fresh mounter, with the disk
// unmounted meanwhile), a subPath is a directory of the claim, readOnly mounts refuse writes,
// an emptyDir is a scratch directory the UID may write, and a pod whose claim is missing does
// not start and says why.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { createPodSync } from '../../shared/fleet/pod-sync.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { claimReconciler } from '../../shared/volumes/claim-reconciler.ts';
import { isMounted, LoopDisks } from '../../shared/volumes/loop-disks.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { logsUntil } from './support.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const P = `vol-${tag}`;
const owner = `vol-test-${tag}`;
const UID = 1_000_240_000;
const root = mkdtempSync(join(tmpdir(), 'berth-volumes-'));
let t: TestTable;
let image = '';
let n = 0;
let volume = '';

/** The host's processes as they are after a restart: a fresh mounter and pod sync over the same state. */
function host() {
  const pods = new DockerPods(docker, { owner, volumes: new LoopDisks(root) });
  const sync = createPodSync({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), hostName: 'h1', address: '127.0.0.1', containers: pods, uidFor: async () => UID, drainMs: 0 });
  return { pods, sync };
}

async function boundPod(script: string, volumeMounts: unknown[], volumes: unknown[]): Promise<Pod> {
  const p = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `p-${++n}`, project: P, labels: { app: 'db' } },
    spec: { containers: [{ name: 'c', image, command: ['sh', '-c', script], env: [], ports: [], volumeMounts, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } } }], volumes, restartPolicy: 'Always', terminationGracePeriodSeconds: 0 } as never,
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  const h = (await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
  return (await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod: p, host: h, request: podRequest(p) })).pod as Pod;
}

/** The pod's container and object removed, as its host and the controllers do when it is deleted. */
async function gone(pods: DockerPods, p: Pod): Promise<void> {
  await pods.removePod(P, p.metadata.name);
  await t.store.delete({ kind: 'Pod', project: P, name: p.metadata.name });
}

const data = [{ name: 'data', persistentVolumeClaim: { claimName: 'db' } }];

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '', annotations: { 'berth.io/uid-range': `${UID}/10000` } }, spec: {} });
  await t.store.create<Host>({
    kind: 'Host',
    metadata: { name: 'h1', project: '' },
    spec: { provider: 'docker', address: '127.0.0.1', capacity: { cpu: '4', memory: '4Gi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 4000, memoryBytes: 2 ** 32 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
  });
  await t.store.create({ kind: 'PersistentVolumeClaim', metadata: { name: 'db', project: P }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Mi' } } } });
  await claimReconciler(t.store, new LoopDisks(root)).reconcile({ kind: 'PersistentVolumeClaim', project: P, name: 'db' });
  volume = (await t.store.get<any>({ kind: 'PersistentVolumeClaim', project: P, name: 'db' }))!.status.volumeName;
}, 600_000);

afterAll(async () => {
  const { pods } = host();
  for (const c of await pods.listPods()) await pods.removePod(c.project, c.pod);
  if (volume) await new LoopDisks(root).remove(volume);
});

describe('a pod with a persistent volume claim', () => {
  it('writes into it as the project\'s UID, and a write past its size fails with ENOSPC', async () => {
    const { pods, sync } = host();
    const script = [
      'echo "ID=$(id -u) OWNER=$(stat -c %u /data)"',
      'echo kept > /data/hello && echo WROTE',
      'dd if=/dev/zero of=/data/fill bs=1M count=32 2>&1 | grep -o "No space left on device" | head -1',
      'echo "SIZE=$(du -m /data/fill | cut -f1)"',
      'rm /data/fill; echo DONE; sleep 600',
    ].join('; ');
    const p = await boundPod(script, [{ name: 'data', mountPath: '/data' }], data);
    await sync.syncPod(p);
    const out = await logsUntil(pods, P, p.metadata.name, 'DONE');
    expect(out).toContain(`ID=${UID} OWNER=${UID}`);
    expect(out).toContain('WROTE');
    expect(out).toContain('No space left on device');
    expect(Number(/SIZE=(\d+)/.exec(out)?.[1])).toBeLessThanOrEqual(8);
    await gone(pods, p);
  }, 90_000);

  it('keeps its data after the pod is deleted and the host\'s processes restart with the disk unmounted', async () => {
    execFileSync('umount', [new LoopDisks(root).dirOf(volume)]);
    expect(await isMounted(new LoopDisks(root).dirOf(volume))).toBe(false);
    const { pods, sync } = host();
    const p = await boundPod('echo "READ=$(cat /data/hello)"; echo DONE; sleep 600', [{ name: 'data', mountPath: '/data' }], data);
    await sync.syncPod(p);
    expect(await logsUntil(pods, P, p.metadata.name, 'DONE')).toContain('READ=kept');
    await gone(pods, p);
  }, 90_000);

  it('mounts a subPath as a directory of the claim, readOnly mounts refuse writes, and an emptyDir is writable scratch', async () => {
    const { pods, sync } = host();
    const script = [
      'echo sub > /pg/file && echo "SUB=$(cat /whole/pg/file)"',
      '(echo x > /whole/nope) 2>/dev/null && echo RW || echo RO',
      'echo s > /scratch/s && echo "SCRATCH=$(stat -c %a /scratch)"',
      'echo DONE; sleep 600',
    ].join('; ');
    const p = await boundPod(script, [{ name: 'data', mountPath: '/pg', subPath: 'pg' }, { name: 'data', mountPath: '/whole', readOnly: true }, { name: 'tmp', mountPath: '/scratch' }], [...data, { name: 'tmp', emptyDir: { sizeLimit: '4Mi' } }]);
    await sync.syncPod(p);
    const out = await logsUntil(pods, P, p.metadata.name, 'DONE');
    expect(out).toContain('SUB=sub');
    expect(out).toContain('RO');
    expect(out).toContain('SCRATCH=1777');
    await gone(pods, p);
  }, 90_000);

  it('a pod whose claim does not exist does not start, and says which claim', async () => {
    const { pods, sync } = host();
    const p = await boundPod('sleep 600', [{ name: 'data', mountPath: '/data' }], [{ name: 'data', persistentVolumeClaim: { claimName: 'absent' } }]);
    await sync.syncPod(p);
    expect(await pods.inspectPod(P, p.metadata.name)).toBeUndefined();
    const after = (await t.store.get<Pod>({ kind: 'Pod', project: P, name: p.metadata.name }))!;
    expect(after.status).toMatchObject({ phase: 'Pending', reason: 'CreateContainerConfigError', message: 'persistentvolumeclaim "absent" not found (for the volume data)' });
  });
});
