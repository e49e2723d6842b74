// Liveness on ECS: a container with a liveness probe and no readiness probe runs its liveness
// probe as its health check, and the fleet pass restarts the pod when DescribeTasks reports the
// container UNHEALTHY — StopTask of its own task with a reason, then StartTask, at once (no
// crash back-off, as on a Docker host), restart count one up, reason Unhealthy. Its readiness is
// "running", whatever the health check says meanwhile. A container with both probes keeps the
// readiness probe as its health check, and UNHEALTHY only makes it unready.
// AWS documentation: ECS API Reference, "HealthCheck" (interval 5–300, timeout 2–60, retries
// 1–10, startPeriod 0–300), "DescribeTasks" and the "Container" data type (healthStatus HEALTHY,
// UNHEALTHY or UNKNOWN), "Task" (desiredStatus, stopCode UserInitiated, stoppedReason),
// "StopTask" (the reason appears in later DescribeTasks), "StartTask" (failures[]); ECS
// Developer Guide, "Determine Amazon ECS task health using container health checks" (a task not
// run by a service keeps running whatever its health).
import { RegisterTaskDefinitionCommand, StartTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEcsFleetSync } from '../../shared/fleet/ecs-fleet-sync.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { bindOnFakeHost, CLUSTER, FakeEcs, INSTANCE, REGION } from './ecs-fleet-fake.ts';

const fake = new FakeEcs();
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/worker@sha256:1';
// The shipped Celery templates' worker probe.
const PING = ['/bin/sh', '-c', 'exec python -m celery -A tasks inspect ping -d "celery@$(hostname)" -t 10'];
const LIVENESS = { exec: { command: PING }, initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 30, successThreshold: 1, failureThreshold: 2 };
const READINESS = { tcpSocket: { port: 8080 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
const STOP_REASON = 'Berth: the liveness probe failed; the pod is restarted';
let t: TestTable;
let clock: number;
let errors: unknown[];
let pass: () => Promise<unknown>;

const boundPod = (name: string, probes: Record<string, unknown>) => bindOnFakeHost(t, { project: 'shop', name, deploymentConfig: 'worker', image: IMAGE, container: probes });

/** A liveness-only worker whose task runs (since the clock's start) with the health given, `secs` later; its task's ARN. */
async function runningWorker(healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN', secs: number): Promise<string> {
  await boundPod('worker-1-aaaaa', { livenessProbe: LIVENESS });
  await pass();
  const arn = fake.tasks[0]!.taskArn!;
  fake.run(arn, { image: IMAGE, healthStatus, startedAt: at(0) });
  clock += secs * 1000;
  return arn;
}

const podNow = async (name: string) => (await t.store.get<Pod>({ kind: 'Pod', project: 'shop', name }))!;
const readyOf = (p: Pod) => p.status.conditions.find((c) => c.type === 'Ready')?.status;
/** The stops and starts sent since `from`, in order. */
const stopsAndStarts = (from = 0) => fake.calls().slice(from).filter((c) => c.name === 'StopTask' || c.name === 'StartTask');
const at = (secs: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + secs * 1000);

beforeEach(async () => {
  fake.tasks.splice(0);
  fake.ecs.resetHistory();
  fake.refuseStarts = 0;
  errors = [];
  t = await freshTable();
  clock = Date.parse('2026-12-01T10:00:00Z');
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
  // A pass built afresh each time, as each resync invocation builds one.
  pass = () => createEcsFleetSync({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), client: fake.client(), cluster: CLUSTER, region: REGION, now: () => clock, onError: (err) => errors.push(err) })();
  await pass(); // the host
});

describe('a liveness probe on ECS, in a container without a readiness probe', () => {
  it('is the container\'s health check in the task definition: interval, timeout, retries and start period from the probe', async () => {
    await boundPod('worker-1-aaaaa', { livenessProbe: LIVENESS });
    await pass();
    const [registered] = fake.ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
    expect(registered!.containerDefinitions![0]!.healthCheck).toEqual({ command: ['CMD', ...PING], interval: 20, timeout: 30, retries: 2, startPeriod: 30 });
  });

  it('leaves the pod ready while ECS reports UNKNOWN (starting) or HEALTHY, and stops or starts nothing', async () => {
    const task = await runningWorker('UNKNOWN', 0);
    const from = fake.calls().length;
    await pass();
    expect(readyOf(await podNow('worker-1-aaaaa'))).toBe('True');
    fake.run(task, { image: IMAGE, healthStatus: 'HEALTHY', startedAt: at(0) });
    clock += 60_000;
    await pass();
    const pod = await podNow('worker-1-aaaaa');
    expect([pod.status.phase, readyOf(pod), pod.status.restartCount]).toEqual(['Running', 'True', 0]);
    expect(stopsAndStarts(from)).toEqual([]);
  });

  it('restarts the pod when ECS reports the container UNHEALTHY: StopTask of its task with a reason, then StartTask, at once', async () => {
    const old = await runningWorker('HEALTHY', 0);
    await pass();
    const from = fake.calls().length;

    fake.run(old, { image: IMAGE, healthStatus: 'UNHEALTHY', startedAt: at(0) });
    clock += 120_000;
    await pass();
    const sent = stopsAndStarts(from);
    expect(sent.map((c) => c.name)).toEqual(['StopTask', 'StartTask']);
    expect(sent[0]!.input).toEqual({ cluster: CLUSTER, task: old, reason: STOP_REASON });
    expect(sent[1]!.input).toMatchObject({ cluster: CLUSTER, containerInstances: [INSTANCE], startedBy: fake.tasks[0]!.startedBy, group: 'berth-pod:shop/worker-1-aaaaa' });
    const fresh = fake.tasks[1]!.taskArn!;
    let pod = await podNow('worker-1-aaaaa');
    expect(pod.status).toMatchObject({ phase: 'Running', restartCount: 1, reason: 'Unhealthy', message: 'the liveness probe failed: the container\'s health check reports it unhealthy', containerID: fresh });
    expect(pod.status.backoffUntil).toBeUndefined();
    expect(readyOf(pod)).toBe('False');

    // The old task takes a while to stop (still RUNNING, still UNHEALTHY), then stops with
    // SIGKILL's exit code: neither is a crash nor a second restart.
    clock += 5_000;
    await pass();
    fake.stopped(old, 137, at(130));
    clock += 5_000;
    await pass();
    expect(stopsAndStarts(from)).toHaveLength(2);
    pod = await podNow('worker-1-aaaaa');
    expect(pod.status).toMatchObject({ restartCount: 1, containerID: fresh });
    expect(pod.status.reason).not.toBe('CrashLoopBackOff');

    // The new task runs; its health check has not decided yet: ready.
    fake.run(fresh, { image: IMAGE, healthStatus: 'UNKNOWN', startedAt: at(135) });
    await pass();
    pod = await podNow('worker-1-aaaaa');
    expect([readyOf(pod), pod.status.restartCount, pod.status.containerID]).toEqual(['True', 1, fresh]);
    expect(errors).toEqual([]);
  });

  it('counts the restart when ECS refuses the new task (the old one still holds its memory), and starts it on the next pass without back-off', async () => {
    const old = await runningWorker('UNHEALTHY', 120);
    fake.refuseStarts = 1;
    const from = fake.calls().length;
    await pass();
    expect(stopsAndStarts(from).map((c) => c.name)).toEqual(['StopTask', 'StartTask']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'StartTaskFailed', message: expect.stringMatching(/RESOURCE:MEMORY/) });
    let pod = await podNow('worker-1-aaaaa');
    expect(pod.status).toMatchObject({ restartCount: 1, reason: 'Unhealthy' });
    expect(readyOf(pod)).toBe('False');

    // The old task stopped: it was removed on purpose, so the pod has no container and starts at once.
    fake.stopped(old, 137, at(125));
    clock += 1_000;
    await pass();
    expect(stopsAndStarts(from).map((c) => c.name)).toEqual(['StopTask', 'StartTask', 'StartTask']);
    pod = await podNow('worker-1-aaaaa');
    expect(pod.status).toMatchObject({ restartCount: 1, containerID: fake.tasks[1]!.taskArn });
    expect(pod.status.reason).not.toBe('CrashLoopBackOff');
  });

  it('a task that exits by itself is still a crash, with its back-off', async () => {
    const old = await runningWorker('HEALTHY', 30);
    fake.exit(old, 1, at(30));
    const from = fake.calls().length;
    await pass();
    expect(stopsAndStarts(from)).toEqual([]);
    expect((await podNow('worker-1-aaaaa')).status).toMatchObject({ reason: 'CrashLoopBackOff', exitCode: 1, backoffSeconds: 10, restartCount: 0 });
  });
});

describe('a container with both probes on ECS', () => {
  it('has its readiness probe as the health check: UNHEALTHY makes it unready and restarts nothing', async () => {
    await boundPod('worker-1-bbbbb', { livenessProbe: LIVENESS, readinessProbe: READINESS });
    await pass();
    const [registered] = fake.ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
    expect(registered!.containerDefinitions![0]!.healthCheck!.command![1]).toMatch(/^bash -c 'exec 3<>\/dev\/tcp\/127.0.0.1\/8080'/);
    const [task] = fake.tasks;
    fake.run(task!.taskArn!, { image: IMAGE, healthStatus: 'UNHEALTHY', startedAt: at(0) });
    clock += 120_000;
    await pass();
    const pod = await podNow('worker-1-bbbbb');
    expect([readyOf(pod), pod.status.restartCount]).toEqual(['False', 0]);
    expect(fake.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(fake.ecs.commandCalls(StartTaskCommand)).toHaveLength(1);
  });
});
