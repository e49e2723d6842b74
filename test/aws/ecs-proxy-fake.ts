// Amazon ECS as the Services' proxies see it: aws-sdk-client-mock on ECSClient, keeping task
// definitions and tasks the way the ECS API Reference describes them, so that the adapter's
// exact requests and its view of tasks starting, running and stopping are exercised.
// AWS documentation, Amazon ECS API Reference: RegisterTaskDefinition (taskDefinition with
// taskDefinitionArn, revision, status ACTIVE), DescribeTaskDefinition (include TAGS; an unknown
// family is a ClientException "Unable to describe task definition."), RunTask (tasks, failures),
// ListTasks (startedBy, desiredStatus; taskArns), DescribeTasks (include TAGS; Task.attachments
// of type ElasticNetworkInterface with details privateIPv4Address; Task.containerInstanceArn),
// StopTask (task). RunTask places a task only on the instance its `memberOf` constraint names
// (Developer Guide, "Create expressions to define container instances": `ec2InstanceId == i-…`).
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerInstance,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { ecsHostOf, hostNameOf, upsertEcsHost } from '../../shared/aws/ecs-hosts.ts';
import type { Host } from '../../shared/model/objects.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';

export const ECS_REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

export class FakeEcsProxies {
  readonly mock = mockClient(ECSClient);
  readonly tasks = new Map<string, Task & { input: RunTaskCommandInput }>();
  readonly families = new Map<string, { revision: number; tags: { key?: string; value?: string }[] }>();
  /** Registered task definitions by ARN, as they were sent. */
  readonly definitions = new Map<string, RegisterTaskDefinitionCommandInput>();
  /** Failures RunTask answers with instead of a task (ECS could not place it). */
  placementFailure?: string;
  /** The cluster's container instances: EC2 instance id → container instance ARN. */
  readonly instances = new Map<string, string>();
  private n = 0;

  constructor(readonly cluster = 'berth') {
    this.mock.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput & { family: string }) => {
      const revision = (this.families.get(input.family)?.revision ?? 0) + 1;
      this.families.set(input.family, { revision, tags: input.tags ?? [] });
      this.definitions.set(this.tdArn(input.family, revision), input);
      return { taskDefinition: { taskDefinitionArn: this.tdArn(input.family, revision), family: input.family, revision, status: 'ACTIVE' } };
    });
    this.mock.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
      const f = this.families.get(input.taskDefinition);
      if (!f) throw Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' });
      return { taskDefinition: { taskDefinitionArn: this.tdArn(input.taskDefinition, f.revision), revision: f.revision, status: 'ACTIVE' }, tags: f.tags };
    });
    this.mock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
      if (this.placementFailure) return { tasks: [], failures: [{ arn: `arn:aws:ecs:${ECS_REGION}:${ACCOUNT}:container-instance/${this.cluster}/1`, reason: this.placementFailure }] };
      const instance = input.placementConstraints?.map((c) => /^ec2InstanceId == (i-[0-9a-f]+)$/.exec(c.expression ?? '')?.[1]).find(Boolean);
      const containerInstanceArn = instance && this.instances.get(instance);
      // No instance meets the constraints: a failure (Developer Guide, "Amazon ECS API failure reasons").
      if (!containerInstanceArn) return { tasks: [], failures: [{ reason: 'MemberOf placement constraint unsatisfied' }] };
      const arn = `arn:aws:ecs:${ECS_REGION}:${ACCOUNT}:task/${this.cluster}/${(++this.n).toString(16).padStart(32, '0')}`;
      const task = {
        taskArn: arn, containerInstanceArn, startedBy: input.startedBy, group: input.group, taskDefinitionArn: input.taskDefinition, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING',
        tags: input.tags, attachments: [{ id: `eni-attach-${this.n}`, type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [] }], input,
      };
      this.tasks.set(arn, task);
      const { input: _input, ...answer } = task;
      return { tasks: [answer], failures: [] };
    });
    this.mock.on(ListTasksCommand).callsFake((input: { startedBy?: string; desiredStatus?: string }) => ({
      taskArns: [...this.tasks.values()].filter((t) => (!input.startedBy || t.startedBy === input.startedBy) && (!input.desiredStatus || t.desiredStatus === input.desiredStatus)).map((t) => t.taskArn),
    }));
    this.mock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.flatMap((arn) => {
        const t = this.tasks.get(arn);
        if (!t) return [];
        const { input: _input, ...answer } = t;
        return [answer];
      }),
      failures: input.tasks.filter((arn) => !this.tasks.has(arn)).map((arn) => ({ arn, reason: 'MISSING' })),
    }));
    this.mock.on(StopTaskCommand).callsFake((input: { task: string }) => {
      const t = this.tasks.get(input.task)!;
      t.desiredStatus = 'STOPPED';
      return { task: { taskArn: t.taskArn, desiredStatus: 'STOPPED', lastStatus: t.lastStatus } };
    });
  }

  /**
   * A tenant container instance of the cluster (2 vCPU and 3,800 MiB unless told), registered as
   * a Host in `store` as the fleet's host discovery does, from the ContainerInstance that
   * DescribeContainerInstances answers (API Reference: ContainerInstance, Resource). Its Host.
   */
  async tenantHost(store: ObjectStore, ec2InstanceId: string, o: { cpuUnits?: number; memoryMiB?: number } = {}): Promise<Host> {
    const arn = `arn:aws:ecs:${ECS_REGION}:${ACCOUNT}:container-instance/${this.cluster}/${ec2InstanceId.slice(2).padStart(32, '0')}`;
    this.instances.set(ec2InstanceId, arn);
    const ci: ContainerInstance = {
      containerInstanceArn: arn, ec2InstanceId, status: 'ACTIVE', agentConnected: true,
      attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.1.10' }],
      registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: o.cpuUnits ?? 2048 }, { name: 'MEMORY', type: 'INTEGER', integerValue: o.memoryMiB ?? 3800 }],
    };
    await upsertEcsHost(store, ecsHostOf(ci)!);
    return (await store.get<Host>({ kind: 'Host', project: '', name: hostNameOf(arn) }))!;
  }

  private tdArn(family: string, revision: number) {
    return `arn:aws:ecs:${ECS_REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
  }

  /** ECS starts every provisioning task: its interface gets an address in the subnet. */
  startAll(addressOf: (n: number) => string = (n) => `10.0.3.${100 + n}`): void {
    let i = 0;
    for (const t of this.tasks.values()) {
      if (t.desiredStatus !== 'RUNNING' || t.lastStatus === 'RUNNING') continue;
      t.lastStatus = 'RUNNING';
      t.attachments = [{ ...t.attachments![0], status: 'ATTACHED', details: [{ name: 'subnetId', value: 'subnet-a' }, { name: 'privateIPv4Address', value: addressOf(++i) }] }];
    }
  }

  /** A task stops on its own (its host went away): ECS keeps it as STOPPED. */
  lose(taskArn: string): void {
    const t = this.tasks.get(taskArn)!;
    t.lastStatus = 'STOPPED';
    t.desiredStatus = 'STOPPED';
  }

  /** The HAProxy configuration a task runs (its task definition's BERTH_PROXY_CONFIG). */
  configOf(task: Task): string {
    return this.definitions.get(task.taskDefinitionArn!)?.containerDefinitions?.[0]?.environment?.find((e) => e.name === 'BERTH_PROXY_CONFIG')?.value ?? '';
  }

  live(): (Task & { input: RunTaskCommandInput })[] {
    return [...this.tasks.values()].filter((t) => t.desiredStatus === 'RUNNING');
  }

  sent(): { name: string; input: Record<string, unknown> }[] {
    return this.mock.calls().map((c) => {
      const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
      return { name: command.constructor.name.replace(/Command$/, ''), input: command.input };
    });
  }
}
