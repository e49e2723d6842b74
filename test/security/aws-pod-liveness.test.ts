// Attack, on AWS: a stranger whose pod shares a container instance with the victim's makes their
// own liveness probe fail (the probe is theirs to write), hoping the restart that follows stops
// the victim's task. Their pod even has the victim's pod's name, in their own project. The fleet
// pass stops only the task started for the stranger's pod (found by its token, refused unless
// Berth's tags name that pod of that project), and the victim's task, pod and restart count stay
// as they were. A task carrying the stranger pod's token but the victim's tags is never stopped.
// AWS answers are mocked (aws-sdk-client-mock; ECS API Reference "ListTasks", "DescribeTasks" and
// the Container data type's healthStatus, "StopTask", "StartTask").
import { StopTaskCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import { createEcsFleetSync } from '../../shared/fleet/ecs-fleet-sync.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { bindOnFakeHost, CLUSTER, FakeEcs, REGION } from '../aws/ecs-fleet-fake.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const fake = new FakeEcs();
const VICTIM = 'bank';
const STRANGER = 'mallory-lab';
const POD = 'worker-1-aaaaa';
const FAILING = { exec: { command: ['false'] }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 2, successThreshold: 1, failureThreshold: 1 };
const imageOf = (project: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/${project}/worker@sha256:1`;
let t: TestTable;
let errors: unknown[];
let pass: () => Promise<unknown>;

const boundPod = (project: string, probes: Record<string, unknown>) => bindOnFakeHost(t, { project, name: POD, deploymentConfig: 'worker', image: imageOf(project), container: probes });

const taskOf = (project: string) => fake.tasks.find((x) => x.startedBy === podToken(project, POD) && x.tags?.some((tag) => tag.key === 'berth:project' && tag.value === project))!;
const podOf = async (project: string) => (await t.store.get<Pod>({ kind: 'Pod', project, name: POD }))!;

beforeEach(async () => {
  fake.tasks.splice(0);
  fake.ecs.resetHistory();
  errors = [];
  t = await freshTable();
  for (const name of [VICTIM, STRANGER]) await t.store.create({ kind: 'Project', metadata: { name, project: '' }, spec: {} });
  pass = createEcsFleetSync({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), client: fake.client(), cluster: CLUSTER, region: REGION, onError: (err) => errors.push(err) });
  await pass(); // the host
});

describe("a stranger's failing liveness probe on the victim's host", () => {
  it.each([
    ['a passing liveness probe of its own', { livenessProbe: FAILING }, 'HEALTHY'],
    ['a readiness probe, reported UNHEALTHY', { readinessProbe: FAILING }, 'UNHEALTHY'],
    ['no probe', {}, 'UNKNOWN'],
  ] as const)("restarts only the stranger's own task; the victim's pod with %s keeps its task", async (_what, victimProbes, victimHealth) => {
    await boundPod(VICTIM, victimProbes);
    await boundPod(STRANGER, { livenessProbe: FAILING });
    await pass();
    const victimTask = taskOf(VICTIM).taskArn!;
    const strangerTask = taskOf(STRANGER).taskArn!;
    fake.run(victimTask, { image: imageOf(VICTIM), healthStatus: victimHealth });
    fake.run(strangerTask, { image: imageOf(STRANGER), healthStatus: 'UNHEALTHY' });
    await pass();

    expect(fake.ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).toEqual([strangerTask]);
    expect(taskOf(VICTIM)).toMatchObject({ taskArn: victimTask, desiredStatus: 'RUNNING' });
    expect((await podOf(VICTIM)).status).toMatchObject({ restartCount: 0, containerID: victimTask });
    expect((await podOf(STRANGER)).status).toMatchObject({ restartCount: 1, reason: 'Unhealthy' });
    expect(errors).toEqual([]);
  });

  it("never stops a task found by the stranger pod's token whose tags name the victim's project", async () => {
    await boundPod(STRANGER, { livenessProbe: FAILING });
    await pass();
    const strangerTask = taskOf(STRANGER);
    fake.run(strangerTask.taskArn!, { image: imageOf(STRANGER), healthStatus: 'UNHEALTHY' });
    // The task's tags, as if it were the victim's: the token alone never lets Berth stop it.
    strangerTask.tags = strangerTask.tags!.map((tag) => (tag.key === 'berth:project' ? { ...tag, value: VICTIM } : tag));
    await pass();
    expect(fake.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(errors).toEqual([expect.objectContaining({ code: 'NotOwned' })]);
  });
});
