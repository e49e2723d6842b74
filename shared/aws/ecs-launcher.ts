// The AWS BuildLauncher: each Build runs as one ECS task of the builder task definition, placed
// by RunTask on the build-only capacity provider (the hosts whose Docker socket builds may use).
// Tasks carry Berth's tags; Berth stops only tasks whose tags say it started them.
import { createHash } from 'node:crypto';
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type ECSClient, type RunTaskCommandInput, type Task } from '@aws-sdk/client-ecs';
import type { ObjectRef } from '../model/types.ts';
import type { BuildLauncher } from '../builds/ports.ts';
import { credentialsEnvironment, type BuildCredentials } from './build-credentials.ts';
import { MANAGED_TAG, NotOwnedError, PROJECT_TAG, ownedByBerth } from './ownership.ts';

export const BUILD_TAG = 'berth:build';
const STOP_REASON = 'Berth: the build was cancelled or ran past its deadline';
/** ECS keeps `startedBy` to 128 characters. */
const STARTED_BY_MAX = 128;

export interface EcsLauncherOptions {
  client: ECSClient;
  cluster: string;
  /** The builder task definition: family, family:revision or ARN. */
  taskDefinition: string;
  /** The build-only capacity provider. */
  capacityProvider: string;
  /** The builder container of the task definition. Default `builder`. */
  containerName?: string;
  /** For a task definition in awsvpc network mode only; leave out for bridge mode. */
  subnets?: string[];
  securityGroups?: string[];
  /** The credentials of one build (build-credentials.ts), passed to its task; the task role holds nothing. */
  credentials?: (build: ObjectRef) => Promise<BuildCredentials>;
}

/** `startedBy` of a build's task: `<project>/<build>`, shortened with a hash if ECS would refuse its length. */
export function startedByOf(build: ObjectRef): string {
  const full = `${build.project}/${build.name}`;
  if (full.length <= STARTED_BY_MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 16);
  return `${full.slice(0, STARTED_BY_MAX - hash.length - 1)}-${hash}`;
}

/** The RunTask input for one build: pure, so the request is easy to read and to test. */
export function runTaskInput(opts: Omit<EcsLauncherOptions, 'client' | 'credentials'>, build: ObjectRef, credentials?: BuildCredentials): RunTaskCommandInput {
  return {
    cluster: opts.cluster,
    taskDefinition: opts.taskDefinition,
    count: 1,
    capacityProviderStrategy: [{ capacityProvider: opts.capacityProvider, weight: 1 }],
    startedBy: startedByOf(build),
    overrides: {
      containerOverrides: [
        {
          name: opts.containerName ?? 'builder',
          environment: [
            { name: 'BUILD_PROJECT', value: build.project },
            { name: 'BUILD_NAME', value: build.name },
            ...(credentials ? credentialsEnvironment(credentials) : []),
          ],
        },
      ],
    },
    tags: [
      { key: MANAGED_TAG, value: 'true' },
      { key: PROJECT_TAG, value: build.project },
      { key: BUILD_TAG, value: build.name },
    ],
    ...(opts.subnets?.length
      ? { networkConfiguration: { awsvpcConfiguration: { subnets: opts.subnets, securityGroups: opts.securityGroups, assignPublicIp: 'DISABLED' as const } } }
      : {}),
  };
}

export class EcsBuildLauncher implements BuildLauncher {
  constructor(private readonly opts: EcsLauncherOptions) {}

  /** Runs the builder task for `build`; returns its task ARN. */
  async launch(build: ObjectRef): Promise<string> {
    const { client, credentials, ...rest } = this.opts;
    const out = await client.send(new RunTaskCommand(runTaskInput(rest, build, await credentials?.(build))));
    const arn = out.tasks?.[0]?.taskArn;
    if (!arn) {
      const why = (out.failures ?? []).map((f) => [f.reason, f.detail, f.arn].filter(Boolean).join(' ')).join('; ') || 'no reason given';
      throw new Error(`ECS RunTask started no builder task for ${build.project}/${build.name}: ${why}`);
    }
    return arn;
  }

  /** Whether the task has not yet stopped (ECS forgets stopped tasks after a while: gone is stopped). */
  async running(agent: string): Promise<boolean> {
    const task = await this.describe(agent, false);
    return task !== undefined && task.lastStatus !== 'STOPPED' && task.lastStatus !== 'DELETED';
  }

  /** Stops the task, if Berth started it for a build; a stopped or vanished task is left be. */
  async stop(agent: string): Promise<void> {
    const task = await this.describe(agent, true);
    if (!task || task.lastStatus === 'STOPPED' || task.lastStatus === 'DELETED') return;
    const tags = Object.fromEntries((task.tags ?? []).map((t) => [t.key ?? '', t.value]));
    if (!ownedByBerth(tags) || !tags[BUILD_TAG]) throw new NotOwnedError(`ECS task ${agent}`);
    await this.opts.client.send(new StopTaskCommand({ cluster: this.opts.cluster, task: agent, reason: STOP_REASON }));
  }

  private async describe(agent: string, withTags: boolean): Promise<Task | undefined> {
    const out = await this.opts.client.send(
      new DescribeTasksCommand({ cluster: this.opts.cluster, tasks: [agent], ...(withTags ? { include: ['TAGS' as const] } : {}) }),
    );
    const task = out.tasks?.find((t) => t.taskArn === agent) ?? out.tasks?.[0];
    if (task) return task;
    const failure = out.failures?.find((f) => f.reason !== 'MISSING');
    if (failure) throw new Error(`ECS DescribeTasks failed for ${agent}: ${failure.reason} ${failure.detail ?? ''}`.trim());
    return undefined;
  }
}
