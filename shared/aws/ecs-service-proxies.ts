// The ECS adapter of Services' proxies (service-proxy-task.ts builds what it sends): one task per
// Service, run with RunTask on a tenant host ECS chooses, on the project's network. A Service's
// proxy tasks are found by their `startedBy` token and used, replaced or stopped only while their
// tags say Berth ran them for that project and Service (STYLE 7). A proxy whose task definition
// changed (the Service's ports did) is replaced: the new task is run, and the old ones are
// stopped once it runs. A proxy that stopped (its host went, it failed) is run again by the next
// pass: the reconciler looks at every Service at least once a minute (its resync).
// AWS documentation: Amazon ECS API Reference, ListTasks (startedBy; desiredStatus),
// DescribeTasks (include TAGS; Task.attachments ElasticNetworkInterface privateIPv4Address),
// DescribeTaskDefinition (include TAGS), RegisterTaskDefinition, RunTask (tasks, failures
// with reason and arn), StopTask.
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import type { ServiceProxies, ServiceProxySpec } from '../services/discovery.ts';
import { tagMap } from './ecs-pod-spec.ts';
import { NotOwnedError, ownedByBerth } from './ownership.ts';
import { taskAddress } from './pod-network.ts';
import { PROXY_TAGS, proxyContentHash, proxyRunTaskInput, proxyTags, proxyTaskDefinitionInput, proxyToken, type ServiceProxySettings } from './service-proxy-task.ts';

const STOP_REASON = 'Berth: the Service was deleted or its proxy replaced';

export interface EcsServiceProxiesOptions extends ServiceProxySettings {
  client: Pick<ECSClient, 'send'>;
  cluster: string;
  /** The tenant hosts' private subnets, where the proxies' interfaces go. */
  subnets: string[];
  /** The project's security group (project-security-groups.ts), made when missing. */
  securityGroupOf(project: string): Promise<string>;
}

export class EcsServiceProxies implements ServiceProxies {
  /** Registered task definitions by content hash: a warm function registers nothing again. */
  private readonly taskDefinitions = new Map<string, string>();

  constructor(private readonly o: EcsServiceProxiesOptions) {}

  private async send<T>(command: object): Promise<T> {
    return (await this.o.client.send(command as never)) as T;
  }

  /** The Service's proxy tasks that ECS means to keep running; any not tagged as Berth's for that Service is refused. */
  private async tasks(project: string, service: string): Promise<Task[]> {
    const { taskArns = [] } = await this.send<{ taskArns?: string[] }>(new ListTasksCommand({ cluster: this.o.cluster, startedBy: proxyToken(project, service), desiredStatus: 'RUNNING' }));
    if (!taskArns.length) return [];
    const { tasks = [] } = await this.send<{ tasks?: Task[] }>(new DescribeTasksCommand({ cluster: this.o.cluster, tasks: taskArns, include: ['TAGS'] }));
    for (const t of tasks) {
      const tags = tagMap(t.tags);
      if (!ownedByBerth(tags, project) || tags[PROXY_TAGS.service] !== service) throw new NotOwnedError(`ECS task ${t.taskArn}`);
    }
    return tasks.filter((t) => t.desiredStatus !== 'STOPPED');
  }

  private async taskDefinition(spec: ServiceProxySpec, hash: string, input: ReturnType<typeof proxyTaskDefinitionInput>): Promise<string> {
    const cached = this.taskDefinitions.get(hash);
    if (cached) return cached;
    const latest = await this.send<{ taskDefinition?: { taskDefinitionArn?: string; status?: string }; tags?: { key?: string; value?: string }[] }>(
      new DescribeTaskDefinitionCommand({ taskDefinition: input.family, include: ['TAGS'] }),
    ).catch((err: unknown) => {
      // A family ECS has never seen.
      if ((err as { name?: string }).name === 'ClientException') return undefined;
      throw err;
    });
    let arn = latest?.taskDefinition?.status === 'ACTIVE' && tagMap(latest.tags)[PROXY_TAGS.contentHash] === hash ? latest.taskDefinition.taskDefinitionArn : undefined;
    if (!arn) {
      const out = await this.send<{ taskDefinition?: { taskDefinitionArn?: string } }>(new RegisterTaskDefinitionCommand({ ...input, tags: proxyTags(spec, hash) }));
      arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new Error(`ECS registered no task definition for family ${input.family}`);
    }
    this.taskDefinitions.set(hash, arn);
    return arn;
  }

  async ensure(spec: ServiceProxySpec): Promise<{ address?: string }> {
    const input = proxyTaskDefinitionInput(spec, this.o);
    const hash = proxyContentHash(input);
    const tasks = await this.tasks(spec.project, spec.service);
    const current = tasks.filter((t) => tagMap(t.tags)[PROXY_TAGS.contentHash] === hash);
    const running = current.find((t) => t.lastStatus === 'RUNNING' && taskAddress(t));
    if (!current.length) {
      const taskDefinition = await this.taskDefinition(spec, hash, input);
      const securityGroup = await this.o.securityGroupOf(spec.project);
      const out = await this.send<{ tasks?: Task[]; failures?: { arn?: string; reason?: string; detail?: string }[] }>(
        new RunTaskCommand(proxyRunTaskInput(spec, { cluster: this.o.cluster, taskDefinition, hash, subnets: this.o.subnets, securityGroup })),
      );
      // ECS API Reference, RunTask: a task ECS could not place is a failure (RESOURCE:MEMORY, …), not an error.
      if (!out.tasks?.length) throw new Error(`ECS could not run the proxy of Service ${spec.project}/${spec.service}: ${(out.failures ?? []).map((f) => f.reason ?? f.detail).join(', ') || 'no task'}`);
    }
    if (!running) return {};
    // The old proxies go once the new one answers; a second current one (two passes raced) goes too.
    for (const t of tasks) if (t !== running) await this.stop(t);
    return { address: taskAddress(running)! };
  }

  async remove(project: string, service: string): Promise<'done' | 'pending'> {
    for (const t of await this.tasks(project, service)) await this.stop(t);
    return 'done';
  }

  private async stop(task: Task): Promise<void> {
    await this.send(new StopTaskCommand({ cluster: this.o.cluster, task: task.taskArn, reason: STOP_REASON }));
  }
}
