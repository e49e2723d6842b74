// What the fleet costs in ECS requests, counted on the mock: a full pass reads each host's tasks
// once (one ListTasks, one DescribeTasks per 100 tasks) and the pods once, whatever their number;
// a task's state change event syncs only that task's pod, with at most 3 requests (ListTasks by
// the pod's token, DescribeTasks of its tasks and the event's, then StartTask when it must run
// again). Requests are asserted exactly.
// AWS documentation: ECS API Reference, ListTasks (startedBy "can't be combined with other
// filters"), DescribeTasks ("tasks: A list of up to 100 task IDs or full ARN entries"), StartTask;
// "Amazon ECS task state change events" (ECS Developer Guide) for the event's shape;
// "Request throttling for the Amazon ECS API" for why passes are concurrency-capped.
import { DescribeTasksCommand, ListTasksCommand, StartTaskCommand } from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import { podToken, taskGroupOf } from '../../shared/aws/ecs-pod-spec.ts';
import { createEcsFleetSync, type EcsFleetSync } from '../../shared/fleet/ecs-fleet-sync.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { CLUSTER, FakeEcs, INSTANCE, REGION } from './ecs-fleet-fake.ts';

const fake = new FakeEcs({ cpuUnits: 8192, memoryMiB: 65536 });
const HOST = hostNameOf(INSTANCE);
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/web@sha256:1';
const PODS = 120;
let t: TestTable;
let clock = Date.parse('2026-12-01T10:00:00Z');
let fleet: EcsFleetSync;
const names = Array.from({ length: PODS }, (_, i) => `web-1-${String(i).padStart(5, 'a')}`);

const counts = () => {
  const out: Record<string, number> = {};
  for (const c of fake.calls()) out[c.name] = (out[c.name] ?? 0) + 1;
  return out;
};

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
  const bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
  fleet = createEcsFleetSync({ store: t.store, bindings, client: fake.client(), cluster: CLUSTER, region: REGION, now: () => clock });
  await fleet();
  for (const name of names) {
    const pod = await t.store.create<Pod>({
      kind: 'Pod',
      metadata: { name, project: 'shop', labels: { deploymentconfig: 'web', deployment: 'web-1' } },
      spec: { containers: [{ name: 'web', image: IMAGE, env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '50m', memory: '64Mi' } } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } as Pod['spec'],
      status: { phase: 'Pending', conditions: [], restartCount: 0 },
    });
    await bindPod(bindings, { pod, host: (await t.store.get<Host>({ kind: 'Host', project: '', name: HOST }))!, request: podRequest(pod) });
  }
}, 120_000);

describe('ECS requests of the fleet', () => {
  it('a full pass starting 120 new pods reads the host\'s tasks once and registers their revision once', async () => {
    fake.ecs.resetHistory();
    expect(await fleet()).toEqual({ hosts: 1, pods: PODS });
    expect(counts()).toEqual({
      ListContainerInstances: 1, DescribeContainerInstances: 1,
      ListTasks: 2, // the host's running tasks, and (once some pod has none) its stopped ones
      DescribeTaskDefinition: 1, RegisterTaskDefinition: 1,
      StartTask: PODS,
    });
    const perPod = fake.calls().length / PODS;
    expect(perPod).toBeLessThanOrEqual(3);
  }, 60_000);

  it('a full pass over 120 running pods describes their tasks 100 at a time and sends nothing else per pod', async () => {
    for (const task of fake.tasks) fake.run(task.taskArn!, { image: IMAGE, healthStatus: 'UNKNOWN' });
    fake.ecs.resetHistory();
    await fleet();
    expect(counts()).toEqual({ ListContainerInstances: 1, DescribeContainerInstances: 1, ListTasks: 1, DescribeTasks: 2 });
    const batches = fake.ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks!.length);
    expect(batches).toEqual([100, 20]);
    expect(fake.ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({ cluster: CLUSTER, containerInstance: INSTANCE });
    const pod = (await t.store.get<Pod>({ kind: 'Pod', project: 'shop', name: names[7]! }))!;
    expect(pod.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  }, 60_000);

  it('a task\'s stop event syncs only its pod: back-off recorded with 2 requests, the restart with 3', async () => {
    const name = names[3]!;
    const task = fake.tasks.find((x) => x.startedBy === podToken('shop', name))!;
    fake.exit(task.taskArn!, 1);
    // ECS task state change event, as the ECS Developer Guide shows one.
    const event = {
      version: '0', id: '9bcdac79-b31f-4d3d-9410-fbd727c29fab', 'detail-type': 'ECS Task State Change', source: 'aws.ecs', account: '123456789012',
      time: new Date(clock).toISOString(), region: REGION, resources: [task.taskArn!],
      detail: {
        clusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/${CLUSTER}`, containerInstanceArn: INSTANCE, taskArn: task.taskArn, group: taskGroupOf('shop', name), startedBy: task.startedBy,
        lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited',
        containers: [{ containerArn: `arn:aws:ecs:${REGION}:123456789012:container/${CLUSTER}/1`, exitCode: 1, lastStatus: 'STOPPED', name: 'web', taskArn: task.taskArn }],
        taskDefinitionArn: task.taskDefinitionArn, version: 3,
      },
    };
    fake.ecs.resetHistory();
    expect(await fleet.taskEvent(event)).toEqual({ pod: `shop/${name}` });
    expect(fake.calls()).toEqual([
      { name: 'ListTasks', input: { cluster: CLUSTER, startedBy: podToken('shop', name) } },
      { name: 'DescribeTasks', input: { cluster: CLUSTER, tasks: [task.taskArn], include: ['TAGS'] } },
    ]);
    expect((await t.store.get<Pod>({ kind: 'Pod', project: 'shop', name }))!.status).toMatchObject({ reason: 'CrashLoopBackOff', backoffSeconds: 10 });

    clock += 11_000;
    fake.ecs.resetHistory();
    await fleet.taskEvent(event);
    expect(fake.calls().map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks', 'StartTask']);
    expect(fake.ecs.commandCalls(StartTaskCommand)[0]!.args[0].input).toMatchObject({ cluster: CLUSTER, containerInstances: [INSTANCE], startedBy: podToken('shop', name) });
    expect((await t.store.get<Pod>({ kind: 'Pod', project: 'shop', name }))!.status.restartCount).toBe(1);
  });

  it('ignores the event of a task that is no pod\'s, with no ECS request', async () => {
    fake.ecs.resetHistory();
    const out = await fleet.taskEvent({ 'detail-type': 'ECS Task State Change', detail: { taskArn: `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/ff`, containerInstanceArn: INSTANCE, group: 'family:berth-builder', startedBy: 'berth-build', lastStatus: 'STOPPED' } });
    expect(out.ignored).toBeDefined();
    expect(fake.calls()).toEqual([]);
  });
});
