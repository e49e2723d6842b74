// The ECS BuildLauncher's requests, exactly: RunTask of the builder on the build capacity
// provider with the build named in env, startedBy and tags; DescribeTasks for liveness;
// StopTask only for tasks Berth's tags say it started.
import { DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsBuildLauncher, startedByOf } from '../../shared/aws/ecs-launcher.ts';

const CLUSTER = 'berth-fleet';
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/berth-fleet/0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const BUILD = { kind: 'Build', project: 'demo', name: 'hello-3' };
const ecs = mockClient(ECSClient);
const base = { client: new ECSClient({ region: 'eu-west-1' }), cluster: CLUSTER, taskDefinition: 'berth-builder', capacityProvider: 'berth-build-hosts' };
const ourTags = [
  { key: 'berth:managed', value: 'true' },
  { key: 'berth:project', value: 'demo' },
  { key: 'berth:build', value: 'hello-3' },
];
const inputs = (command: Parameters<typeof ecs.commandCalls>[0]) => ecs.commandCalls(command).map((c) => c.args[0].input);

beforeEach(() => ecs.reset());

describe('EcsBuildLauncher', () => {
  it('runs one builder task on the build capacity provider, naming the build in env, startedBy and tags', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING' }], failures: [] });
    expect(await new EcsBuildLauncher(base).launch(BUILD)).toBe(TASK);
    expect(inputs(RunTaskCommand)).toEqual([
      {
        cluster: CLUSTER,
        taskDefinition: 'berth-builder',
        count: 1,
        capacityProviderStrategy: [{ capacityProvider: 'berth-build-hosts', weight: 1 }],
        startedBy: 'demo/hello-3',
        overrides: {
          containerOverrides: [
            {
              name: 'builder',
              environment: [
                { name: 'BUILD_PROJECT', value: 'demo' },
                { name: 'BUILD_NAME', value: 'hello-3' },
              ],
            },
          ],
        },
        tags: ourTags,
      },
    ]);
  });

  it('with subnets (an awsvpc task definition), places the task in them without a public address', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    await new EcsBuildLauncher({ ...base, containerName: 'agent', subnets: ['subnet-0a', 'subnet-0b'], securityGroups: ['sg-0build'] }).launch(BUILD);
    const input = inputs(RunTaskCommand)[0]!;
    expect(input.networkConfiguration).toEqual({ awsvpcConfiguration: { subnets: ['subnet-0a', 'subnet-0b'], securityGroups: ['sg-0build'], assignPublicIp: 'DISABLED' } });
    expect(input.overrides?.containerOverrides?.[0]?.name).toBe('agent');
  });

  it('a RunTask that starts nothing is an error naming ECS\'s reasons', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: 'arn:aws:ecs:eu-west-1:123456789012:container-instance/x', reason: 'RESOURCE:MEMORY' }] });
    await expect(new EcsBuildLauncher(base).launch(BUILD)).rejects.toThrow(/demo\/hello-3: RESOURCE:MEMORY/);
  });

  it('startedBy stays within ECS\'s 128 characters, still naming the build', () => {
    const long = { kind: 'Build', project: 'p'.repeat(63), name: `${'b'.repeat(63)}-1234` };
    const s = startedByOf(long);
    expect(s.length).toBe(128);
    expect(s.startsWith(`${'p'.repeat(63)}/bbb`)).toBe(true);
    expect(startedByOf({ ...long, name: `${'b'.repeat(63)}-1235` })).not.toBe(s);
    expect(s).toMatch(/^[A-Za-z0-9_/-]+$/);
  });

  it.each([
    ['PROVISIONING', true],
    ['PENDING', true],
    ['RUNNING', true],
    ['DEPROVISIONING', true],
    ['STOPPED', false],
  ])('a task whose lastStatus is %s is running: %s', async (lastStatus, running) => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus }] });
    expect(await new EcsBuildLauncher(base).running(TASK)).toBe(running);
    expect(inputs(DescribeTasksCommand)).toEqual([{ cluster: CLUSTER, tasks: [TASK] }]);
  });

  it('a task ECS no longer knows is not running; other failures are errors', async () => {
    ecs.on(DescribeTasksCommand).resolvesOnce({ tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] }).resolves({ tasks: [], failures: [{ arn: TASK, reason: 'ACCESS_DENIED' }] });
    expect(await new EcsBuildLauncher(base).running(TASK)).toBe(false);
    await expect(new EcsBuildLauncher(base).running(TASK)).rejects.toThrow(/ACCESS_DENIED/);
  });

  it('stops a running task Berth started for a build, saying why', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', tags: ourTags }] });
    ecs.on(StopTaskCommand).resolves({});
    await new EcsBuildLauncher(base).stop(TASK);
    expect(inputs(DescribeTasksCommand)).toEqual([{ cluster: CLUSTER, tasks: [TASK], include: ['TAGS'] }]);
    expect(inputs(StopTaskCommand)).toEqual([{ cluster: CLUSTER, task: TASK, reason: 'Berth: the build was cancelled or ran past its deadline' }]);
  });

  it.each([
    ['no tags', []],
    ['berth:managed without berth:build (a pod, not a build)', [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'demo' }]],
    ['someone else\'s tags', [{ key: 'team', value: 'payments' }, { key: 'berth:build', value: 'hello-3' }]],
  ])('never stops a task with %s', async (_what, tags) => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', tags }] });
    await expect(new EcsBuildLauncher(base).stop(TASK)).rejects.toMatchObject({ code: 'NotOwned' });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  it('stopping a stopped or vanished task does nothing (idempotent)', async () => {
    ecs.on(DescribeTasksCommand).resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', tags: ourTags }] }).resolves({ tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] });
    await new EcsBuildLauncher(base).stop(TASK);
    await new EcsBuildLauncher(base).stop(TASK);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });
});
