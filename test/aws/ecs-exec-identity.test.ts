// Exec on AWS runs as the pod's UID: shown on Docker Engine with exactly what ECS is asked for.
// The pod's task definition is the RegisterTaskDefinition input EcsPodContainers sends, and the
// command the ExecuteCommand input EcsExecBroker sends (ECS mocked with aws-sdk-client-mock; ECS
// API Reference "RegisterTaskDefinition", "StartTask", "ListTasks", "DescribeTasks",
// "ExecuteCommand"), both asserted exactly. The container then runs on Docker Engine from the
// builder's test image with the user, capabilities, security options and init process its
// container definition asks for (ECS API Reference, "ContainerDefinition" user and
// dockerSecurityOptions, "LinuxParameters" initProcessEnabled, "KernelCapabilities": drop ALL
// keeps only `add`; each maps to docker run's --user, --security-opt, --init, --cap-drop and
// --cap-add). The Session Manager agent is entered as the ECS agent starts it, `docker exec` as
// user "0", not privileged (amazon-ecs-agent, agent/engine/execcmd, doStartAgent), and runs the
// ExecuteCommand command string with `sh -c` (amazon-ssm-agent, the shell plugin's StartPty), as
// the ECS Developer Guide says ("Using Amazon ECS Exec": commands run as root).
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ExecuteCommandCommand, ListTasksCommand, RegisterTaskDefinitionCommand, StartTaskCommand, type ContainerDefinition, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { EcsExecBroker, wrappedCommand } from '../../shared/aws/ecs-exec.ts';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const ecs = mockClient(ECSClient);
const REGION = 'eu-west-1';
const CLUSTER = 'berth-fleet';
const INSTANCE = `arn:aws:ecs:${REGION}:123456789012:container-instance/${CLUSTER}/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c`;
const TASK = `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
const TD = `arn:aws:ecs:${REGION}:123456789012:task-definition/berth-pod-shop_web:4`;
const POD_TASK_ROLE = 'arn:aws:iam::123456789012:role/berth/BerthFleet-PodTaskRole';
const UID = 1_000_070_000;
const APP = ['python3', '-m', 'http.server', '8080'];
const RUN = randomBytes(4).toString('hex');

const spec: PodSpecForHost = {
  project: 'shop',
  deployment: 'web',
  revision: 4,
  pod: 'web-4-k2x7p',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/web@sha256:0f1e',
  command: APP,
  env: [{ name: 'APP_MODE', value: 'production' }],
  ports: [{ containerPort: 8080, protocol: 'TCP' }],
  resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 },
  uid: UID,
};

/** The pod's RegisterTaskDefinition input as EcsPodContainers sends it, with or without ECS Exec (the fleet's pod task role). */
async function registeredTaskDefinition(taskRoleArn?: string): Promise<RegisterTaskDefinitionCommandInput> {
  ecs.reset();
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
  ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD, status: 'ACTIVE' } });
  ecs.on(StartTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PENDING', containers: [{ name: 'web' }] }], failures: [] });
  const pods = new EcsPodContainers({ client: new ECSClient({ region: REGION }), cluster: CLUSTER, containerInstanceArn: INSTANCE, region: REGION, ...(taskRoleArn ? { taskRoleArn } : {}) });
  await pods.ensurePod(spec);
  const [input] = ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
  expect(ecs.commandCalls(StartTaskCommand).map((c) => c.args[0].input.enableExecuteCommand)).toEqual([taskRoleArn ? true : undefined]);
  return input!;
}

/** The container definition run on Docker Engine as the ECS agent would run it, from a local image. */
async function runAsEcsWould(cd: ContainerDefinition, image: string, name: string): Promise<string> {
  const lp = cd.linuxParameters!;
  const container = await docker.createContainer({
    name,
    Image: image,
    User: cd.user,
    Cmd: cd.command,
    Env: (cd.environment ?? []).map((e) => `${e.name}=${e.value}`),
    Labels: { 'berth.test': 'ecs-exec-identity' },
    HostConfig: {
      CapDrop: lp.capabilities?.drop,
      CapAdd: lp.capabilities?.add,
      SecurityOpt: cd.dockerSecurityOptions,
      Init: lp.initProcessEnabled,
      Privileged: cd.privileged,
      ReadonlyRootfs: cd.readonlyRootFilesystem,
      Memory: cd.memory! * 2 ** 20,
      CpuShares: cd.cpu,
      NetworkMode: 'none',
    },
  });
  await container.start();
  return container.id;
}

interface Ran { code: number; stdout: string; stderr: string }

/** `docker exec` as `user`, not privileged, stdout and stderr apart, and the exit code. */
async function dockerExec(id: string, user: string, cmd: string[]): Promise<Ran> {
  const e = await docker.getContainer(id).exec({ Cmd: cmd, User: user, AttachStdout: true, AttachStderr: true, Privileged: false });
  const stream = await e.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const o = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const r = new PassThrough().on('data', (c: Buffer) => err.push(c));
  docker.modem.demuxStream(stream, o, r);
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await e.inspect();
  return { code: ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The credential lines of /proc/<pid>/status, as a record. */
function credentials(status: string): Record<string, string> {
  const keep = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'];
  return Object.fromEntries(status.split('\n').map((l) => l.split(':')).filter(([k]) => keep.includes(k!)).map(([k, v]) => [k!, v!.trim().replace(/\s+/g, ' ')]));
}

/** Reads the status of the app's own process (found by its exact argv) from inside the container. */
const APP_STATUS = [
  'python3', '-c',
  'import os, sys\nfor p in filter(str.isdigit, os.listdir("/proc")):\n  try:\n    if open(f"/proc/{p}/cmdline", "rb").read().split(b"\\0")[:-1] == [a.encode() for a in sys.argv[1:]]: print(open(f"/proc/{p}/status").read())\n  except OSError: pass',
  ...APP,
];

/** The ExecuteCommand input the broker sends for `command` in the pod's task, asserted exactly; its command string returned. */
async function executeCommandFor(command: string[]): Promise<{ command: string; marker: string }> {
  ecs.reset();
  ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
  ecs.on(DescribeTasksCommand).resolves({
    tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', enableExecuteCommand: true, containers: [{ name: 'web', runtimeId: 'r-1' }], tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'shop' }, { key: 'berth:pod', value: spec.pod }] }],
  });
  // ECS API Reference, ExecuteCommand: session{sessionId, streamUrl, tokenValue}.
  ecs.on(ExecuteCommandCommand).resolves({ session: { sessionId: 'ecs-execute-command-1a2b', streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/ecs-execute-command-1a2b`, tokenValue: 'token' }, taskArn: TASK, containerName: 'web', interactive: true });
  const broker = new EcsExecBroker({ ecs: new ECSClient({ region: REGION }), cluster: CLUSTER, uidFor: async (p) => (p === 'shop' ? UID : 0) });
  const session = await broker.exec('shop', spec.pod, { command, tty: false });
  const marker = session.exitMarker!;
  expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: CLUSTER, startedBy: podToken('shop', spec.pod), desiredStatus: 'RUNNING' }]);
  const sent = ecs.commandCalls(ExecuteCommandCommand).map((c) => c.args[0].input);
  expect(sent).toEqual([{ cluster: CLUSTER, task: TASK, container: 'web', interactive: true, command: wrappedCommand(command, UID, marker, false) }]);
  return { command: sent[0]!.command!, marker };
}

/** Runs an ExecuteCommand command string as the Session Manager agent does: `sh -c`, as root, entered with docker exec -u 0. */
const asAgent = (id: string, command: string) => dockerExec(id, '0', ['sh', '-c', command]);

let image = '';
let withExec: RegisterTaskDefinitionCommandInput;
let withoutExec: RegisterTaskDefinitionCommandInput;
let pod = '';
let lockedPod = '';
const names = [`berth-test-exec-identity-${RUN}`, `berth-test-exec-identity-locked-${RUN}`];

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => undefined });
  withExec = await registeredTaskDefinition(POD_TASK_ROLE);
  withoutExec = await registeredTaskDefinition();
  pod = await runAsEcsWould(withExec.containerDefinitions![0]!, image, names[0]!);
  lockedPod = await runAsEcsWould(withoutExec.containerDefinitions![0]!, image, names[1]!);
  // The app is up once its process is there (it is started by the init process).
  for (let i = 0; i < 100 && !(await dockerExec(pod, `${UID}:0`, APP_STATUS)).stdout.includes('Uid:'); i++) await sleep(100);
}, 20 * 60_000);

afterAll(async () => {
  await Promise.all(names.map((n) => docker.getContainer(n).remove({ force: true }).catch(() => undefined)));
});

describe('the task definition of a pod with ECS Exec', () => {
  it('is registered exactly so: the pod\'s UID in group 0, all capabilities dropped but SETGID and SETUID, an init process, no no-new-privileges', () => {
    expect(withExec).toEqual({
      family: 'berth-pod-shop_web',
      networkMode: 'bridge',
      requiresCompatibilities: ['EC2'],
      taskRoleArn: POD_TASK_ROLE,
      volumes: [],
      containerDefinitions: [
        {
          name: 'web',
          image: spec.image,
          essential: true,
          command: APP,
          environment: [{ name: 'APP_MODE', value: 'production' }, { name: 'PORT', value: '8080' }],
          portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
          cpu: 256,
          memory: 256,
          user: `${UID}:0`,
          privileged: false,
          readonlyRootFilesystem: false,
          linuxParameters: { capabilities: { add: ['SETGID', 'SETUID'], drop: ['ALL'] }, initProcessEnabled: true },
          mountPoints: [],
          volumesFrom: [],
          dockerLabels: { 'berth.io/managed': 'true', 'berth.io/project': 'shop', 'berth.io/deployment': 'web', 'berth.io/revision': '4' },
        },
      ],
      tags: [
        { key: 'berth:managed', value: 'true' },
        { key: 'berth:project', value: 'shop' },
        { key: 'berth:deployment', value: 'web' },
        { key: 'berth:revision', value: '4' },
        { key: 'berth:content-hash', value: expect.stringMatching(/^[0-9a-f]{32}$/) },
      ],
    });
  });

  it('without ECS Exec (no pod task role) keeps no capability at all, with no-new-privileges', () => {
    expect(withoutExec.taskRoleArn).toBeUndefined();
    expect(withoutExec.containerDefinitions![0]).toMatchObject({
      user: `${UID}:0`,
      linuxParameters: { capabilities: { drop: ['ALL'] }, initProcessEnabled: true },
      dockerSecurityOptions: ['no-new-privileges'],
    });
  });
});

describe('on Docker Engine, as ECS runs that task definition', () => {
  it('(a) the app runs as the pod\'s UID with no capability, and can change neither its UID nor its group', async () => {
    const app = credentials((await dockerExec(pod, `${UID}:0`, APP_STATUS)).stdout);
    expect(app).toEqual({
      Uid: `${UID} ${UID} ${UID} ${UID}`,
      Gid: '0 0 0 0',
      Groups: '0',
      CapInh: '0000000000000000',
      CapPrm: '0000000000000000',
      CapEff: '0000000000000000',
      // CAP_SETGID (6) and CAP_SETUID (7), in the bounding set only.
      CapBnd: '00000000000000c0',
      CapAmb: '0000000000000000',
      NoNewPrivs: '0',
    });
    // A process with the app's credentials (exec as its user gets the container's, as the app does) tries.
    const same = await dockerExec(pod, `${UID}:0`, ['sh', '-c', 'cat /proc/self/status']);
    expect(credentials(same.stdout)).toEqual(app);
    for (const call of ['os.setuid(0)', 'os.setgid(5)', 'os.setgroups([])', `os.setresuid(${UID}, 0, ${UID})`]) {
      const tried = await dockerExec(pod, `${UID}:0`, ['python3', '-c', `import os\ntry:\n  ${call}\nexcept PermissionError as e: print("refused", e.errno)`]);
      expect(tried.stdout, call).toBe('refused 1\n');
    }
    const setpriv = await dockerExec(pod, `${UID}:0`, ['setpriv', '--reuid=0', '--keep-groups', 'id', '-u']);
    expect(setpriv.code).not.toBe(0);
    expect(setpriv.stdout).toBe('');
    expect(setpriv.stderr).toContain('Operation not permitted');
  });

  it('(b) the agent enters as root with CAP_SETUID and CAP_SETGID alone, and (c) the ExecuteCommand command drops them and runs as the pod\'s UID', async () => {
    const agent = await asAgent(pod, 'cat /proc/self/status');
    expect(credentials(agent.stdout)).toMatchObject({ Uid: '0 0 0 0', CapPrm: '00000000000000c0', CapEff: '00000000000000c0', CapBnd: '00000000000000c0', NoNewPrivs: '0' });

    const { command, marker } = await executeCommandFor(['sh', '-c', 'cat /proc/self/status; echo --; id -u; touch /tmp/made-by-exec; stat -c %u:%g /tmp/made-by-exec; exit 7']);
    const ran = await asAgent(pod, command);
    expect(ran.code).toBe(7);
    expect(ran.stderr).toBe('');
    const [status, tail] = ran.stdout.split('--\n');
    const app = credentials((await dockerExec(pod, `${UID}:0`, APP_STATUS)).stdout);
    // The app's identity exactly, no capability, and no-new-privileges: it can gain none.
    expect(credentials(status!)).toEqual({ ...app, NoNewPrivs: '1' });
    expect(tail).toBe(`${UID}\n${UID}:0\n\n${marker}7\n`);
  });

  it('keeps every argument one word, whatever a tenant puts in it: nothing of it runs as a command', async () => {
    const hostile = ['$(touch /tmp/pwned-1)', '`touch /tmp/pwned-2`', "'; touch /tmp/pwned-3; '", '"; touch /tmp/pwned-4; "', 'a\nb; touch /tmp/pwned-5', '$HOME', '*', '\\', '--reuid=0', '-c', ' ', 'é ✓'];
    const { command, marker } = await executeCommandFor(['python3', '-c', 'import json, os, sys; print(json.dumps([os.getuid(), sys.argv[1:]], separators=(",", ":"), ensure_ascii=False))', ...hostile]);
    const ran = await asAgent(pod, command);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(`${JSON.stringify([UID, hostile])}\n\n${marker}0\n`);
    const pwned = await dockerExec(pod, '0', ['sh', '-c', 'ls /tmp | grep pwned || true']);
    expect(pwned.stdout).toBe('');
  });

  it('a pod started without the two capabilities (an older task definition) is refused with 126, and the command never runs, as root or otherwise', async () => {
    const agent = await asAgent(lockedPod, 'cat /proc/self/status');
    expect(credentials(agent.stdout)).toMatchObject({ Uid: '0 0 0 0', CapEff: '0000000000000000', NoNewPrivs: '1' });
    const { command, marker } = await executeCommandFor(['touch', '/tmp/ran']);
    const ran = await asAgent(lockedPod, command);
    expect(ran.code).toBe(126);
    expect(ran.stderr).toContain('berth: this pod cannot switch to its UID 1000070000');
    expect(ran.stderr).toContain('berth rollout latest');
    expect(ran.stdout).toBe(`\n${marker}126\n`);
    expect((await dockerExec(lockedPod, '0', ['ls', '/tmp'])).stdout).not.toContain('ran');
  });
});
