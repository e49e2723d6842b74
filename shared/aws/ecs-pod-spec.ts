// The pure side of pods on ECS (STYLE 8): the names, tags, task definition, health check and
// StartTask input of a pod, and a task read back as a pod. Nothing here calls ECS; the adapter
// (ecs-pods.ts) sends what these functions build. A pod runs as one task of its revision's task
// definition (bridge networking, ports published on dynamic host ports); its container is
// locked down as podContainerSpec locks down a local one: the project's UID in group 0, no
// capabilities, no-new-privileges, never privileged, no mounts (so never the Docker socket), the
// pod's cpu and memory limits. A pod with ECS Exec keeps two capabilities in its bounding set
// instead, and no no-new-privileges, so that exec can run as its UID (execSecurityOf). Tasks and
// task definitions carry Berth's tags (STYLE 7).
import { createHash } from 'node:crypto';
import type { ContainerDefinition, HealthCheck, RegisterTaskDefinitionCommandInput, StartTaskCommandInput, Tag, Task } from '@aws-sdk/client-ecs';
import { BerthError, ValidationError } from '../errors.ts';
import { valueFromOf, type PinnedSecret } from './ecs-pod-secrets.ts';
import { taskVolumesOf, type EfsSettings } from './ecs-pod-volumes.ts';
import { LABELS, podContainerName } from '../fleet/pod-container.ts';
import { healthCheckProbe } from '../fleet/health-check.ts';
import type { PodSpecForHost, RunningPod } from '../fleet/types.ts';
import type { Probe } from '../model/deploy-kinds.ts';
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';
import { unitsOfMilli } from './ecs-cpu.ts';

/** Task definition families of pods start with this (the control plane may start only these). */
export const POD_FAMILY_PREFIX = 'berth-pod-';
/** Tags on pod tasks and their task definitions, beside berth:managed and berth:project. */
export const POD_TAGS = { deployment: 'berth:deployment', revision: 'berth:revision', pod: 'berth:pod', contentHash: 'berth:content-hash' } as const;
/** The task group of a pod's task names the pod: `berth-pod:<project>/<pod>` (ECS keeps 255 characters). */
export const POD_GROUP_PREFIX = 'berth-pod:';
const GROUP_MAX = 255;
const FAMILY_MAX = 255;

/** What a pod's task definition takes from the host's settings beside the pod's spec. */
export interface PodTaskSettings {
  /**
   * The task execution role of a project's pods (pulls the image, ships logs): each project its
   * own (project-roles.ts projectRoleArn), so no pod can pull another project's images.
   */
  executionRoleOf?: (project: string) => string;
  /**
   * The role the pod's task runs with; none by default (pods get no AWS credentials). On AWS it
   * is the fleet's pod task role, which holds only the Session Manager channels of ECS Exec; with
   * it, tasks start with ECS Exec enabled.
   */
  taskRoleArn?: string;
  /** CloudWatch Logs group of pod output (awslogs driver), streams prefixed by project. */
  logGroup?: string;
  region: string;
  /** The EFS file system persistent volume claims live on (efs-claims.ts); pods with claims need it. */
  efs?: EfsSettings;
}

/** Where a pod's task is started: this cluster, exactly this container instance. */
export interface PodTaskPlace {
  cluster: string;
  /** The container instance a host's adapter stands for. */
  containerInstanceArn: string;
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

/** CPU units of a number of millicores, rounded as the hosts' are (ecs-cpu.ts). */
export const cpuUnits = unitsOfMilli;
const MiB = 2 ** 20;

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
/** A shell word: single-quoted, any single quote inside closed, escaped and reopened. */
const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The container health check that stands for a probe on ECS: the readiness probe, whose status
 * is then the pod's readiness (ecs-events, pod-sync), or in a container without one the liveness
 * probe, whose UNHEALTHY status makes the pod sync restart the pod (fleet/health-check.ts). It
 * runs inside the container, against the container's own port, with whichever client the image
 * has: httpGet tries curl, wget, then Python (any status from 200 to 399 passes, as in
 * Kubernetes); tcpSocket tries bash's /dev/tcp, Python, then nc; exec runs the command. Timings
 * map as interval = periodSeconds, timeout = timeoutSeconds, retries = failureThreshold,
 * startPeriod = initialDelaySeconds, each clamped to what ECS accepts (ECS API Reference,
 * HealthCheck: interval 5–300 s, timeout 2–60 s, retries 1–10, startPeriod 0–300 s).
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
export function taskDefinitionInput(spec: PodSpecForHost, opts: PodTaskSettings & { uid: number; pinnedSecrets?: ReadonlyMap<string, PinnedSecret> }): RegisterTaskDefinitionCommandInput {
  podContainerName(spec.project, spec.pod); // validates both names
  if (!Number.isInteger(opts.uid) || opts.uid <= 0) throw ValidationError.field('uid', `pods never run as root or an invalid UID (got ${opts.uid})`);
  if (!(spec.resources.cpuMilli > 0)) throw ValidationError.field('resources.cpuMilli', 'must be positive');
  if (!(spec.resources.memoryBytes > 0)) throw ValidationError.field('resources.memoryBytes', 'must be positive');
  const name = podContainerNameInTask(spec);
  // One health check per container: the readiness probe, else the liveness probe.
  const checked = healthCheckProbe(spec);
  if (spec.volumes?.length) throw new BerthError(501, 'VolumesNotServed', `pod ${spec.project}/${spec.pod}: Secret and ConfigMap volumes are not served on ECS hosts yet`, { suggestion: 'take them as environment variables (env valueFrom, envFrom)' });
  // A Secret's values never go into `environment`: ECS fetches them from Secrets Manager (ecs-pod-secrets.ts).
  const environment = spec.env.filter((e) => !e.secretKeyRef).map((e) => ({ name: e.name, value: e.value }));
  const secrets = spec.env.filter((e) => e.secretKeyRef).map((e) => {
    const pinned = opts.pinnedSecrets?.get(e.secretKeyRef!.name);
    if (!pinned) throw new BerthError(501, 'SecretsNotServed', `pod ${spec.project}/${spec.pod}: this host has no way to pass the Secret "${e.secretKeyRef!.name}"`);
    return { name: e.name, valueFrom: valueFromOf(pinned, e.secretKeyRef!.key) };
  });
  if (spec.ports.length === 1 && !spec.env.some((e) => e.name === 'PORT')) environment.push({ name: 'PORT', value: String(spec.ports[0]!.containerPort) });
  const { volumes, mountPoints } = taskVolumesOf(spec, opts.uid, opts.efs);
  // EFS authorizes a claim's mount as the task role: the project's own role, which may mount its
  // project's access points only (project-roles.ts claimMountPolicy), and takes the place of the
  // fleet's pod task role (ECS Exec's channels) in pods with claims. Other pods get the pod task
  // role when the platform has one, else none: no AWS credentials.
  const mountsClaims = volumes.some((v) => v.efsVolumeConfiguration);
  if (mountsClaims && !opts.executionRoleOf) throw new BerthError(501, 'VolumesNotServed', `pod ${spec.project}/${spec.pod}: mounting a claim needs the project's role, and this platform has none`);
  const taskRoleArn = mountsClaims ? opts.executionRoleOf!(spec.project) : opts.taskRoleArn;
  return {
    family: podFamily(spec.project, spec.deployment),
    networkMode: 'bridge',
    requiresCompatibilities: ['EC2'],
    ...(opts.executionRoleOf ? { executionRoleArn: opts.executionRoleOf(spec.project) } : {}),
    ...(taskRoleArn ? { taskRoleArn } : {}),
    volumes,
    containerDefinitions: [
      {
        name,
        image: spec.image,
        essential: true,
        ...(spec.command ? { command: spec.command } : {}),
        ...(checked ? { healthCheck: healthCheckOf(checked.probe) } : {}),
        environment,
        ...(secrets.length ? { secrets } : {}),
        portMappings: spec.ports.map((p) => ({ containerPort: p.containerPort, hostPort: 0, protocol: (p.protocol ?? 'TCP') === 'UDP' ? ('udp' as const) : ('tcp' as const) })),
        cpu: cpuUnits(spec.resources.cpuMilli),
        memory: Math.ceil(spec.resources.memoryBytes / MiB),
        user: `${opts.uid}:0`,
        privileged: false,
        readonlyRootFilesystem: false,
        ...execSecurityOf(Boolean(opts.taskRoleArn)),
        mountPoints,
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

/** The capabilities a pod keeps in its bounding set when ECS Exec is on: what `setpriv` needs to become the pod's UID, nothing more. */
export const EXEC_CAPABILITIES = ['SETGID', 'SETUID'] as const;

/**
 * The capabilities and security options of a pod's container. Without ECS Exec: no capability
 * and no-new-privileges. With it, exec must run as the pod's UID, and nothing else can make it:
 * the ECS agent starts the Session Manager agent with `docker exec` as user 0 (ECS Developer
 * Guide, "Using Amazon ECS Exec": commands run as root even when the container has a user), and
 * Docker gives an exec process the container's capabilities, which for a container whose user is
 * not root are the bounding set alone, none effective. Only an execve as root raises them to the
 * bounding set, which no-new-privileges forbids. So such a pod keeps CAP_SETUID and CAP_SETGID in
 * its bounding set, without no-new-privileges: the app, as the pod's UID, has no capability at
 * all (an execve by a non-root user gains none); the agent's shell, as root, has these two, which
 * `setpriv` spends to become the pod's UID with no-new-privileges and no capability left
 * (ecs-exec.ts EXEC_WRAPPER). What root in the pod could do with them is in docs/aws.md.
 */
export function execSecurityOf(execEnabled: boolean): Pick<ContainerDefinition, 'linuxParameters' | 'dockerSecurityOptions'> {
  if (!execEnabled) return { linuxParameters: { capabilities: { drop: ['ALL'] }, initProcessEnabled: true }, dockerSecurityOptions: ['no-new-privileges'] };
  return { linuxParameters: { capabilities: { add: [...EXEC_CAPABILITIES], drop: ['ALL'] }, initProcessEnabled: true } };
}

/** The hash of a task definition's content, kept in its tags to find it again instead of registering a copy. */
export const contentHash = (input: RegisterTaskDefinitionCommandInput): string => sha(JSON.stringify(input)).slice(0, 32);

/** The tags naming a revision of a deployment, on its task definition and on its pods' tasks. */
export const revisionTags = (spec: PodSpecForHost): Tag[] => [
  { key: MANAGED_TAG, value: 'true' },
  { key: PROJECT_TAG, value: spec.project },
  { key: POD_TAGS.deployment, value: spec.deployment },
  { key: POD_TAGS.revision, value: String(spec.revision) },
];

/** The StartTask input of one pod on one instance (pure). */
export function startTaskInput(opts: PodTaskPlace & Pick<PodTaskSettings, 'taskRoleArn'>, spec: PodSpecForHost, taskDefinition: string): StartTaskCommandInput {
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
    // ECS Exec (exec, rsh) needs the task role's ssmmessages channels: on exactly when pods have that role.
    ...(opts.taskRoleArn ? { enableExecuteCommand: true } : {}),
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
  // ECS API Reference, Container: healthStatus is HEALTHY, UNHEALTHY or UNKNOWN (no health
  // check, or not decided yet).
  if (c?.healthStatus) pod.health = c.healthStatus === 'HEALTHY' ? 'healthy' : c.healthStatus === 'UNHEALTHY' ? 'unhealthy' : 'unknown';
  return pod;
}
