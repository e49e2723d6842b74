// Attack, on AWS: a stranger who signed up a minute ago goes for another tenant's pod through the
// brokered sessions (exec and rsh through ECS Exec, port-forward through Session Manager) and
// the pod logs read from CloudWatch Logs, through the API as the Lambda serves it: by the pod's
// name in the victim's project, by its name under a project of their own, and with a log cursor
// naming the victim's task. Every attempt is refused before any AWS call is made: no ListTasks,
// no ExecuteCommand, no StartSession, no GetLogEvents. A `view` member of the victim's project
// reads logs but is refused exec and port-forward, again with no AWS call.
// AWS answers are mocked (aws-sdk-client-mock; ECS API Reference "ListTasks", "DescribeTasks",
// "ExecuteCommand"; Systems Manager API Reference "StartSession").
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cloudWatchLogPages, cloudWatchLogReader } from '../../shared/aws/cloudwatch-pod-logs.ts';
import { EcsExecBroker, EXEC_WRAPPER, wrappedCommand } from '../../shared/aws/ecs-exec.ts';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import { testApi, type TestApi } from '../support/api.ts';

const REGION = 'eu-west-1';
const CLUSTER = 'berth';
const INSTANCE = `arn:aws:ecs:${REGION}:123456789012:container-instance/${CLUSTER}/5c1e0a7d`;
const VICTIM = 'bank';
const OWN = 'mallory-lab';
const POD = 'db-1-aaaaa';
const VICTIM_TASK = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
const ecsClient = new ECSClient({ region: REGION });
const logsClient = new CloudWatchLogsClient({ region: REGION });
const ssm = mockClient(SSMClient);

let api: TestApi;
let victim = '';
let viewer = '';
let mallory = '';

const awsCalls = () => ecs.calls().length + logs.calls().length + ssm.calls().length;

beforeAll(async () => {
  api = await testApi({
    sessions: new EcsExecBroker({ ecs: ecsClient, ssm: new SSMClient({ region: REGION }), cluster: CLUSTER, uidFor: async () => 1_000_070_000 }),
    fleet: {
      containersFor: (host) =>
        new EcsPodContainers({ client: ecsClient, cluster: CLUSTER, containerInstanceArn: host.spec.endpoint!, region: REGION, logGroup: 'berth-pods', readLogs: cloudWatchLogReader(logsClient), readLogPage: cloudWatchLogPages(logsClient) }),
    },
  });
  victim = await api.user('victim');
  viewer = await api.user('viewer');
  mallory = await api.user('mallory');
  for (const [project, token] of [[VICTIM, victim], [OWN, mallory]] as const) {
    expect((await api.call('POST', '/api/v1/projects', token, { metadata: { name: project }, spec: {} })).status).toBe(201);
  }
  expect((await api.call('POST', `/api/v1/projects/${VICTIM}/rolebindings`, victim, { metadata: { name: 'viewers' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
  await api.store.create({ kind: 'Host', metadata: { name: 'ecs-i1', project: '' }, spec: { provider: 'ecs', endpoint: INSTANCE, address: '10.0.1.5', capacity: { cpu: '2', memory: '8Gi' }, unschedulable: false } });
  const pod = (project: string, name: string) =>
    api.store.create({ kind: 'Pod', metadata: { name, project }, spec: { host: 'ecs-i1', containers: [{ name: 'web', image: 'x', env: [], ports: [], resources: { requests: {}, limits: {} } }] } as never, status: { phase: 'Running', conditions: [] } as never });
  await pod(VICTIM, POD);
  await pod(OWN, 'web-1-bbbbb');
}, 120_000);

beforeEach(() => {
  ecs.reset();
  logs.reset();
  ssm.reset();
  ssm.on(StartSessionCommand).resolves({ SessionId: 's', StreamUrl: 'wss://x', TokenValue: 't' });
  // Were a request to get through, AWS would answer with the victim's task: the tests prove none does.
  const task = { taskArn: `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/${VICTIM_TASK}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedBy: podToken(VICTIM, POD), containerInstanceArn: INSTANCE, containers: [{ name: 'web', runtimeId: `${VICTIM_TASK}-1` }], tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: VICTIM }, { key: 'berth:pod', value: POD }] };
  ecs.on(ListTasksCommand).resolves({ taskArns: [task.taskArn] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [task] });
  ecs.on(ExecuteCommandCommand).resolves({ session: { sessionId: 's', streamUrl: 'wss://x', tokenValue: 't' } });
  logs.on(GetLogEventsCommand).resolves({ events: [{ timestamp: 1, message: 'victim-secret-line', ingestionTime: 2 }], nextForwardToken: 'f/1' });
});

const base = (project: string, pod: string) => `/api/v1/projects/${project}/pods/${pod}`;

describe("a stranger and another tenant's pod on AWS", () => {
  it.each([
    ['by name in the victim\'s project', VICTIM, POD, 403],
    ['by its name under a project of their own', OWN, POD, 404],
    ['with the victim\'s project smuggled into the name', OWN, `..%2F..%2F${VICTIM}%2Fpods%2F${POD}`, 404],
  ])('cannot open an exec or port-forward session, nor read or follow the log, %s; no AWS call is made', async (_, project, pod, status) => {
    const attempts = await Promise.all([
      api.call('POST', `${base(project, pod)}/exec`, mallory, { command: ['cat', '/proc/1/environ'], tty: true }),
      api.call('POST', `${base(project, pod)}/portforward`, mallory, { port: 5432 }),
      api.call('GET', `${base(project, pod)}/exec?command=sh`, mallory),
      api.call('GET', `${base(project, pod)}/log`, mallory),
      api.call('GET', `${base(project, pod)}/log?follow=1`, mallory),
    ]);
    for (const res of attempts) {
      expect([status, 400]).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toMatch(/victim-secret-line|tokenValue|streamUrl/);
    }
    expect(awsCalls()).toBe(0);
  });

  it("cannot reach the victim's log stream with a cursor naming the victim's task through a pod of their own", async () => {
    const cursor = Buffer.from(JSON.stringify({ t: VICTIM_TASK, n: 'f/1' })).toString('base64url');
    const res = await api.call('GET', `${base(OWN, 'web-1-bbbbb')}/log?follow=1&cursor=${cursor}`, mallory);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BadCursor');
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(0);
    expect(ecs.commandCalls(ExecuteCommandCommand)).toHaveLength(0);
  });

  it("cannot open a session into their own pod that lands in the victim's task: a task tagged for another pod is refused", async () => {
    const res = await api.call('POST', `${base(OWN, 'web-1-bbbbb')}/exec`, mallory, { command: ['id'] });
    expect(res.status).toBe(409);
    expect(ecs.commandCalls(ExecuteCommandCommand)).toHaveLength(0);
    expect((await api.call('POST', `${base(OWN, 'web-1-bbbbb')}/portforward`, mallory, { port: 5432 })).status).toBe(409);
    expect(ssm.commandCalls(StartSessionCommand)).toHaveLength(0);
  });
});

describe("a view member of the victim's project on AWS", () => {
  it('is refused exec and port-forward (403) with no AWS call, and may read the log', async () => {
    for (const res of [
      await api.call('POST', `${base(VICTIM, POD)}/exec`, viewer, { command: ['sh'] }),
      await api.call('POST', `${base(VICTIM, POD)}/portforward`, viewer, { port: 5432 }),
      await api.call('GET', `${base(VICTIM, POD)}/portforward?port=5432`, viewer),
    ]) {
      expect(res.status).toBe(403);
    }
    expect(awsCalls()).toBe(0);
    const log = await api.call('GET', `${base(VICTIM, POD)}/log?tail=5`, viewer);
    expect(log.status).toBe(200);
    expect(log.body).toBe('victim-secret-line\n');
  });
});

describe('a tenant in a pod of their own on AWS', () => {
  it('cannot break out of the exec command\'s quoting: every argument reaches the wrapper as one word, read back by a real shell; a NUL is refused', async () => {
    const own = { taskArn: `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/b0b1b2b3`, lastStatus: 'RUNNING', containers: [{ name: 'web' }], tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: OWN }, { key: 'berth:pod', value: 'web-1-bbbbb' }] };
    ecs.on(DescribeTasksCommand).resolves({ tasks: [own] });
    const dir = mkdtempSync(join(tmpdir(), 'berth-exec-quoting-'));
    const hostile = [`$(touch ${dir}/1)`, `\`touch ${dir}/2\``, `'; touch ${dir}/3; '`, `"; touch ${dir}/4; "`, `x\ntouch ${dir}/5`, '\\', '$0', ' '];
    const res = await api.call('POST', `${base(OWN, 'web-1-bbbbb')}/exec`, mallory, { command: ['id', ...hostile] });
    expect(res.status).toBe(201);
    const [sent] = ecs.commandCalls(ExecuteCommandCommand).map((c) => c.args[0].input);
    expect(sent).toEqual({ cluster: CLUSTER, task: own.taskArn, container: 'web', interactive: true, command: wrappedCommand(['id', ...hostile], 1_000_070_000, res.body.exitMarker, false) });
    // The agent hands the string to `sh -c`: here a shell only splits it into words (eval of `set --`) and prints them.
    const words = execFileSync('/bin/sh', ['-c', 'eval "set -- $1"; printf "%s\\0" "$@"', 'parse', sent!.command!], { encoding: 'utf8' }).split('\0').slice(0, -1);
    expect(words).toEqual(['/bin/sh', '-c', EXEC_WRAPPER, 'berth-exec', '1000070000', res.body.exitMarker, '0', 'id', ...hostile]);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });

    ecs.resetHistory();
    const nul = await api.call('POST', `${base(OWN, 'web-1-bbbbb')}/exec`, mallory, { command: ['id', 'a\u0000; id'] });
    expect(nul.status).toBe(422);
    expect(JSON.stringify(nul.body)).toContain('command');
    expect(awsCalls()).toBe(0);
  });
});
