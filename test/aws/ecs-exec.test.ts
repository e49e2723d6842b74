// Sessions into pods and pod logs on AWS, through the API as the Lambda serves it (the same Hono
// app over DynamoDB Local) with ECS, Session Manager and CloudWatch Logs mocked
// (aws-sdk-client-mock), asserting the exact requests.
// Response shapes: ECS API Reference, "ListTasks" (taskArns), "DescribeTasks" (tasks[] with
// containers[].runtimeId, tags), "ExecuteCommand" (session{sessionId, streamUrl, tokenValue});
// Systems Manager API Reference, "StartSession" (SessionId, StreamUrl, TokenValue; errors as
// {__type, message}); CloudWatch Logs API Reference, "GetLogEvents" (events, nextForwardToken).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { SSMClient, StartSessionCommand, TargetNotConnected } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cloudWatchLogPages, cloudWatchLogReader } from '../../shared/aws/cloudwatch-pod-logs.ts';
import { EcsExecBroker, PORT_FORWARDING_DOCUMENT, wrappedCommand } from '../../shared/aws/ecs-exec.ts';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import { testApi, type TestApi } from '../support/api.ts';

const REGION = 'eu-west-1';
const CLUSTER = 'berth';
const TASK_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TASK_ARN = `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/${TASK_ID}`;
const INSTANCE = `arn:aws:ecs:${REGION}:123456789012:container-instance/${CLUSTER}/5c1e0a7d`;
const RUNTIME = `${TASK_ID}-2531612879`;
const PROJECT = 'shop';
const POD = 'web-2-x7k2p';

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
const ssm = mockClient(SSMClient);
const ecsClient = new ECSClient({ region: REGION });
const logsClient = new CloudWatchLogsClient({ region: REGION });

const task = (over: Partial<Task> = {}, tags: Record<string, string> = { 'berth:managed': 'true', 'berth:project': PROJECT, 'berth:pod': POD }): Task => ({
  taskArn: TASK_ARN,
  clusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/${CLUSTER}`,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  enableExecuteCommand: true,
  startedBy: podToken(PROJECT, POD),
  containerInstanceArn: INSTANCE,
  createdAt: new Date(1_700_000_000_000),
  containers: [{ name: 'web', runtimeId: RUNTIME, lastStatus: 'RUNNING', managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }] }],
  tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  ...over,
});

const broker = () =>
  new EcsExecBroker({
    ecs: ecsClient,
    ssm: new SSMClient({ region: REGION }),
    cluster: CLUSTER,
    uidFor: async () => 1_000_070_000,
  });

let api: TestApi;
let owner = '';

beforeAll(async () => {
  api = await testApi({
    sessions: broker(),
    fleet: {
      containersFor: (host) =>
        host.spec.provider === 'ecs'
          ? new EcsPodContainers({ client: ecsClient, cluster: CLUSTER, containerInstanceArn: host.spec.endpoint!, region: REGION, logGroup: 'berth-pods', readLogs: cloudWatchLogReader(logsClient), readLogPage: cloudWatchLogPages(logsClient) })
          : undefined,
    },
  });
  owner = await api.user('owner');
  expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: PROJECT }, spec: {} })).status).toBe(201);
  await api.store.create({ kind: 'Host', metadata: { name: 'ecs-i1', project: '' }, spec: { provider: 'ecs', endpoint: INSTANCE, address: '10.0.1.5', capacity: { cpu: '2', memory: '8Gi' }, unschedulable: false } });
  await api.store.create({ kind: 'Pod', metadata: { name: POD, project: PROJECT }, spec: { host: 'ecs-i1', containers: [{ name: 'web', image: 'x', env: [], ports: [], resources: { requests: {}, limits: {} } }] } as never, status: { phase: 'Running', conditions: [] } as never });
}, 120_000);

beforeEach(() => {
  ecs.reset();
  logs.reset();
  ssm.reset();
  // The pod's task, listed by its token (running) or by its host (stopped).
  ecs.on(ListTasksCommand).resolves({ taskArns: [TASK_ARN] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [task()], failures: [] });
});

const exec = `/api/v1/projects/${PROJECT}/pods/${POD}/exec`;
const forward = `/api/v1/projects/${PROJECT}/pods/${POD}/portforward`;

describe('exec and rsh through ECS Exec', () => {
  it('finds the pod\'s running task and sends ExecuteCommand for it, interactive, the command wrapped; answers the session and audits it', async () => {
    ecs.on(ExecuteCommandCommand).resolves({
      clusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/${CLUSTER}`,
      containerArn: `arn:aws:ecs:${REGION}:123456789012:container/${CLUSTER}/${TASK_ID}/c1`,
      containerName: 'web',
      interactive: true,
      session: { sessionId: 'ecs-execute-command-0a1b2c3d', streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c3d?role=publish_subscribe`, tokenValue: 'AAEAAT-token' },
      taskArn: TASK_ARN,
    });
    const res = await api.call('POST', exec, owner, { command: ['python', 'manage.py', 'migrate'], stdin: true, tty: false });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      sessionId: 'ecs-execute-command-0a1b2c3d',
      streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c3d?role=publish_subscribe`,
      tokenValue: 'AAEAAT-token',
      exitMarker: expect.stringMatching(/^@@berth-exit-[0-9a-f]{24}:$/),
    });
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: CLUSTER, startedBy: podToken(PROJECT, POD), desiredStatus: 'RUNNING' }]);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: CLUSTER, tasks: [TASK_ARN], include: ['TAGS'] }]);
    expect(ecs.commandCalls(ExecuteCommandCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, task: TASK_ARN, container: 'web', interactive: true, command: wrappedCommand(['python', 'manage.py', 'migrate'], 1_000_070_000, res.body.exitMarker, false) },
    ]);
    const events = await api.call('GET', `/api/v1/projects/${PROJECT}/events`, owner);
    expect(JSON.stringify(events.body)).toContain('user \\"owner\\" exec: python manage.py migrate (session ecs-execute-command-0a1b2c3d)');
  });

  it('says how sessions are had on a plain GET, after the same checks', async () => {
    const res = await api.call('GET', `${exec}?command=sh`, owner);
    expect(res).toEqual({ status: 200, body: { pod: POD, transport: 'brokered' } });
    expect(ecs.calls()).toHaveLength(0);
  });

  it.each([
    ['another project\'s tags', { 'berth:managed': 'true', 'berth:project': 'other', 'berth:pod': POD }],
    ['another pod\'s tag', { 'berth:managed': 'true', 'berth:project': PROJECT, 'berth:pod': 'web-2-zzzzz' }],
    ['no Berth tag', { 'berth:project': PROJECT, 'berth:pod': POD }],
  ])('refuses a task with %s (409) and sends no ExecuteCommand', async (_, tags) => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task({}, tags)] });
    const res = await api.call('POST', exec, owner, { command: ['id'] });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('has no running task');
    expect(ecs.commandCalls(ExecuteCommandCommand)).toHaveLength(0);
  });

  it.each([
    [{ command: [] }, 'command'],
    [{ command: 'id' }, 'command'],
    [{ command: ['printf', 'a\u0000b'] }, 'command'],
    [{ command: ['id'], tty: 'yes' }, 'tty'],
    [{ command: ['id'], user: 'root' }, 'user'],
  ])('refuses a bad body %j with 422 naming %s, before any AWS call', async (body, field) => {
    const res = await api.call('POST', exec, owner, body);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain(field);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('the wrapper runs the command as the given UID, prints its status after the marker, and keeps its arguments whole', async () => {
    const uid = process.getuid!();
    const command = wrappedCommand(['sh', '-c', 'printf "%s|" "$@"; exit 5', 'x', "it's", 'two words', '$HOME'], uid, '@@m:', false);
    // The SSM agent runs the command string with `sh -c`.
    const run = await promisify(execFile)('/bin/sh', ['-c', command]).catch((err: { code: number; stdout: string }) => err);
    expect((run as { code: number }).code).toBe(5);
    expect(run.stdout).toBe("it's|two words|$HOME|\n@@m:5\n");
  });
});

describe('port-forward through Session Manager', () => {
  it('sends StartSession with the port-forwarding document on the task\'s SSM target, and answers the session', async () => {
    ssm.on(StartSessionCommand).resolves({ SessionId: 'owner-0f1e2d3c4b5a69788', StreamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/owner-0f1e2d3c4b5a69788?role=publish_subscribe`, TokenValue: 'AAEAAS-token' });
    const res = await api.call('POST', forward, owner, { port: 5432 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ sessionId: 'owner-0f1e2d3c4b5a69788', streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/owner-0f1e2d3c4b5a69788?role=publish_subscribe`, tokenValue: 'AAEAAS-token' });
    expect(ssm.commandCalls(StartSessionCommand).map((c) => c.args[0].input)).toEqual([
      { Target: `ecs:${CLUSTER}_${TASK_ID}_${RUNTIME}`, DocumentName: PORT_FORWARDING_DOCUMENT, Parameters: { portNumber: ['5432'] } },
    ]);
    expect(ssm.calls()).toHaveLength(1);
    expect(JSON.stringify((await api.call('GET', `/api/v1/projects/${PROJECT}/events`, owner)).body)).toContain('port-forward: port 5432 (session owner-0f1e2d3c4b5a69788)');
  });

  it('turns Session Manager\'s TargetNotConnected into a 503 saying why, and opens nothing', async () => {
    // Systems Manager API Reference, StartSession, Errors: TargetNotConnected (HTTP 400).
    ssm.on(StartSessionCommand).rejects(new TargetNotConnected({ message: `ecs:${CLUSTER}_${TASK_ID}_${RUNTIME} is not connected.`, $metadata: { httpStatusCode: 400 } }));
    const res = await api.call('POST', forward, owner, { port: 5432 });
    expect(res.status).toBe(503);
    expect(res.body.message).toContain('not connected');
    expect(ssm.commandCalls(StartSessionCommand)).toHaveLength(1);
  });

  it('refuses a port out of range with 422 naming port, before any AWS call', async () => {
    const res = await api.call('POST', forward, owner, { port: 70_000 });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('port');
    expect(ecs.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('pod logs followed by polling', () => {
  it('answers the log with a cursor, then only what the same task wrote since, until the task stops', async () => {
    const stream = { logGroupName: 'berth-pods', logStreamName: `${PROJECT}/web/${TASK_ID}` };
    logs
      .on(GetLogEventsCommand, { ...stream, startFromHead: false, limit: 10 })
      .resolves({ events: [{ timestamp: 1, message: 'started', ingestionTime: 2 }], nextForwardToken: 'f/00001', nextBackwardToken: 'b/00000' })
      .on(GetLogEventsCommand, { ...stream, startFromHead: true, nextToken: 'f/00001' })
      .resolves({ events: [{ timestamp: 3, message: 'GET / 200', ingestionTime: 4 }], nextForwardToken: 'f/00002', nextBackwardToken: 'b/00001' })
      .on(GetLogEventsCommand, { ...stream, startFromHead: true, nextToken: 'f/00002' })
      .resolves({ events: [], nextForwardToken: 'f/00002', nextBackwardToken: 'b/00002' });
    const first = await api.app.request(`/api/v1/projects/${PROJECT}/pods/${POD}/log?follow=1&tail=10`, { headers: { Authorization: `Bearer ${owner}` } });
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('started\n');
    expect(first.headers.get('X-Log-Ended')).toBe('false');
    const cursor = first.headers.get('X-Log-Cursor')!;
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })] });
    const next = await api.app.request(`/api/v1/projects/${PROJECT}/pods/${POD}/log?follow=1&cursor=${encodeURIComponent(cursor)}`, { headers: { Authorization: `Bearer ${owner}` } });
    expect(await next.text()).toBe('GET / 200\n');
    expect(next.headers.get('X-Log-Ended')).toBe('true');
    expect(logs.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { ...stream, startFromHead: false, limit: 10 },
      { ...stream, startFromHead: true, nextToken: 'f/00001' },
      { ...stream, startFromHead: true, nextToken: 'f/00002' },
    ]);
  });

  it('refuses a cursor naming a task that is not the pod\'s, or one it did not give, and reads no stream', async () => {
    const forged = Buffer.from(JSON.stringify({ t: 'ffffffffffffffffffffffffffffffff', n: 'f/1' })).toString('base64url');
    for (const cursor of [forged, 'not-a-cursor']) {
      const res = await api.call('GET', `/api/v1/projects/${PROJECT}/pods/${POD}/log?follow=1&cursor=${cursor}`, owner);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('BadCursor');
    }
    expect(logs.calls()).toHaveLength(0);
  });
});
