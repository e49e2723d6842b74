// Pods' output on AWS read from CloudWatch Logs: the exact GetLogEvents requests for a whole
// stream (paged from the head until the forward token comes back unchanged), for `tail` (the last
// events, from the tail) and `since` (startTime); and ECS pods' streams (the newest task's, the
// previous task's with `previous`, no follow). Responses in the shape of the CloudWatch Logs API
// Reference, "GetLogEvents" (events[{timestamp, message, ingestionTime}], nextForwardToken,
// nextBackwardToken).
import { CloudWatchLogsClient, GetLogEventsCommand, type GetLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { text } from 'node:stream/consumers';
import { beforeEach, describe, expect, it } from 'vitest';
import { cloudWatchLogReader } from '../../shared/aws/cloudwatch-pod-logs.ts';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';

const logs = mockClient(CloudWatchLogsClient);
const ecs = mockClient(ECSClient);
const client = new CloudWatchLogsClient({ region: 'eu-west-1' });
const STREAM = { logGroup: 'berth-pods', logStream: 'demo/web/0a1b2c3d' };
const event = (message: string, timestamp: number) => ({ timestamp, message, ingestionTime: timestamp + 200 });
const inputs = (): GetLogEventsCommandInput[] => logs.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input);

beforeEach(() => {
  logs.reset();
  ecs.reset();
});

describe('cloudWatchLogReader', () => {
  it('reads a whole stream from its head, page after page, until the forward token comes back unchanged', async () => {
    logs
      .on(GetLogEventsCommand, { logGroupName: 'berth-pods', logStreamName: 'demo/web/0a1b2c3d', startFromHead: true })
      .resolves({ events: [event('one', 1), event('two\n', 2)], nextForwardToken: 'f/1', nextBackwardToken: 'b/0' })
      .on(GetLogEventsCommand, { nextToken: 'f/1' })
      .resolves({ events: [event('three', 3)], nextForwardToken: 'f/2', nextBackwardToken: 'b/1' })
      .on(GetLogEventsCommand, { nextToken: 'f/2' })
      .resolves({ events: [], nextForwardToken: 'f/2', nextBackwardToken: 'b/2' });
    expect(await cloudWatchLogReader(client)(STREAM)).toBe('one\ntwo\nthree\n');
    expect(inputs()).toEqual([
      { logGroupName: 'berth-pods', logStreamName: 'demo/web/0a1b2c3d', startFromHead: true },
      { logGroupName: 'berth-pods', logStreamName: 'demo/web/0a1b2c3d', startFromHead: true, nextToken: 'f/1' },
      { logGroupName: 'berth-pods', logStreamName: 'demo/web/0a1b2c3d', startFromHead: true, nextToken: 'f/2' },
    ]);
  });

  it('reads only the last events for tail, from the tail, and none for tail 0', async () => {
    logs.on(GetLogEventsCommand).resolves({ events: [event('nine', 9), event('ten', 10)], nextForwardToken: 'f/10', nextBackwardToken: 'b/8' });
    expect(await cloudWatchLogReader(client)({ ...STREAM, tail: 2 })).toBe('nine\nten\n');
    expect(await cloudWatchLogReader(client)({ ...STREAM, tail: 0 })).toBe('');
    expect(inputs()).toEqual([{ logGroupName: 'berth-pods', logStreamName: 'demo/web/0a1b2c3d', startFromHead: false, limit: 2 }]);
  });

  it('reads from startTime for since (milliseconds since the epoch)', async () => {
    logs.on(GetLogEventsCommand).resolves({ events: [event('new', 1_700_000_000_000)], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' });
    const read = cloudWatchLogReader(client, () => 1_700_000_060_000);
    expect(await read({ ...STREAM, sinceSeconds: 60, tail: 5 })).toBe('new\n');
    expect(inputs()).toEqual([{ logGroupName: 'berth-pods', logStreamName: 'demo/web/0a1b2c3d', startTime: 1_700_000_000_000, startFromHead: false, limit: 5 }]);
  });

  it('passes on a stream that does not exist as the SDK error', async () => {
    logs.on(GetLogEventsCommand).rejects(Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' }));
    await expect(cloudWatchLogReader(client)(STREAM)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe("ECS pods' log streams", () => {
  const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/berth';
  const INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth/i1';
  const task = (id: string, createdAt: number, lastStatus = 'RUNNING'): Task => ({
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/berth/${id}`,
    lastStatus,
    desiredStatus: lastStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED',
    createdAt: new Date(createdAt),
    containers: [{ name: 'web' }],
    startedBy: podToken('demo', 'web-3-x7k2p'),
    containerInstanceArn: INSTANCE,
    tags: [{ key: 'berth:managed', value: 'true' }],
  });
  const pods = () =>
    new EcsPodContainers({
      client: new ECSClient({ region: 'eu-west-1' }),
      cluster: CLUSTER,
      containerInstanceArn: INSTANCE,
      executionRoleOf: (project) => `arn:aws:iam::123456789012:role/berth/projects/berth-${project}`,
      logGroup: 'berth-pods',
      region: 'eu-west-1',
      readLogs: cloudWatchLogReader(client),
    });

  it("reads the newest task's stream, and with previous the task before it", async () => {
    ecs.on(ListTasksCommand, { startedBy: podToken('demo', 'web-3-x7k2p') }).resolves({ taskArns: [task('new', 2000).taskArn!] });
    ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [task('old', 1000, 'STOPPED').taskArn!] });
    ecs.on(DescribeTasksCommand).callsFake(({ tasks }: { tasks: string[] }) => ({ tasks: tasks.map((arn) => (arn.endsWith('/new') ? task('new', 2000) : task('old', 1000, 'STOPPED'))) }));
    logs.on(GetLogEventsCommand, { logStreamName: 'demo/web/new' }).resolves({ events: [event('second run', 2)], nextForwardToken: 'f', nextBackwardToken: 'b' });
    logs.on(GetLogEventsCommand, { logStreamName: 'demo/web/old' }).resolves({ events: [event('first run', 1)], nextForwardToken: 'f', nextBackwardToken: 'b' });
    expect(await text(await pods().streamLogs('demo', 'web-3-x7k2p', { tail: 10 }))).toBe('second run\n');
    expect(await text(await pods().streamLogs('demo', 'web-3-x7k2p', { previous: true, tail: 10 }))).toBe('first run\n');
    expect(inputs().map((i) => i.logStreamName)).toEqual(['demo/web/new', 'demo/web/old']);
  });

  it('cannot follow (a 501 saying to read without -f)', async () => {
    await expect(pods().streamLogs('demo', 'web-3-x7k2p', { follow: true })).rejects.toMatchObject({ status: 501, message: expect.stringMatching(/cannot be followed/) });
    expect(ecs.calls()).toHaveLength(0);
  });
});
