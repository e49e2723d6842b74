// ECS state-change events into pods and host leases, on DynamoDB Local: a RUNNING task sets its
// pod Running with its host port; a STOPPED one records the exit code (and the outcome of a pod
// that is not restarted); stale, foreign or spoofed tasks change nothing; a container instance
// event keeps the Host and renews its lease while the agent is connected.
import { beforeEach, describe, expect, it } from 'vitest';
import { handleEcsEvent, type EcsTaskDetail } from '../../shared/aws/ecs-events.ts';
import { hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import type { Host, HostLease, Pod } from '../../shared/model/objects.ts';
import { freshTable, snapshot, type TestTable } from '../support/dynamo.ts';

const P = 'demo';
const INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c';
const HOST = hostNameOf(INSTANCE);
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/berth-fleet/0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/berth-fleet';
const NOW = new Date('2026-11-26T12:00:00Z');
let t: TestTable;

const container = (over: Record<string, unknown> = {}) => ({
  name: 'web',
  image: 'registry.example/berth/demo/web@sha256:abc',
  ports: [{ containerPort: 8080, protocol: 'TCP' }],
  env: [],
  resources: { requests: {}, limits: {} },
  ...over,
});

async function pod(name: string, over: { host?: string; restartPolicy?: string; container?: Record<string, unknown>; status?: Partial<Pod['status']> } = {}): Promise<Pod> {
  const p = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name, project: P, labels: { deploymentconfig: 'web', deployment: 'web-3' } },
    spec: { containers: [container(over.container)], restartPolicy: over.restartPolicy ?? 'Always', terminationGracePeriodSeconds: 10, host: over.host ?? HOST } as never,
    status: { phase: 'Pending', conditions: [], restartCount: 0, ...over.status },
  });
  return p;
}

const taskEvent = (podName: string, detail: Partial<EcsTaskDetail> = {}) => ({
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  detail: {
    taskArn: TASK,
    clusterArn: CLUSTER,
    containerInstanceArn: INSTANCE,
    group: `berth-pod:${P}/${podName}`,
    startedBy: podToken(P, podName),
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    startedAt: '2026-11-26T11:59:58.000Z',
    containers: [{ name: 'web', image: 'registry.example/berth/demo/web@sha256:abc', lastStatus: 'RUNNING', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort: 32771, protocol: 'tcp' }] }],
    ...detail,
  },
});
const stoppedDetail = (exitCode: number | undefined): Partial<EcsTaskDetail> => ({
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'web', lastStatus: 'STOPPED', ...(exitCode === undefined ? {} : { exitCode }), networkBindings: [] }],
});

const readPod = async (name: string) => (await t.store.get<Pod>({ kind: 'Pod', project: P, name }))!;
const handle = (event: Parameters<typeof handleEcsEvent>[1]) => handleEcsEvent(t.store, event, { now: () => NOW });

beforeEach(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  await t.store.create<Host>({
    kind: 'Host',
    metadata: { name: HOST, project: '' },
    spec: { provider: 'ecs', endpoint: INSTANCE, address: '10.0.3.17', capacity: { cpu: '2000m', memory: '7680Mi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 2000, memoryBytes: 7680 * 2 ** 20 }, requested: { cpuMilli: 100, memoryBytes: 2 ** 28 }, ready: true, conditions: [] },
  });
});

describe('ECS Task State Change', () => {
  it('RUNNING: the pod runs at the host\'s address on the port ECS chose, ready (no readiness probe)', async () => {
    await pod('web-3-aaaaa');
    expect(await handle(taskEvent('web-3-aaaaa'))).toEqual({ handled: 'pod', project: P, pod: 'web-3-aaaaa', phase: 'Running' });
    const { status } = await readPod('web-3-aaaaa');
    expect(status).toMatchObject({
      phase: 'Running',
      hostIP: '10.0.3.17',
      ports: [{ containerPort: 8080, hostIP: '10.0.3.17', hostPort: 32771 }],
      containerID: TASK,
      image: 'registry.example/berth/demo/web@sha256:abc',
      startTime: '2026-11-26T11:59:58.000Z',
      readySince: NOW.toISOString(),
      restartCount: 0,
    });
    expect(status.conditions).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: NOW.toISOString() }]);
  });

  it('RUNNING with a readiness probe: ports recorded, readiness left to the probe', async () => {
    await pod('web-3-bbbbb', { container: { readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } } });
    await handle(taskEvent('web-3-bbbbb'));
    const { status } = await readPod('web-3-bbbbb');
    expect(status.phase).toBe('Running');
    expect(status.ports).toEqual([{ containerPort: 8080, hostIP: '10.0.3.17', hostPort: 32771 }]);
    expect(status.conditions).toEqual([]);
    expect(status.readySince).toBeUndefined();

    // ECS's own health check, where there is one, decides.
    await handle(taskEvent('web-3-bbbbb', { containers: [{ name: 'web', healthStatus: 'HEALTHY', networkBindings: [{ containerPort: 8080, hostPort: 32771 }] }] }));
    expect((await readPod('web-3-bbbbb')).status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True' })]);
  });

  it('RUNNING with only a liveness probe: ready, whatever its health check (the liveness probe) says; restarting stays the pod sync\'s', async () => {
    await pod('web-3-lllll', { container: { livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } } });
    for (const healthStatus of ['UNKNOWN', 'UNHEALTHY']) {
      await handle(taskEvent('web-3-lllll', { containers: [{ name: 'web', healthStatus, networkBindings: [{ containerPort: 8080, hostPort: 32771 }] }] }));
      const { status } = await readPod('web-3-lllll');
      expect([status.phase, status.conditions.find((c) => c.type === 'Ready')?.status, status.restartCount]).toEqual(['Running', 'True', 0]);
    }
  });

  it('STOPPED: records the exit code, not ready, no ports; restarting stays the pod sync\'s', async () => {
    await pod('web-3-ccccc');
    await handle(taskEvent('web-3-ccccc'));
    expect(await handle(taskEvent('web-3-ccccc', stoppedDetail(137)))).toMatchObject({ handled: 'pod', phase: 'Running' });
    const { status } = await readPod('web-3-ccccc');
    expect(status).toMatchObject({ phase: 'Running', exitCode: 137, reason: 'Error', message: 'the container exited with code 137: Essential container in task exited', ports: [], restartCount: 0 });
    expect(status.readySince).toBeUndefined();
    expect(status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'False', reason: 'ContainersNotReady' })]);
  });

  it.each([
    ['Never', 0, 'Succeeded'],
    ['Never', 2, 'Failed'],
    ['OnFailure', 0, 'Succeeded'],
  ])('STOPPED, restartPolicy %s, exit %i: the pod %s', async (restartPolicy, exitCode, phase) => {
    await pod('hook-3-ddddd', { restartPolicy });
    await handle(taskEvent('hook-3-ddddd', stoppedDetail(exitCode)));
    expect((await readPod('hook-3-ddddd')).status).toMatchObject({ phase, exitCode });
  });

  it('a stopped task that is no longer the pod\'s container changes nothing', async () => {
    await pod('web-3-eeeee', { status: { phase: 'Running', containerID: `${TASK.slice(0, -4)}9999` } });
    const before = await snapshot(t);
    expect(await handle(taskEvent('web-3-eeeee', stoppedDetail(1)))).toMatchObject({ handled: 'ignored' });
    expect(await snapshot(t)).toEqual(before);
  });

  it.each([
    ['a build\'s task', { group: 'family:berth-builder', startedBy: 'demo/hello-3' }, HOST],
    ['a task naming a pod without its token', { startedBy: 'berth-pod-00000000000000000000000000' }, HOST],
    ['a task on this host of a pod bound to another', {}, 'ecs-elsewhere'],
    ['a task on an unknown instance', { containerInstanceArn: INSTANCE.replace(/.{4}$/, 'ffff') }, HOST],
    ['a task of a pod that does not exist', { group: 'berth-pod:demo/web-3-zzzzz' }, HOST],
    ['a pending task', { lastStatus: 'PENDING' }, HOST],
  ])('ignores %s and writes nothing', async (_what, detail, host) => {
    await pod('web-3-fffff', { host });
    const before = await snapshot(t);
    expect(await handle(taskEvent('web-3-fffff', detail))).toMatchObject({ handled: 'ignored' });
    expect(await snapshot(t)).toEqual(before);
  });

  it('finds a pod whose names are too long for a task group by its token among the host\'s pods', async () => {
    await pod('web-3-ggggg');
    await pod('web-3-hhhhh');
    const event = taskEvent('web-3-ggggg');
    delete (event.detail as { group?: string }).group;
    expect(await handle(event)).toMatchObject({ handled: 'pod', pod: 'web-3-ggggg' });
    expect((await readPod('web-3-hhhhh')).status.phase).toBe('Pending');
  });

  it('leaves a pod that is being deleted to its host', async () => {
    const p = await pod('web-3-iiiii');
    await t.store.update({ ...p, metadata: { ...p.metadata, deletionTimestamp: NOW.toISOString() } });
    expect(await handle(taskEvent('web-3-iiiii', stoppedDetail(143)))).toMatchObject({ handled: 'ignored' });
    expect((await readPod('web-3-iiiii')).status.exitCode).toBeUndefined();
  });
});

describe('ECS Container Instance State Change', () => {
  const instanceEvent = (over: Record<string, unknown> = {}) => ({
    'detail-type': 'ECS Container Instance State Change',
    source: 'aws.ecs',
    detail: {
      containerInstanceArn: INSTANCE,
      clusterArn: CLUSTER,
      ec2InstanceId: 'i-0abc1234def567890',
      agentConnected: true,
      status: 'ACTIVE',
      attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.3.17' }],
      registeredResources: [{ name: 'CPU', integerValue: 2048 }, { name: 'MEMORY', integerValue: 7680 }],
      ...over,
    },
  });
  const lease = () => t.store.get<HostLease>({ kind: 'HostLease', project: '', name: HOST });

  it('a connected, active instance renews its host\'s lease and keeps the room promised to pods', async () => {
    expect(await handle(instanceEvent())).toEqual({ handled: 'host', host: HOST, renewed: true });
    expect((await lease())!.spec).toEqual({ renewTime: NOW.toISOString(), leaseDurationSeconds: 150 });
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: HOST }))!.status.requested).toEqual({ cpuMilli: 100, memoryBytes: 2 ** 28 });
  });

  it('a disconnected or draining instance lets the lease lapse (and takes no new pods)', async () => {
    expect(await handle(instanceEvent({ agentConnected: false }))).toEqual({ handled: 'host', host: HOST, renewed: false });
    expect(await handle(instanceEvent({ status: 'DRAINING' }))).toEqual({ handled: 'host', host: HOST, renewed: false });
    expect(await lease()).toBeUndefined();
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: HOST }))!.spec.unschedulable).toBe(true);
  });

  it('a new tenant instance becomes a Host; a build host never does', async () => {
    const fresh = INSTANCE.replace(/.{4}$/, 'aaaa');
    expect(await handle(instanceEvent({ containerInstanceArn: fresh }))).toMatchObject({ handled: 'host', renewed: true });
    expect((await t.store.get<Host>({ kind: 'Host', project: '', name: hostNameOf(fresh) }))!.spec).toMatchObject({ provider: 'ecs', endpoint: fresh, address: '10.0.3.17' });
    const build = INSTANCE.replace(/.{4}$/, 'bbbb');
    expect(await handle(instanceEvent({ containerInstanceArn: build, attributes: [{ name: 'berth.role', value: 'build' }] }))).toMatchObject({ handled: 'ignored' });
    expect(await t.store.get({ kind: 'Host', project: '', name: hostNameOf(build) })).toBeUndefined();
  });
});
