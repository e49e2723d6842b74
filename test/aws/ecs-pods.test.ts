// The ECS pod containers' requests, exactly: one locked-down task definition per revision
// (registered once per content), StartTask on this container instance with the pod's token and
// tags, StopTask only of Berth's own tasks for that pod, and the tasks read back as pods.
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { podFamily, podToken, taskDefinitionInput, taskGroupOf } from '../../shared/aws/ecs-pod-spec.ts';
import { EcsPodContainers, type EcsPodsOptions } from '../../shared/aws/ecs-pods.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';

const CLUSTER = 'berth-fleet';
const INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c';
const OTHER_INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/ffffffffffffffffffffffffffffffff';
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/berth-fleet/0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-pod-demo_web:7';
const ecs = mockClient(ECSClient);
const inputs = (command: Parameters<typeof ecs.commandCalls>[0]) => ecs.commandCalls(command).map((c) => c.args[0].input);

const spec: PodSpecForHost = {
  project: 'demo',
  deployment: 'web',
  revision: 3,
  pod: 'web-3-x7k2p',
  image: 'registry.example/berth/demo/web@sha256:abc',
  env: [{ name: 'GREETING', value: 'hi' }],
  ports: [{ containerPort: 8080, protocol: 'TCP' }],
  resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 },
  uid: 1_000_120_000,
};
const TOKEN = podToken('demo', 'web-3-x7k2p');
const podTags = [
  { key: 'berth:managed', value: 'true' },
  { key: 'berth:project', value: 'demo' },
  { key: 'berth:deployment', value: 'web' },
  { key: 'berth:revision', value: '3' },
  { key: 'berth:pod', value: 'web-3-x7k2p' },
];
const options = (extra: Partial<EcsPodsOptions> = {}): EcsPodsOptions => ({
  client: new ECSClient({ region: 'eu-west-1' }),
  cluster: CLUSTER,
  containerInstanceArn: INSTANCE,
  address: '10.0.3.17',
  executionRoleOf: (project) => `arn:aws:iam::123456789012:role/berth/projects/berth-${project}`,
  logGroup: 'berth-pods',
  region: 'eu-west-1',
  ...extra,
});

const runningTask = (over: Partial<Task> = {}): Task => ({
  taskArn: TASK,
  containerInstanceArn: INSTANCE,
  startedBy: TOKEN,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  createdAt: new Date('2026-11-26T10:00:00Z'),
  startedAt: new Date('2026-11-26T10:00:05Z'),
  tags: podTags,
  containers: [{ name: 'web', image: spec.image, networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort: 32768, protocol: 'tcp' }] }],
  ...over,
});

beforeEach(() => ecs.reset());

describe('the task definition of a revision', () => {
  it('is bridge-networked, EC2, one locked-down container with the pod\'s limits, labels and logs', () => {
    expect(taskDefinitionInput(spec, { ...options(), uid: spec.uid! })).toEqual({
      family: 'berth-pod-demo_web',
      networkMode: 'bridge',
      requiresCompatibilities: ['EC2'],
      // The project's own execution role: it pulls only this project's and the shared images.
      executionRoleArn: 'arn:aws:iam::123456789012:role/berth/projects/berth-demo',
      volumes: [],
      containerDefinitions: [
        {
          name: 'web',
          image: spec.image,
          essential: true,
          environment: [{ name: 'GREETING', value: 'hi' }, { name: 'PORT', value: '8080' }],
          portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
          cpu: 256,
          memory: 256,
          user: '1000120000:0',
          privileged: false,
          readonlyRootFilesystem: false,
          linuxParameters: { capabilities: { drop: ['ALL'] }, initProcessEnabled: true },
          dockerSecurityOptions: ['no-new-privileges'],
          mountPoints: [],
          volumesFrom: [],
          dockerLabels: { 'berth.io/managed': 'true', 'berth.io/project': 'demo', 'berth.io/deployment': 'web', 'berth.io/revision': '3' },
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'berth-pods', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'demo' } },
        },
      ],
    });
  });

  it.each([
    [100, 102],
    [1000, 1024],
    [1, 2],
  ])('%i millicores are %i CPU units', (cpuMilli, units) => {
    const td = taskDefinitionInput({ ...spec, resources: { ...spec.resources, cpuMilli } }, { region: 'eu-west-1', uid: 5 });
    expect(td.containerDefinitions![0]!.cpu).toBe(units);
  });

  it('has no log configuration without a log group, and runs the command given', () => {
    const td = taskDefinitionInput({ ...spec, command: ['bin/serve', '--port', '8080'] }, { region: 'eu-west-1', uid: 5 });
    expect(td.containerDefinitions![0]!.logConfiguration).toBeUndefined();
    expect(td.containerDefinitions![0]!.command).toEqual(['bin/serve', '--port', '8080']);
    expect(td.executionRoleArn).toBeUndefined();
  });

  it.each([
    ['uid', { uid: 0 }],
    ['resources.cpuMilli', { resources: { cpuMilli: 0, memoryBytes: 1 } }],
    ['resources.memoryBytes', { resources: { cpuMilli: 1, memoryBytes: 0 } }],
    ['project', { project: 'Not_A_Label' }],
  ])('refuses a bad %s (422 naming the field)', (field, over) => {
    const { uid, ...rest } = { ...spec, ...over } as PodSpecForHost;
    expect(() => taskDefinitionInput(rest, { region: 'eu-west-1', uid: uid ?? 5 })).toThrow(expect.objectContaining({ status: 422, details: [expect.objectContaining({ field })] }));
  });

  it('families are ECS-safe, never shared between projects, and at most 255 characters', () => {
    expect(podFamily('a-b', 'c')).not.toBe(podFamily('a', 'b-c'));
    expect(podFamily('demo', '')).toBe('berth-pod-demo_pod');
    const long = podFamily('p'.repeat(63), 'd'.repeat(250));
    expect(long.length).toBe(255);
    expect(long).toMatch(/^berth-pod-[A-Za-z0-9_-]+$/);
  });

  it('the task group names the pod while ECS\'s 255 characters allow, else there is none (events then go by the token)', () => {
    expect(taskGroupOf('demo', 'web-3-x7k2p')).toBe('berth-pod:demo/web-3-x7k2p');
    expect(taskGroupOf('p'.repeat(63), 'x'.repeat(200))).toBeUndefined();
    expect(podToken('p'.repeat(63), 'x'.repeat(200))).toHaveLength(36);
  });
});

describe('EcsPodContainers.ensurePod', () => {
  it('registers the revision\'s task definition once and starts the pod on this instance with its token and tags', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD, status: 'ACTIVE' } });
    ecs.on(StartTaskCommand).resolves({ tasks: [runningTask({ lastStatus: 'PENDING', containers: [{ name: 'web', image: spec.image }] })], failures: [] });
    const pods = new EcsPodContainers(options());

    const running = await pods.ensurePod(spec);
    expect(running).toEqual({ containerId: TASK, hostPorts: [], state: 'created', startedAt: '2026-11-26T10:00:05.000Z' });
    expect(inputs(ListTasksCommand)).toEqual([{ cluster: CLUSTER, startedBy: TOKEN }]);
    expect(inputs(DescribeTaskDefinitionCommand)).toEqual([{ taskDefinition: 'berth-pod-demo_web', include: ['TAGS'] }]);
    const registered = inputs(RegisterTaskDefinitionCommand)[0]!;
    expect(registered.containerDefinitions![0]).toMatchObject({
      user: '1000120000:0',
      privileged: false,
      linuxParameters: { capabilities: { drop: ['ALL'] }, initProcessEnabled: true },
      dockerSecurityOptions: ['no-new-privileges'],
      mountPoints: [],
    });
    expect(registered.volumes).toEqual([]);
    expect(registered.tags).toEqual([
      { key: 'berth:managed', value: 'true' },
      { key: 'berth:project', value: 'demo' },
      { key: 'berth:deployment', value: 'web' },
      { key: 'berth:revision', value: '3' },
      { key: 'berth:content-hash', value: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    expect(inputs(StartTaskCommand)).toEqual([
      {
        cluster: CLUSTER,
        containerInstances: [INSTANCE],
        taskDefinition: TD,
        startedBy: TOKEN,
        group: 'berth-pod:demo/web-3-x7k2p',
        tags: podTags,
        enableECSManagedTags: true,
      },
    ]);
    expect(TOKEN).toMatch(/^berth-pod-[0-9a-f]{26}$/);

    // A second pod of the same revision: no second registration, not even a lookup.
    await pods.ensurePod({ ...spec, pod: 'web-3-abcde' });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
    expect(inputs(StartTaskCommand)[1]).toMatchObject({ taskDefinition: TD, startedBy: podToken('demo', 'web-3-abcde') });
  });

  it('uses the active task definition ECS already has for the same content instead of registering a copy', async () => {
    const pods = new EcsPodContainers(options());
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input) => ({ taskDefinition: { taskDefinitionArn: TD, status: 'ACTIVE' }, tags: input.tags }));
    ecs.on(StartTaskCommand).resolves({ tasks: [runningTask()] });
    await pods.ensurePod(spec);
    const tags = inputs(RegisterTaskDefinitionCommand)[0]!.tags;

    // Another process (a cold Lambda) with an empty cache finds it by its content hash.
    ecs.resetHistory();
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD, status: 'ACTIVE' }, tags });
    await new EcsPodContainers(options()).ensurePod(spec);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(inputs(StartTaskCommand)[0]!.taskDefinition).toBe(TD);

    // Other content (a new image) is registered anew.
    ecs.resetHistory();
    await new EcsPodContainers(options()).ensurePod({ ...spec, image: 'registry.example/berth/demo/web@sha256:def' });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });

  it('returns the pod\'s running task with the same image without starting another', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [runningTask()] });
    const running = await new EcsPodContainers(options()).ensurePod(spec);
    expect(running).toEqual({ containerId: TASK, hostPorts: [{ containerPort: 8080, hostIp: '10.0.3.17', hostPort: 32768 }], state: 'running', startedAt: '2026-11-26T10:00:05.000Z' });
    expect(inputs(DescribeTasksCommand)).toEqual([{ cluster: CLUSTER, tasks: [TASK], include: ['TAGS'] }]);
    expect(ecs.commandCalls(StartTaskCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('replaces a task of the pod running an older image', async () => {
    const OLD = `${TASK.slice(0, -4)}0000`;
    ecs.on(ListTasksCommand).resolves({ taskArns: [OLD] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [runningTask({ taskArn: OLD, containers: [{ name: 'web', image: 'registry.example/berth/demo/web@sha256:old' }] })] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({});
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD } });
    ecs.on(StartTaskCommand).resolves({ tasks: [runningTask({ lastStatus: 'PENDING' })] });
    await new EcsPodContainers(options()).ensurePod(spec);
    expect(inputs(StopTaskCommand)).toEqual([{ cluster: CLUSTER, task: OLD, reason: 'Berth: the pod was deleted, replaced or is not bound to this host' }]);
    expect(ecs.commandCalls(StartTaskCommand)).toHaveLength(1);
  });

  it('a task of the same token on another instance is not this host\'s', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [runningTask({ containerInstanceArn: OTHER_INSTANCE })] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({});
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD } });
    ecs.on(StartTaskCommand).resolves({ tasks: [runningTask({ lastStatus: 'PENDING' })] });
    await new EcsPodContainers(options()).ensurePod(spec);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(ecs.commandCalls(StartTaskCommand)).toHaveLength(1);
  });

  it('a StartTask that starts nothing is a 503 naming ECS\'s reasons', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({});
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD } });
    ecs.on(StartTaskCommand).resolves({ tasks: [], failures: [{ arn: INSTANCE, reason: 'RESOURCE:MEMORY' }] });
    await expect(new EcsPodContainers(options()).ensurePod(spec)).rejects.toMatchObject({ status: 503, code: 'StartTaskFailed', message: expect.stringMatching(/demo\/web-3-x7k2p.*RESOURCE:MEMORY/) });
  });
});

describe('EcsPodContainers: inspect, remove, list', () => {
  it('inspects a stopped task (exit code) when none runs, and nothing when ECS remembers none', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(ListTasksCommand, { cluster: CLUSTER, containerInstance: INSTANCE, desiredStatus: 'STOPPED' }).resolves({ taskArns: [TASK] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [runningTask({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', containers: [{ name: 'web', image: spec.image, exitCode: 3, networkBindings: [] }] })],
    });
    const pods = new EcsPodContainers(options());
    expect(await pods.inspectPod('demo', 'web-3-x7k2p')).toEqual({ containerId: TASK, hostPorts: [], state: 'exited', exitCode: 3, startedAt: '2026-11-26T10:00:05.000Z' });
    expect(await pods.inspectPod('demo', 'web-3-other')).toBeUndefined();
  });

  it('inspects no task Berth stopped (the pod\'s container was removed, stopping or stopped), but one that stopped by itself or by another hand', async () => {
    // ECS API Reference, StopTask: the reason appears in later DescribeTasks as stoppedReason; Task.stopCode UserInitiated.
    const byBerth = { desiredStatus: 'STOPPED', stopCode: 'UserInitiated' as const, stoppedReason: 'Berth: the liveness probe failed; the pod is restarted' };
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(ListTasksCommand, { cluster: CLUSTER, containerInstance: INSTANCE, desiredStatus: 'STOPPED' }).resolves({ taskArns: [TASK] });
    ecs.on(DescribeTasksCommand).resolvesOnce({ tasks: [runningTask(byBerth)] })
      .resolvesOnce({ tasks: [runningTask({ ...byBerth, lastStatus: 'STOPPED', containers: [{ name: 'web', exitCode: 137, networkBindings: [] }] })] })
      .resolvesOnce({ tasks: [runningTask({ ...byBerth, stoppedReason: 'Task stopped by user', lastStatus: 'STOPPED', containers: [{ name: 'web', exitCode: 143, networkBindings: [] }] })] })
      .resolvesOnce({ tasks: [runningTask({ desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', lastStatus: 'STOPPED', containers: [{ name: 'web', exitCode: 1, networkBindings: [] }] })] });
    const pods = new EcsPodContainers(options());
    expect(await pods.inspectPod('demo', 'web-3-x7k2p')).toBeUndefined();
    expect(await pods.inspectPod('demo', 'web-3-x7k2p')).toBeUndefined();
    expect(await pods.inspectPod('demo', 'web-3-x7k2p')).toMatchObject({ state: 'exited', exitCode: 143 });
    expect(await pods.inspectPod('demo', 'web-3-x7k2p')).toMatchObject({ state: 'exited', exitCode: 1 });
  });

  it('stops the pod\'s task with the reason given, after Berth\'s prefix and within ECS\'s 255 characters', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
    ecs.on(DescribeTasksCommand).callsFake(() => ({ tasks: [runningTask()] }));
    const pods = new EcsPodContainers(options());
    await pods.removePod('demo', 'web-3-x7k2p', 'the liveness probe failed; the pod is restarted');
    await pods.removePod('demo', 'web-3-x7k2p', 'x'.repeat(300));
    const [first, second] = inputs(StopTaskCommand);
    expect(first).toEqual({ cluster: CLUSTER, task: TASK, reason: 'Berth: the liveness probe failed; the pod is restarted' });
    expect(second!.reason).toBe(`Berth: ${'x'.repeat(248)}`);
  });

  it('stops the pod\'s task on remove, saying why; removing a pod with no task does nothing', async () => {
    ecs.on(ListTasksCommand).resolvesOnce({ taskArns: [TASK] }).resolves({ taskArns: [] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [runningTask()] });
    const pods = new EcsPodContainers(options());
    await pods.removePod('demo', 'web-3-x7k2p');
    await pods.removePod('demo', 'web-3-x7k2p');
    expect(inputs(StopTaskCommand)).toEqual([{ cluster: CLUSTER, task: TASK, reason: 'Berth: the pod was deleted, replaced or is not bound to this host' }]);
  });

  it.each([
    ['no tags', []],
    ['another project\'s tags', podTags.map((t) => (t.key === 'berth:project' ? { ...t, value: 'other' } : t))],
    ['a build\'s tags', [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'demo' }, { key: 'berth:build', value: 'web-1' }]],
  ])('never stops a task with %s', async (_what, tags) => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [runningTask({ tags })] });
    await expect(new EcsPodContainers(options()).removePod('demo', 'web-3-x7k2p')).rejects.toMatchObject({ code: 'NotOwned', status: 409 });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  it('lists the instance\'s pod tasks from their tags, across pages, leaving other tasks out', async () => {
    const arns = Array.from({ length: 102 }, (_, i) => `${TASK.slice(0, -3)}${String(i).padStart(3, '0')}`);
    ecs.on(ListTasksCommand).resolvesOnce({ taskArns: arns.slice(0, 100), nextToken: 'page-2' }).resolves({ taskArns: arns.slice(100) });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn, i) => (i === 0 && input.tasks.length === 2 ? runningTask({ taskArn: arn, tags: [{ key: 'team', value: 'payments' }] }) : runningTask({ taskArn: arn }))),
    }));
    const listed = await new EcsPodContainers(options()).listPods();
    expect(inputs(ListTasksCommand)).toEqual([
      { cluster: CLUSTER, containerInstance: INSTANCE },
      { cluster: CLUSTER, containerInstance: INSTANCE, nextToken: 'page-2' },
    ]);
    expect(inputs(DescribeTasksCommand).map((i) => i.tasks!.length)).toEqual([100, 2]);
    expect(listed).toHaveLength(101);
    expect(listed[0]).toEqual({
      containerId: arns[0],
      hostPorts: [{ containerPort: 8080, hostIp: '10.0.3.17', hostPort: 32768 }],
      state: 'running',
      startedAt: '2026-11-26T10:00:05.000Z',
      project: 'demo',
      deployment: 'web',
      revision: 3,
      pod: 'web-3-x7k2p',
      image: spec.image,
    });
  });
});

describe('what ECS hosts cannot do', () => {
  it('exec (probes) is a 501 pointing at httpGet and tcpSocket', async () => {
    await expect(new EcsPodContainers(options()).exec('demo', 'web-3-x7k2p')).rejects.toMatchObject({ status: 501, message: expect.stringMatching(/httpGet or tcpSocket/) });
  });

  it('logs come from CloudWatch Logs through the reader given, else a 501 saying where they are', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [runningTask()] });
    const asked: unknown[] = [];
    const withReader = new EcsPodContainers(options({ readLogs: async (req) => (asked.push(req), 'hello\n') }));
    expect(await withReader.logs('demo', 'web-3-x7k2p', { tail: 10 })).toBe('hello\n');
    expect(asked).toEqual([{ logGroup: 'berth-pods', logStream: 'demo/web/0a1b2c3d4e5f60718293a4b5c6d7e8f9', tail: 10 }]);
    await expect(new EcsPodContainers(options()).logs('demo', 'web-3-x7k2p')).rejects.toMatchObject({ status: 501, message: expect.stringMatching(/group berth-pods, stream demo\/web\/0a1b2c3d/) });
    await expect(new EcsPodContainers(options({ logGroup: undefined })).logs('demo', 'web-3-x7k2p')).rejects.toMatchObject({ status: 501 });
  });
});
