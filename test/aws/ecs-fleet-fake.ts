// Test support: one tenant container instance and its tasks behind aws-sdk-client-mock, answering
// as ECS documents (ECS API Reference: ListTasks — startedBy "can't be combined with other
// filters", desiredStatus defaults to RUNNING, which lists tasks ECS means to keep running;
// DescribeTasks — at most 100 tasks per call, tags only with include TAGS; StartTask; StopTask;
// ListContainerInstances; DescribeContainerInstances). Tests read every request from `ecs` to
// assert them exactly and to count them.
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import type { TestTable } from '../support/dynamo.ts';

export const REGION = 'eu-west-1';
export const CLUSTER = 'berth-fleet';
export const INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/0123456789abcdef0123456789abcdef';

export class FakeEcs {
  readonly ecs = mockClient(ECSClient);
  readonly tasks: Task[] = [];
  private n = 0;
  /**
   * How many StartTask calls to come ECS answers with no task and a failure, as it does while the
   * instance still counts a stopping task's memory (StartTask: failures[] of arn and reason).
   */
  refuseStarts = 0;

  constructor(opts: { cpuUnits?: number; memoryMiB?: number } = {}) {
    const { ecs } = this;
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [INSTANCE] });
    ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [{
        containerInstanceArn: INSTANCE, agentConnected: true, status: 'ACTIVE',
        attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.3.17' }],
        registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: opts.cpuUnits ?? 2048 }, { name: 'MEMORY', type: 'INTEGER', integerValue: opts.memoryMiB ?? 7680 }],
      }],
    });
    ecs.on(ListTasksCommand).callsFake((input: { startedBy?: string; containerInstance?: string; desiredStatus?: string }) => {
      if (input.startedBy && input.containerInstance) throw Object.assign(new Error('startedBy cannot be combined with containerInstance'), { name: 'InvalidParameterException' });
      const wanted = input.desiredStatus ?? 'RUNNING';
      const taskArns = this.tasks
        .filter((t) => (input.startedBy ? t.startedBy === input.startedBy : true) && (input.containerInstance ? t.containerInstanceArn === input.containerInstance : true))
        .filter((t) => (wanted === 'STOPPED' ? t.desiredStatus === 'STOPPED' : t.desiredStatus !== 'STOPPED'))
        .map((t) => t.taskArn!);
      return { taskArns };
    });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => {
      if (input.tasks.length > 100) throw Object.assign(new Error('tasks can have at most 100 items'), { name: 'InvalidParameterException' });
      return { tasks: this.tasks.filter((t) => input.tasks.includes(t.taskArn!)), failures: [] };
    });
    ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: `arn:aws:ecs:${REGION}:123456789012:task-definition/${input.family}:1`, status: 'ACTIVE' } }));
    ecs.on(StartTaskCommand).callsFake((input: { startedBy: string; group: string; containerInstances: string[]; tags?: { key: string; value: string }[]; taskDefinition: string }) => {
      if (this.refuseStarts > 0) {
        this.refuseStarts--;
        return { tasks: [], failures: [{ arn: input.containerInstances[0], reason: 'RESOURCE:MEMORY' }] };
      }
      const task: Task = {
        taskArn: `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/${(++this.n).toString(16).padStart(32, '0')}`,
        containerInstanceArn: input.containerInstances[0], startedBy: input.startedBy, group: input.group, taskDefinitionArn: input.taskDefinition,
        lastStatus: 'PENDING', desiredStatus: 'RUNNING', createdAt: new Date(), tags: input.tags ?? [],
        containers: [{ name: 'web', image: 'img', lastStatus: 'PENDING', networkBindings: [] }],
      };
      this.tasks.push(task);
      return { tasks: [task], failures: [] };
    });
    // StopTask: the task is to stop (desiredStatus STOPPED, stopCode UserInitiated, the reason as
    // its stoppedReason) while its container is still being stopped (lastStatus unchanged; `stopped` ends it).
    ecs.on(StopTaskCommand).callsFake((input: { task: string; reason?: string }) => {
      const task = this.tasks.find((t) => t.taskArn === input.task);
      if (task) Object.assign(task, { desiredStatus: 'STOPPED', stopCode: 'UserInitiated', ...(input.reason ? { stoppedReason: input.reason } : {}) });
      return { task };
    });
  }

  client(): ECSClient {
    return new ECSClient({ region: REGION });
  }

  /** The agent's view moves on: the task runs (with the image of its definition), healthy or not. */
  run(taskArn: string, over: { image: string; healthStatus?: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN'; startedAt?: Date }): void {
    const task = this.tasks.find((t) => t.taskArn === taskArn)!;
    Object.assign(task, { lastStatus: 'RUNNING', startedAt: over.startedAt ?? new Date() });
    task.containers = [{ name: 'web', image: over.image, lastStatus: 'RUNNING', ...(over.healthStatus ? { healthStatus: over.healthStatus } : {}), networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort: 32768, protocol: 'tcp' }] }];
  }

  /** The container exits: ECS stops the task (lastStatus and desiredStatus STOPPED), keeping the exit code. */
  exit(taskArn: string, exitCode: number, at: Date = new Date()): void {
    const task = this.tasks.find((t) => t.taskArn === taskArn)!;
    Object.assign(task, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: at, stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });
    task.containers = [{ ...task.containers![0], lastStatus: 'STOPPED', exitCode }];
  }

  /** A task StopTask stopped has stopped: its container was killed (SIGTERM, then SIGKILL after the stop timeout). */
  stopped(taskArn: string, exitCode = 137, at: Date = new Date()): void {
    const task = this.tasks.find((t) => t.taskArn === taskArn)!;
    Object.assign(task, { lastStatus: 'STOPPED', stoppedAt: at });
    task.containers = [{ ...task.containers![0], lastStatus: 'STOPPED', exitCode }];
  }

  /** Requests sent since the last reset of the count, by command name. */
  calls(): { name: string; input: Record<string, unknown> }[] {
    return this.ecs.calls().map((c) => {
      const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
      return { name: command.constructor.name.replace(/Command$/, ''), input: command.input };
    });
  }
}

/**
 * Stores a pod of one container (no ports, deployment `<dc>-1`) and binds it to the fake
 * instance's Host, which a first fleet pass has made.
 */
export async function bindOnFakeHost(t: TestTable, pod: { project: string; name: string; deploymentConfig: string; image: string; container?: Record<string, unknown> }): Promise<Pod> {
  const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: hostNameOf(INSTANCE) }))!;
  const created = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name: pod.name, project: pod.project, labels: { deploymentconfig: pod.deploymentConfig, deployment: `${pod.deploymentConfig}-1` } },
    spec: { containers: [{ name: pod.deploymentConfig, image: pod.image, env: [], ports: [], resources: { requests: {}, limits: {} }, ...pod.container }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } as Pod['spec'],
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod: created, host, request: podRequest(created) });
  return created;
}
