// The host side of Secrets, ConfigMaps and Services on the real Docker Engine with the real
// store: a pod started by the pod sync reads its variables (secretKeyRef, configMapKeyRef,
// envFrom with a prefix, its project's Service variables) and its mounted files (owned by the
// project's UID, read-only), and finds a Service by name; a pod whose Secret lacks a key does not
// start, says CreateContainerConfigError and records an event, naming the key and no value.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { createPodSync } from '../../shared/fleet/pod-sync.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { secretDataCodec } from '../../shared/secrets/secret-codec.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const P = `cfg-${tag}`;
const CLUSTER_IP = '10.0.0.70';
const owner = `cfg-test-${tag}`;
const UID = 1_000_230_000;
const PASSWORD = 'pw-7d1e-only-in-the-pod';
const filesDir = mkdtempSync(join(tmpdir(), 'berth-pod-files-'));
const pods = new DockerPods(docker, { owner, filesDir });
let t: TestTable;
let image = '';
let n = 0;

function podSync(box?: LocalSecretBox) {
  return createPodSync({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), hostName: 'h1', address: '127.0.0.1', containers: pods, uidFor: async () => UID, secrets: box, drainMs: 0 });
}
let box: LocalSecretBox;

async function boundPod(labels: Record<string, string>, container: Record<string, unknown>, volumes?: unknown[]): Promise<Pod> {
  const p = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: `p-${++n}`, project: P, labels },
    spec: { containers: [{ name: 'c', image, env: [], ports: [], resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } }, ...container }], restartPolicy: 'Always', terminationGracePeriodSeconds: 0, ...(volumes ? { volumes } : {}) } as never,
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: 'h1' }))!;
  return (await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod: p, host, request: podRequest(p) })).pod as Pod;
}

async function logsUntil(pod: string, marker: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await pods.logs(P, pod).catch(() => '');
    if (text.includes(marker) || Date.now() > deadline) return text;
    await sleep(200);
  }
}

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  t = await freshTable();
  box = await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-keys-')), 'key'));
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  await t.store.create<Host>({
    kind: 'Host',
    metadata: { name: 'h1', project: '' },
    spec: { provider: 'docker', address: '127.0.0.1', capacity: { cpu: '4', memory: '4Gi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 4000, memoryBytes: 2 ** 32 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
  });
  const spec = await secretDataCodec(box).seal({ type: 'Opaque', data: { password: Buffer.from(PASSWORD).toString('base64'), user: Buffer.from('shop').toString('base64') } });
  await t.store.create({ kind: 'Secret', metadata: { name: 'db', project: P }, spec });
  await t.store.create({ kind: 'ConfigMap', metadata: { name: 'app', project: P }, spec: { data: { 'app.conf': 'debug = false\n', MODE: 'production' } } });
  await t.store.create({ kind: 'Service', metadata: { name: 'my-db', project: P }, spec: { selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 8080, protocol: 'TCP' }], clusterIP: CLUSTER_IP } });
}, 600_000);

afterAll(async () => {
  for (const c of await pods.listPods()) await pods.removePod(c.project, c.pod);
});

describe('a pod using Secrets, ConfigMaps and Services', () => {
  it("reads its variables and files, and its project's Services' variables", async () => {
    const db = await boundPod({ app: 'db' }, { command: ['python3', '-m', 'http.server', '8080'] });
    await podSync(box).syncPod(db);
    const script = [
      'echo "PW=$DB_PASSWORD"',
      'echo "USER=$CFG_user MODE=$MODE"',
      'echo "SVC=$MY_DB_SERVICE_HOST:$MY_DB_SERVICE_PORT PG=$MY_DB_SERVICE_PORT_PG"',
      'echo "FILE=$(cat /etc/db/pw)"',
      'echo "CONF=$(cat /etc/app/app.conf)"',
      'echo "OWNER=$(stat -c "%u %a" /etc/db/pw) DIR=$(stat -c "%u %a" /etc/db)"',
      '(echo x > /etc/db/new) 2>/dev/null && echo WRITABLE || echo READONLY',
      'echo DONE; sleep 600',
    ].join('; ');
    const client = await boundPod({ app: 'client' }, {
      command: ['sh', '-c', script],
      env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }, { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } }, { name: 'NOPE', valueFrom: { configMapKeyRef: { name: 'app', key: 'absent', optional: true } } }],
      envFrom: [{ secretRef: { name: 'db' }, prefix: 'CFG_' }],
      volumeMounts: [{ name: 'creds', mountPath: '/etc/db' }, { name: 'conf', mountPath: '/etc/app' }],
    }, [{ name: 'creds', secret: { secretName: 'db', items: [{ key: 'password', path: 'pw', mode: 0o400 }] } }, { name: 'conf', configMap: { name: 'app' } }]);
    await podSync(box).syncPod(client);
    const out = await logsUntil(client.metadata.name, 'DONE');
    expect(out).toContain(`PW=${PASSWORD}`);
    expect(out).toContain('USER=shop MODE=production');
    // The Service's cluster IP and its own port (its proxy forwards to the target port: test/fleet/service-proxies.test.ts).
    expect(out).toContain(`SVC=${CLUSTER_IP}:5432 PG=5432`);
    expect(out).toContain(`FILE=${PASSWORD}`);
    expect(out).toContain('CONF=debug = false');
    expect(out).toContain(`OWNER=${UID} 400 DIR=${UID} 500`);
    expect(out).toContain('READONLY');
    expect(out).not.toContain('NOPE');
    const after = (await t.store.get<Pod>({ kind: 'Pod', project: P, name: client.metadata.name }))!;
    expect(after.status.phase).toBe('Running');
  }, 60_000);

  it('a missing key keeps the pod from starting: CreateContainerConfigError and an event naming the key, no value', async () => {
    const p = await boundPod({ app: 'broken' }, { command: ['sleep', '600'], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'token' } } }, { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] });
    await podSync(box).syncPod(p);
    expect(await pods.inspectPod(P, p.metadata.name)).toBeUndefined();
    const after = (await t.store.get<Pod>({ kind: 'Pod', project: P, name: p.metadata.name }))!;
    expect(after.status).toMatchObject({ phase: 'Pending', reason: 'CreateContainerConfigError', message: 'couldn\'t find key token in secret "db" (for the variable X)' });
    const events = (await t.store.list<any>('Event', P)).items.filter((e) => e.spec.involvedObject.name === p.metadata.name);
    expect(events.map((e) => [e.spec.type, e.spec.reason])).toEqual([['Warning', 'Failed']]);
    expect(events[0].spec.message).toContain('token');
    expect(JSON.stringify([after, events])).not.toContain(PASSWORD);
    // The next pass holds it again without another event.
    await podSync(box).syncPod(after);
    expect((await t.store.list<any>('Event', P)).items.filter((e) => e.spec.involvedObject.name === p.metadata.name)).toHaveLength(1);
  });

  it('a host without the key to open sealed values does not start the pod, and says why', async () => {
    const p = await boundPod({ app: 'nokey' }, { command: ['sleep', '600'], env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] });
    await podSync(undefined).syncPod(p);
    const after = (await t.store.get<Pod>({ kind: 'Pod', project: P, name: p.metadata.name }))!;
    expect(after.status.reason).toBe('CreateContainerConfigError');
    expect(after.status.message).toContain('no key');
  });

  it('removing the pod removes its files from the host', async () => {
    const p = await boundPod({ app: 'files' }, { command: ['sleep', '600'], volumeMounts: [{ name: 'c', mountPath: '/etc/c' }] }, [{ name: 'c', configMap: { name: 'app' } }]);
    await podSync(box).syncPod(p);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(filesDir)).toContain(`berth-${P}_${p.metadata.name}`);
    await pods.removePod(P, p.metadata.name);
    expect(readdirSync(filesDir)).not.toContain(`berth-${P}_${p.metadata.name}`);
  });
});
