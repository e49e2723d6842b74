// The ECS adapter of the fleet's pod containers: one ECS container instance is one host, so the
// same pod sync drives ECS hosts as Docker hosts. A pod runs as one task of its revision's task
// definition (bridge networking, ports published on dynamic host ports), started with StartTask
// on exactly this instance (Berth's scheduler, not ECS, chose the host). Its container is locked
// down as podContainerSpec locks down a local one: the project's UID in group 0, no
// capabilities, no-new-privileges, never privileged, no mounts (so never the Docker socket), the
// pod's cpu and memory limits. Tasks carry Berth's tags; Berth stops only tasks whose tags say
// it started them for that pod (STYLE 7).
//
// What ECS hosts cannot do: exec probes (ECS Exec needs SSM on the host and in the task), so
// pods on ECS hosts use httpGet or tcpSocket probes; logs are read from CloudWatch Logs when a
// log group and a reader are given.
import { createHash } from 'node:crypto';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type HealthCheck,
  type ListTasksCommandInput,
  type RegisterTaskDefinitionCommandInput,
  type StartTaskCommandInput,
  type Tag,
  type Task,
} from '@aws-sdk/client-ecs';
import { BerthError, ValidationError } from '../errors.ts';
import { LABELS, podContainerName, projectUid } from '../fleet/pod-container.ts';
import type { PodContainers } from '../fleet/ports.ts';
import type { ListedPod, PodSpecForHost, RunningPod } from '../fleet/types.ts';
import type { Probe } from '../model/deploy-kinds.ts';
import { MANAGED_TAG, NotOwnedError, PROJECT_TAG, ownedByBerth } from './ownership.ts';

/** Task definition families of pods start with this (the control plane may start only these). */
export const POD_FAMILY_PREFIX = 'berth-pod-';
/** Tags on pod tasks and their task definitions, beside berth:managed and berth:project. */
export const POD_TAGS = { deployment: 'berth:deployment', revision: 'berth:revision', pod: 'berth:pod', contentHash: 'berth:content-hash' } as const;
/** The task group of a pod's task names the pod: `berth-pod:<project>/<pod>` (ECS keeps 255 characters). */
export const POD_GROUP_PREFIX = 'berth-pod:';
const GROUP_MAX = 255;
const FAMILY_MAX = 255;
const STOP_REASON = 'Berth: the pod was deleted, replaced or is not bound to this host';
/** ECS describes at most 100 tasks per call. */
const DESCRIBE_BATCH = 100;

export interface EcsPodsOptions {
  client: ECSClient;
  cluster: string;
  /** The container instance this adapter is the host of. */
  containerInstanceArn: string;
  /** The address the instance's published ports are reached at (its private IP); else each binding's bindIP. */
  address?: string;
  /** Pulls the image and ships logs (the fleet's pod execution role). */
  executionRoleArn?: string;
  /** The role the pod's code runs with; none by default (pods get no AWS credentials). */
  taskRoleArn?: string;
  /** CloudWatch Logs group of pod output (awslogs driver), streams prefixed by project. */
  logGroup?: string;
  region: string;
  /** The UID a project's pods run as when the spec names none; defaults to `projectUid`. */
  uidFor?: (project: string) => number;
  /** Reads a log stream's last lines (a CloudWatch Logs GetLogEvents client); without it `logs` says where the logs are. */
  readLogs?: (req: { logGroup: string; logStream: string; tail?: number }) => Promise<string>;
  /** Registered task definitions by content hash; share one map between the adapters of one process. */
  taskDefinitions?: Map<string, string>;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The `startedBy` of a pod's task: a stable 36-character token of project and pod.
 * @example podToken('shop', 'web-3-x7k2p') // 'berth-pod-' + 26 hex characters
 */
export function podToken(project: string, pod: string): string {
  return `${POD_FAMILY_PREFIX}${sha(`${project}/${pod}`).slice(0, 26)}`;
}

/** The task group naming the pod, or undefined when the names are too long for ECS (events then find the pod by its token). */
export function taskGroupOf(project: string, pod: string): string | undefined {
  const group = `${POD_GROUP_PREFIX}${project}/${pod}`;
  return group.length <= GROUP_MAX ? group : undefined;
}

/**
 * The task definition family of a deployment's pods: `berth-pod-<project>_<deployment>`, only
 * the characters ECS allows, shortened with a hash past ECS's 255 characters. The underscore
 * cannot occur in either name, so two projects never share a family.
 */
export function podFamily(project: string, deployment: string): string {
  const family = `${POD_FAMILY_PREFIX}${project}_${deployment || 'pod'}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (family.length <= FAMILY_MAX) return family;
  const hash = sha(family).slice(0, 16);
  return `${family.slice(0, FAMILY_MAX - hash.length - 1)}-${hash}`;
}

/** The container's name in the task definition: the deployment's name, as OpenShift names a DeploymentConfig's container. */
export const podContainerNameInTask = (spec: Pick<PodSpecForHost, 'deployment'>): string => spec.deployment || 'pod';

/** CPU units of a number of millicores (1024 units are one vCPU). */
export const cpuUnits = (cpuMilli: number): number => Math.max(2, Math.ceil((cpuMilli * 1024) / 1000));
const MiB = 2 ** 20;

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
/** A shell word: single-quoted, any single quote inside closed, escaped and reopened. */
const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The container health check that stands for a readiness probe on ECS, where ECS's health
 * status decides readiness (ecs-events). It runs inside the container, against the container's
 * own port, with whichever client the image has: httpGet tries curl, wget, then Python (any
 * status from 200 to 399 passes, as in Kubernetes); tcpSocket tries bash's /dev/tcp, Python,
 * then nc; exec runs the command. Timings are clamped to what ECS accepts.
 */
export function healthCheckOf(probe: Probe): HealthCheck {
  let command: string[];
  if (probe.exec) command = ['CMD', ...probe.exec.command];
  else if (probe.httpGet) {
    const url = shellWord(`http://127.0.0.1:${probe.httpGet.port}${probe.httpGet.path}`);
    const t = clamp(probe.timeoutSeconds, 1, 60);
    command = ['CMD-SHELL', [
      `curl -fsS -o /dev/null -m ${t} ${url}`,
      `wget -q -O /dev/null -T ${t} ${url}`,
      `python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=${t})' ${url}`,
    ].join(' 2>/dev/null || ')];
  } else {
    const port = probe.tcpSocket!.port;
    command = ['CMD-SHELL', [
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`,
      `python3 -c 'import socket; socket.create_connection(("127.0.0.1", ${port}), ${clamp(probe.timeoutSeconds, 1, 60)})'`,
      `nc -z 127.0.0.1 ${port}`,
    ].join(' 2>/dev/null || ')];
  }
  return {
    command,
    interval: clamp(probe.periodSeconds, 5, 300),
    timeout: clamp(probe.timeoutSeconds, 2, 60),
    retries: clamp(probe.failureThreshold, 1, 10),
    startPeriod: clamp(probe.initialDelaySeconds, 0, 300),
  };
}

/**
 * The RegisterTaskDefinition input of a pod's revision (pure; STYLE 8). Nothing in it names
 * the pod, so every pod of a revision shares one task definition.
 */
export function taskDefinitionInput(spec: PodSpecForHost, opts: Pick<EcsPodsOptions, 'executionRoleArn' | 'taskRoleArn' | 'logGroup' | 'region'> & { uid: number }): RegisterTaskDefinitionCommandInput {
  podContainerName(spec.project, spec.pod); // validates both names
  if (!Number.isInteger(opts.uid) || opts.uid <= 0) throw ValidationError.field('uid', `pods never run as root or an invalid UID (got ${opts.uid})`);
  if (!(spec.resources.cpuMilli > 0)) throw ValidationError.field('resources.cpuMilli', 'must be positive');
  if (!(spec.resources.memoryBytes > 0)) throw ValidationError.field('resources.memoryBytes', 'must be positive');
  const name = podContainerNameInTask(spec);
  const environment = spec.env.map((e) => ({ name: e.name, value: e.value }));
  if (spec.ports.length === 1 && !spec.env.some((e) => e.name === 'PORT')) environment.push({ name: 'PORT', value: String(spec.ports[0]!.containerPort) });
  return {
    family: podFamily(spec.project, spec.deployment),
    networkMode: 'bridge',
    requiresCompatibilities: ['EC2'],
    ...(opts.executionRoleArn ? { executionRoleArn: opts.executionRoleArn } : {}),
    ...(opts.taskRoleArn ? { taskRoleArn: opts.taskRoleArn } : {}),
    volumes: [],
    containerDefinitions: [
      {
        name,
        image: spec.image,
        essential: true,
        ...(spec.command ? { command: spec.command } : {}),
        ...(spec.readinessProbe ? { healthCheck: healthCheckOf(spec.readinessProbe) } : {}),
        environment,
        portMappings: spec.ports.map((p) => ({ containerPort: p.containerPort, hostPort: 0, protocol: (p.protocol ?? 'TCP') === 'UDP' ? ('udp' as const) : ('tcp' as const) })),
        cpu: cpuUnits(spec.resources.cpuMilli),
        memory: Math.ceil(spec.resources.memoryBytes / MiB),
        user: `${opts.uid}:0`,
        privileged: false,
        readonlyRootFilesystem: false,
        linuxParameters: { capabilities: { drop: ['ALL'] }, initProcessEnabled: true },
        dockerSecurityOptions: ['no-new-privileges'],
        mountPoints: [],
        volumesFrom: [],
        dockerLabels: {
          [LABELS.managed]: 'true',
          [LABELS.project]: spec.project,
          [LABELS.deployment]: spec.deployment,
          [LABELS.revision]: String(spec.revision),
        },
        ...(opts.logGroup
          ? { logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': opts.logGroup, 'awslogs-region': opts.region, 'awslogs-stream-prefix': spec.project } } }
          : {}),
      },
    ],
  };
}

/** The hash of a task definition's content, kept in its tags to find it again instead of registering a copy. */
export const contentHash = (input: RegisterTaskDefinitionCommandInput): string => sha(JSON.stringify(input)).slice(0, 32);

/** The tags naming a revision of a deployment, on its task definition and on its pods' tasks. */
const revisionTags = (spec: PodSpecForHost): Tag[] => [
  { key: MANAGED_TAG, value: 'true' },
  { key: PROJECT_TAG, value: spec.project },
  { key: POD_TAGS.deployment, value: spec.deployment },
  { key: POD_TAGS.revision, value: String(spec.revision) },
];

/** The StartTask input of one pod on one instance (pure). */
export function startTaskInput(opts: Pick<EcsPodsOptions, 'cluster' | 'containerInstanceArn'>, spec: PodSpecForHost, taskDefinition: string): StartTaskCommandInput {
  const group = taskGroupOf(spec.project, spec.pod);
  return {
    cluster: opts.cluster,
    containerInstances: [opts.containerInstanceArn],
    taskDefinition,
    startedBy: podToken(spec.project, spec.pod),
    ...(group ? { group } : {}),
    // The pod's own tags, given here: propagating the task definition's would add nothing that
    // names the pod, only its content hash.
    tags: [...revisionTags(spec), { key: POD_TAGS.pod, value: spec.pod }],
    enableECSManagedTags: true,
  };
}

export const tagMap = (tags: Tag[] | undefined): Record<string, string> => Object.fromEntries((tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));

/** Tasks that are running or on their way to it. */
const LIVE = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING']);

function stateOf(lastStatus: string | undefined): RunningPod['state'] {
  if (lastStatus === 'RUNNING') return 'running';
  return LIVE.has(lastStatus ?? '') ? 'created' : 'exited';
}

/** The pod's container as the port reports it, from its task. */
export function runningPodOfTask(task: Task, address?: string): RunningPod {
  const c = task.containers?.[0];
  const pod: RunningPod = {
    containerId: task.taskArn ?? '',
    hostPorts: (c?.networkBindings ?? [])
      .filter((b) => b.containerPort !== undefined && b.hostPort !== undefined)
      .map((b) => ({ containerPort: b.containerPort!, hostIp: address ?? b.bindIP ?? '', hostPort: b.hostPort! }))
      .sort((a, b) => a.containerPort - b.containerPort),
    state: stateOf(task.lastStatus),
  };
  if (pod.state === 'exited' && c?.exitCode !== undefined) pod.exitCode = c.exitCode;
  if (task.startedAt) pod.startedAt = new Date(task.startedAt).toISOString();
  return pod;
}

const notFound = (project: string, pod: string) =>
  new BerthError(404, 'NotFound', `pod ${project}/${pod} has no task on this host`, { suggestion: 'it may not have started yet, or may have been replaced' });

export class EcsPodContainers implements PodContainers {
  private readonly taskDefinitions: Map<string, string>;
  private readonly uidFor: (project: string) => number;

  constructor(private readonly opts: EcsPodsOptions) {
    this.taskDefinitions = opts.taskDefinitions ?? new Map();
    this.uidFor = opts.uidFor ?? projectUid;
  }

  /** Runs the pod unless a task of it with the same image runs (or is starting) here; idempotent. */
  async ensurePod(spec: PodSpecForHost): Promise<RunningPod> {
    const input = taskDefinitionInput(spec, { ...this.opts, uid: spec.uid ?? this.uidFor(spec.project) });
    const live = await this.liveTasks(spec.project, spec.pod);
    const current = live.find((t) => t.containers?.[0]?.image === spec.image);
    if (current) return runningPodOfTask(current, this.opts.address);
    // An outdated task of the pod (another image) is replaced, as a Docker host replaces its container.
    for (const t of live) await this.stop(t, spec.project, spec.pod);
    const taskDefinition = await this.ensureTaskDefinition(spec, input);
    const out = await this.opts.client.send(new StartTaskCommand(startTaskInput(this.opts, spec, taskDefinition)));
    const task = out.tasks?.[0];
    if (!task?.taskArn) {
      const why = (out.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(' ')).join('; ') || 'no reason given';
      throw new BerthError(503, 'StartTaskFailed', `ECS started no task for pod ${spec.project}/${spec.pod} on ${this.opts.containerInstanceArn}: ${why}`, {
        suggestion: 'the pod sync retries; RESOURCE:* means ECS still counts a stopping task on the host',
      });
    }
    return runningPodOfTask(task, this.opts.address);
  }

  /** The pod's newest task on this host (running, else stopped), or undefined when ECS has none. */
  async inspectPod(project: string, pod: string): Promise<RunningPod | undefined> {
    const task = (await this.liveTasks(project, pod))[0] ?? (await this.stoppedTasks(project, pod))[0];
    return task ? runningPodOfTask(task, this.opts.address) : undefined;
  }

  /** Stops the pod's tasks on this host; none is fine; a task without Berth's tags for this pod is refused. */
  async removePod(project: string, pod: string): Promise<void> {
    for (const t of await this.liveTasks(project, pod)) await this.stop(t, project, pod);
  }

  /** Every task on this host that Berth started for a pod and ECS means to keep running. */
  async listPods(): Promise<ListedPod[]> {
    const tasks = await this.describe(await this.list({ containerInstance: this.opts.containerInstanceArn }));
    const out: ListedPod[] = [];
    for (const task of tasks) {
      const tags = tagMap(task.tags);
      if (!ownedByBerth(tags) || !tags[POD_TAGS.pod]) continue;
      out.push({
        ...runningPodOfTask(task, this.opts.address),
        project: tags[PROJECT_TAG] ?? '',
        deployment: tags[POD_TAGS.deployment] ?? '',
        revision: Number(tags[POD_TAGS.revision] ?? 0),
        pod: tags[POD_TAGS.pod]!,
        image: task.containers?.[0]?.image ?? '',
      });
    }
    return out;
  }

  /** ECS hosts run no commands in containers for Berth: ECS Exec would need SSM on every host and task. */
  async exec(project: string, pod: string): Promise<{ exitCode: number }> {
    throw new BerthError(501, 'NotImplemented', `exec probes are not supported on ECS hosts (pod ${project}/${pod}); use httpGet or tcpSocket probes`, {
      suggestion: 'change the probe to httpGet or tcpSocket',
    });
  }

  /** The pod's output from CloudWatch Logs (its newest task's stream). */
  async logs(project: string, pod: string, opts: { tail?: number } = {}): Promise<string> {
    const { logGroup, readLogs } = this.opts;
    if (!logGroup) {
      throw new BerthError(501, 'NotImplemented', `pod ${project}/${pod} runs on an ECS host without a log group: its output stays in the Docker log of its container instance`, {
        suggestion: 'configure the pods\' log group (BERTH_POD_LOG_GROUP)',
      });
    }
    const task = (await this.liveTasks(project, pod))[0] ?? (await this.stoppedTasks(project, pod))[0];
    if (!task) throw notFound(project, pod);
    const logStream = `${project}/${task.containers?.[0]?.name ?? 'pod'}/${(task.taskArn ?? '').split('/').pop()}`;
    if (!readLogs) {
      throw new BerthError(501, 'NotImplemented', `the output of pod ${project}/${pod} is in CloudWatch Logs, group ${logGroup}, stream ${logStream}`, {
        suggestion: `aws logs tail ${logGroup} --log-stream-names ${logStream}`,
      });
    }
    return readLogs({ logGroup, logStream, ...(opts.tail ? { tail: opts.tail } : {}) });
  }

  /** The task definition of the pod's revision: found by its content hash, registered only when missing. */
  private async ensureTaskDefinition(spec: PodSpecForHost, input: RegisterTaskDefinitionCommandInput): Promise<string> {
    const hash = contentHash(input);
    const cached = this.taskDefinitions.get(hash);
    if (cached) return cached;
    const { client } = this.opts;
    const latest = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.family, include: ['TAGS'] })).catch((err: unknown) => {
      // A family ECS has never seen.
      if ((err as { name?: string }).name === 'ClientException') return undefined;
      throw err;
    });
    let arn = latest?.taskDefinition?.status === 'ACTIVE' && tagMap(latest.tags)[POD_TAGS.contentHash] === hash ? latest.taskDefinition.taskDefinitionArn : undefined;
    if (!arn) {
      const tags = [...revisionTags(spec), { key: POD_TAGS.contentHash, value: hash }];
      const out = await client.send(new RegisterTaskDefinitionCommand({ ...input, tags }));
      arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new Error(`ECS registered no task definition for family ${input.family}`);
    }
    this.taskDefinitions.set(hash, arn);
    return arn;
  }

  private async stop(task: Task, project: string, pod: string): Promise<void> {
    const tags = tagMap(task.tags);
    if (!ownedByBerth(tags, project) || tags[POD_TAGS.pod] !== pod) throw new NotOwnedError(`ECS task ${task.taskArn}`);
    await this.opts.client.send(new StopTaskCommand({ cluster: this.opts.cluster, task: task.taskArn, reason: STOP_REASON }));
  }

  /** The pod's tasks on this host that ECS means to keep running, newest first. */
  private async liveTasks(project: string, pod: string): Promise<Task[]> {
    // ECS allows startedBy only as the sole filter: the instance is checked on the answer.
    const tasks = await this.describe(await this.list({ startedBy: podToken(project, pod) }));
    return this.ofPod(tasks, project, pod).filter((t) => t.desiredStatus !== 'STOPPED');
  }

  /** The pod's stopped tasks on this host that ECS still remembers (about an hour), newest first. */
  private async stoppedTasks(project: string, pod: string): Promise<Task[]> {
    const tasks = await this.describe(await this.list({ containerInstance: this.opts.containerInstanceArn, desiredStatus: 'STOPPED' }));
    return this.ofPod(tasks, project, pod);
  }

  private ofPod(tasks: Task[], project: string, pod: string): Task[] {
    const token = podToken(project, pod);
    return tasks
      .filter((t) => t.startedBy === token && t.containerInstanceArn === this.opts.containerInstanceArn)
      .sort((a, b) => new Date(b.createdAt ?? 0).getTime() - new Date(a.createdAt ?? 0).getTime());
  }

  private async list(filter: Omit<ListTasksCommandInput, 'cluster' | 'nextToken'>): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.opts.client.send(new ListTasksCommand({ cluster: this.opts.cluster, ...filter, ...(nextToken ? { nextToken } : {}) }));
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return arns;
  }

  private async describe(arns: string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      const out = await this.opts.client.send(new DescribeTasksCommand({ cluster: this.opts.cluster, tasks: arns.slice(i, i + DESCRIBE_BATCH), include: ['TAGS'] }));
      tasks.push(...(out.tasks ?? []));
    }
    return tasks;
  }
}
