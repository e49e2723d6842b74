// A host that runs tasks the fleet started besides pods (a Service's proxy on AWS: a task, not
// a pod) is not empty: the autoscaler neither marks it idle nor retires it, while a truly empty
// host beside it is retired after the quiet period. The task counts come from ECS
// (DescribeContainerInstances, runningTasksCount + pendingTasksCount), read in batches of 100.
// AWS documentation: Amazon ECS API Reference, DescribeContainerInstances (containerInstances,
// at most 100 a call) and ContainerInstance (runningTasksCount, pendingTasksCount).
import { DescribeContainerInstancesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAutoscaler } from '../../shared/autoscale/autoscaler.ts';
import { DEFAULT_POLICY } from '../../shared/autoscale/plan.ts';
import { tasksOnHosts } from '../../shared/aws/ecs-hosts.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { hostOf, SimulatedGroup } from './simulated-group.ts';

const GiB = 2 ** 30;
let t: TestTable;
let clock = Date.parse('2026-12-03T10:00:00Z');
const now = () => clock;

describe('the autoscaler and tasks that are not pods', () => {
  let group: SimulatedGroup;
  let withProxy = '';
  let empty = '';
  let autoscale: ReturnType<typeof createAutoscaler>;

  beforeAll(async () => {
    t = await freshTable();
    group = new SimulatedGroup(t.store, 'tenant', { min: 1, max: 3 }, { cpuMilli: 2000, memoryBytes: 4 * GiB }, now);
    await group.setDesired('tenant', 3);
    const names = await group.boot();
    [, withProxy, empty] = names as [string, string, string];
    // Only the second host runs a task: a Service's proxy, no pod.
    autoscale = createAutoscaler({ store: t.store, groups: group, group: 'tenant', now, tasksOn: async (hosts) => new Map(hosts.map((h) => [h.metadata.name, h.metadata.name === withProxy ? 1 : 0])) });
  });

  it('a host running a proxy is never marked idle, cordoned nor terminated; the empty ones are', async () => {
    const marked = await autoscale();
    const idle = marked.actions.filter((a) => a.type === 'mark-idle').map((a) => a.type === 'mark-idle' && a.host);
    expect(idle).toContain(empty);
    expect(idle).not.toContain(withProxy);

    clock += DEFAULT_POLICY.quietMs;
    await group.boot();
    const cordoned = (await autoscale()).actions.filter((a) => a.type === 'cordon').map((a) => a.type === 'cordon' && a.host);
    expect(cordoned).not.toContain(withProxy);
    expect(cordoned).toContain(empty);

    clock += DEFAULT_POLICY.settleMs;
    await group.boot();
    const retired = (await autoscale()).actions.filter((a) => a.type === 'terminate').map((a) => a.type === 'terminate' && hostOf(a.instanceId));
    expect(retired).toContain(empty);
    expect(retired).not.toContain(withProxy);
  });
});

describe('tasksOnHosts', () => {
  it('reads running and pending tasks of each host, 100 container instances a call, by Host name', async () => {
    const ecs = mockClient(ECSClient);
    const arn = (i: number) => `arn:aws:ecs:eu-west-1:123456789012:container-instance/berth/${String(i).padStart(32, '0')}`;
    const hosts = Array.from({ length: 150 }, (_, i) => ({ name: `ecs-${i}`, containerInstanceArn: arn(i) }));
    ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
      // The documented response: containerInstances with their counts; failures for unknown ARNs.
      containerInstances: input.containerInstances
        .filter((a) => a !== arn(7))
        .map((a) => ({ containerInstanceArn: a, runningTasksCount: a === arn(3) ? 2 : 0, pendingTasksCount: a === arn(120) ? 1 : 0, status: 'ACTIVE', agentConnected: true })),
      failures: input.containerInstances.includes(arn(7)) ? [{ arn: arn(7), reason: 'MISSING' }] : [],
    }));
    const counts = await tasksOnHosts(new ECSClient({ region: 'eu-west-1' }), 'berth', hosts);
    expect(ecs.commandCalls(DescribeContainerInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'berth', containerInstances: hosts.slice(0, 100).map((h) => h.containerInstanceArn) },
      { cluster: 'berth', containerInstances: hosts.slice(100).map((h) => h.containerInstanceArn) },
    ]);
    expect(counts.get('ecs-3')).toBe(2);
    expect(counts.get('ecs-120')).toBe(1);
    expect(counts.get('ecs-0')).toBe(0);
    // An instance ECS no longer knows is left out (its Host goes by its lease).
    expect(counts.has('ecs-7')).toBe(false);
    expect(counts.size).toBe(149);
    ecs.restore();
  });
});
