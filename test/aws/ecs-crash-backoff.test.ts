// Crash back-off on ECS survives the pass: each resync pass builds its pod sync afresh (one
// Lambda invocation), so the restart state — restart count, last termination, back-off until —
// lives in the Pod's status. A crashed pod's task is started again after 10 s, then 20 s after
// the next crash, and not before; it does not wait for ECS to forget the stopped task.
// AWS documentation: ECS API Reference, DescribeTasks and the Task data type (lastStatus and
// desiredStatus STOPPED, stopCode EssentialContainerExited, containers[].exitCode); ListTasks
// (desiredStatus STOPPED lists stopped tasks, which ECS keeps for about an hour).
import { StartTaskCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import { createEcsFleetSync } from '../../shared/fleet/ecs-fleet-sync.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { CLUSTER, FakeEcs, INSTANCE, REGION } from './ecs-fleet-fake.ts';

const fake = new FakeEcs();
const HOST = hostNameOf(INSTANCE);
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/web@sha256:1';
let t: TestTable;
let clock: number;
let pass: () => Promise<unknown>;

beforeEach(async () => {
  fake.tasks.splice(0);
  t = await freshTable();
  clock = Date.parse('2026-12-01T10:00:00Z');
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
  // A new pass object each time, as each resync invocation builds one.
  pass = () => createEcsFleetSync({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), client: fake.client(), cluster: CLUSTER, region: REGION, now: () => clock })();
  await pass();
  const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: HOST }))!;
  const pod = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: 'web-1-ccccc', project: 'shop', labels: { deploymentconfig: 'web', deployment: 'web-1' } },
    spec: { containers: [{ name: 'web', image: IMAGE, env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: {}, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } as Pod['spec'],
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod, host, request: podRequest(pod) });
});

const podNow = async () => (await t.store.get<Pod>({ kind: 'Pod', project: 'shop', name: 'web-1-ccccc' }))!;
const starts = () => fake.ecs.commandCalls(StartTaskCommand).length;
const at = (secs: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + secs * 1000);

describe('crash back-off of a pod on ECS', () => {
  it('is kept in the pod\'s status, so that passes built afresh restart it after 10 s, then after 20 s', async () => {
    await pass();
    expect(starts()).toBe(1);
    fake.run(fake.tasks[0]!.taskArn!, { image: IMAGE, startedAt: at(0) });
    clock += 30_000;
    fake.exit(fake.tasks[0]!.taskArn!, 1, at(30));
    await pass();
    let pod = await podNow();
    expect(pod.status).toMatchObject({
      reason: 'CrashLoopBackOff', exitCode: 1, restartCount: 0, backoffSeconds: 10, backoffUntil: at(40).toISOString(),
      lastTermination: { exitCode: 1, containerID: fake.tasks[0]!.taskArn, finishedAt: at(30).toISOString() },
    });

    clock += 5_000;
    await pass();
    expect(starts()).toBe(1);
    expect((await podNow()).status.message).toMatch(/back-off 5s/);

    clock += 6_000;
    await pass();
    expect(starts()).toBe(2);
    pod = await podNow();
    expect(pod.status).toMatchObject({ restartCount: 1, backoffSeconds: 10, lastTermination: { exitCode: 1 } });
    expect(pod.status.backoffUntil).toBeUndefined();

    // It crashes again straight away: twice the wait.
    fake.run(fake.tasks[1]!.taskArn!, { image: IMAGE, startedAt: at(41) });
    clock += 2_000;
    fake.exit(fake.tasks[1]!.taskArn!, 2, at(43));
    await pass();
    expect((await podNow()).status).toMatchObject({ reason: 'CrashLoopBackOff', exitCode: 2, backoffSeconds: 20, backoffUntil: at(63).toISOString(), restartCount: 1 });
    clock += 15_000;
    await pass();
    expect(starts()).toBe(2);
    clock += 6_000;
    await pass();
    expect(starts()).toBe(3);
    expect((await podNow()).status.restartCount).toBe(2);
  });
});
