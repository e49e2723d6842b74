// The kinds of the deployment capability, after OpenShift 3's apps.openshift.io and the core
// Kubernetes kinds: DeploymentConfig (what to run and how to roll it out), ReplicationController
// (one revision, `<dc>-<n>`), Pod (one replica on one host), Service (a stable name over the
// ready pods), Host (one container host of the fleet, cluster-scoped) and HostLease (the host's
// heartbeat, kept apart from Host so that heartbeats never conflict with bindings).
import * as z from 'zod';
import { envVar, imageRef } from './build-kinds.ts';
import { containerEnvVar, envFromSource, volume, volumeMount } from './config-kinds.ts';
import { cpuQuantity, memoryQuantity } from './quantity.ts';
import { resourceProblems } from './resource-bounds.ts';

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS-1123 label');
const labelMap = z.record(z.string().min(1).max(253), z.string().max(63));
const port = z.number().int().min(1).max(65535);
/** An absolute count or a percentage of replicas ("25%"). */
const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, 'a count or a percentage such as "25%"')]);

export const resourceList = z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() });
export const resources = z.strictObject({ requests: resourceList.default({}), limits: resourceList.default({}) }).superRefine((r, ctx) => {
  for (const p of resourceProblems(r)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});
export type Resources = z.infer<typeof resources>;

export const probe = z
  .strictObject({
    httpGet: z.strictObject({ path: z.string().startsWith('/').max(2048).default('/'), port }).optional(),
    tcpSocket: z.strictObject({ port }).optional(),
    exec: z.strictObject({ command: z.array(z.string().max(4096)).min(1).max(64) }).optional(),
    initialDelaySeconds: z.number().int().min(0).max(3600).default(0),
    periodSeconds: z.number().int().min(1).max(3600).default(10),
    timeoutSeconds: z.number().int().min(1).max(600).default(1),
    successThreshold: z.number().int().min(1).max(100).default(1),
    failureThreshold: z.number().int().min(1).max(100).default(3),
  })
  .refine((p) => [p.httpGet, p.tcpSocket, p.exec].filter(Boolean).length === 1, 'give exactly one of httpGet, tcpSocket or exec');
export type Probe = z.infer<typeof probe>;

export const container = z.strictObject({
  name: dnsLabel,
  /** An image reference; a DeploymentConfig's ImageChange trigger fills it in from its tag. */
  image: z.string().max(512).default(''),
  command: z.array(z.string().max(4096)).max(64).optional(),
  args: z.array(z.string().max(4096)).max(256).optional(),
  env: z.array(containerEnvVar).max(200).default([]),
  /** Every key of a Secret or ConfigMap as a variable (a later `env` entry of the same name wins). */
  envFrom: z.array(envFromSource).max(50).optional(),
  volumeMounts: z.array(volumeMount).max(50).optional(),
  ports: z.array(z.strictObject({ containerPort: port, protocol: z.enum(['TCP', 'UDP']).default('TCP'), name: z.string().max(15).optional() })).max(20).default([]),
  resources: resources.default({ requests: {}, limits: {} }),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
});
export type Container = z.infer<typeof container>;

export const podSpec = z.strictObject({
  /** One container per pod for now: every fleet adapter runs a pod as one container. */
  containers: z.array(container).min(1).max(1, 'a pod has one container'),
  /** Secrets and ConfigMaps of the pod's project as files, mounted by the containers' volumeMounts. */
  volumes: z.array(volume).max(50).optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).default('Always'),
  /** The host the scheduler bound the pod to; written by binding only. */
  host: z.string().max(253).optional(),
  /** Seconds a stopping container is given before it is killed. */
  terminationGracePeriodSeconds: z.number().int().min(0).max(3600).default(10),
  activeDeadlineSeconds: z.number().int().min(1).optional(),
}).superRefine((s, ctx) => {
  const names = new Set((s.volumes ?? []).map((v) => v.name));
  if (names.size !== (s.volumes ?? []).length) ctx.addIssue({ code: 'custom', path: ['volumes'], message: 'volume names must be unique' });
  s.containers.forEach((c, i) =>
    (c.volumeMounts ?? []).forEach((m, j) => {
      if (!names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['containers', i, 'volumeMounts', j, 'name'], message: `no volume named "${m.name}" in spec.volumes` });
    }),
  );
});
export type PodSpec = z.infer<typeof podSpec>;

export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
export type PodPhase = (typeof POD_PHASES)[number];

export const condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
export type Condition = z.infer<typeof condition>;

export const podStatus = z.object({
  phase: z.enum(POD_PHASES).default('Pending'),
  /** Why it is in this phase: Unschedulable, CrashLoopBackOff, NodeLost, Error, Completed… */
  reason: z.string().optional(),
  message: z.string().optional(),
  hostIP: z.string().optional(),
  /** The pod's own address, where it has one (ECS awsvpc tasks); its endpoints are there. */
  podIP: z.string().optional(),
  /** The container's ports as published on the host (or on the pod's own address). */
  ports: z.array(z.object({ containerPort: z.number(), hostIP: z.string(), hostPort: z.number() })).optional(),
  containerID: z.string().optional(),
  image: z.string().optional(),
  restartCount: z.number().int().default(0),
  startTime: z.string().optional(),
  /** When the pod last became ready (minReadySeconds counts from here). */
  readySince: z.string().optional(),
  exitCode: z.number().int().optional(),
  /**
   * How the container last ended, and the crash back-off it started: kept in the status (not in
   * a host's memory) so that whichever pass of whichever host process looks next continues it.
   */
  lastTermination: z.object({ exitCode: z.number().int(), finishedAt: z.string(), containerID: z.string().optional() }).optional(),
  /** The current crash back-off: the container is not started again before backoffUntil. */
  backoffSeconds: z.number().optional(),
  backoffUntil: z.string().optional(),
  conditions: z.array(condition).default([]),
});
export type PodStatus = z.infer<typeof podStatus>;

const podTemplate = z.strictObject({
  metadata: z.strictObject({ labels: labelMap.default({}), annotations: labelMap.optional() }).default({ labels: {} }),
  spec: podSpec,
});
export type PodTemplate = z.infer<typeof podTemplate>;

const lifecycleHook = z.strictObject({
  failurePolicy: z.enum(['Abort', 'Retry', 'Ignore']).default('Abort'),
  /** Runs `command` in a one-off pod of the new revision's template (`containerName`'s image and env). */
  execNewPod: z.strictObject({
    command: z.array(z.string().max(4096)).min(1).max(64),
    containerName: dnsLabel.optional(),
    env: z.array(envVar).max(200).default([]),
  }),
});
export type LifecycleHook = z.infer<typeof lifecycleHook>;

const rollingParams = z.strictObject({
  maxSurge: intOrPercent.default('25%'),
  maxUnavailable: intOrPercent.default('25%'),
  timeoutSeconds: z.number().int().min(1).max(86_400).default(600),
  intervalSeconds: z.number().int().min(1).max(600).default(1),
  pre: lifecycleHook.optional(),
  post: lifecycleHook.optional(),
});
const recreateParams = z.strictObject({
  timeoutSeconds: z.number().int().min(1).max(86_400).default(600),
  pre: lifecycleHook.optional(),
  mid: lifecycleHook.optional(),
  post: lifecycleHook.optional(),
});

export const deploymentStrategy = z
  .strictObject({
    type: z.enum(['Rolling', 'Recreate']).default('Rolling'),
    rollingParams: rollingParams.optional(),
    recreateParams: recreateParams.optional(),
  })
  .refine((s) => !(s.type === 'Rolling' && s.recreateParams) && !(s.type === 'Recreate' && s.rollingParams), 'give only the params of the strategy named by type');
export type DeploymentStrategy = z.infer<typeof deploymentStrategy>;

export const deploymentTrigger = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ConfigChange') }),
  z.strictObject({
    type: z.literal('ImageChange'),
    imageChangeParams: z.strictObject({
      automatic: z.boolean().default(true),
      /** The containers whose image follows the tag. */
      containerNames: z.array(dnsLabel).min(1),
      from: imageRef.refine((r) => r.kind === 'ImageStreamTag', 'ImageChange follows an ImageStreamTag'),
      /** The image last rolled out from the tag (written by the controller). */
      lastTriggeredImage: z.string().optional(),
    }),
  }),
]);
export type DeploymentTrigger = z.infer<typeof deploymentTrigger>;

export const deploymentConfigSpec = z
  .strictObject({
    replicas: z.number().int().min(0).max(1000).default(1),
    selector: labelMap.default({}),
    template: podTemplate,
    strategy: deploymentStrategy.default({ type: 'Rolling' }),
    triggers: z.array(deploymentTrigger).max(10).default([{ type: 'ConfigChange' }]),
    revisionHistoryLimit: z.number().int().min(0).max(100).default(10),
    paused: z.boolean().default(false),
    minReadySeconds: z.number().int().min(0).max(3600).default(0),
  })
  .refine(
    (s) => Object.entries(s.selector).every(([k, v]) => s.template.metadata.labels[k] === v),
    'the template\'s labels must carry every label of the selector',
  );
export type DeploymentConfigSpec = z.infer<typeof deploymentConfigSpec>;

export const deploymentConfigStatus = z.object({
  latestVersion: z.number().int().default(0),
  observedGeneration: z.number().int().optional(),
  replicas: z.number().int().default(0),
  updatedReplicas: z.number().int().default(0),
  readyReplicas: z.number().int().default(0),
  availableReplicas: z.number().int().default(0),
  unavailableReplicas: z.number().int().default(0),
  /** Why the latest revision was made: ConfigChange, ImageChange, Manual, Rollback. */
  details: z.object({ cause: z.string(), message: z.string().optional() }).optional(),
  conditions: z.array(condition).default([]),
});
export type DeploymentConfigStatus = z.infer<typeof deploymentConfigStatus>;

export const RC_PHASES = ['New', 'Pending', 'Running', 'Complete', 'Failed'] as const;
export type RcPhase = (typeof RC_PHASES)[number];

export const replicationControllerSpec = z.strictObject({
  replicas: z.number().int().min(0).max(1000),
  selector: labelMap,
  template: podTemplate,
  minReadySeconds: z.number().int().min(0).default(0),
});
export type ReplicationControllerSpec = z.infer<typeof replicationControllerSpec>;

export const replicationControllerStatus = z.object({
  /** The rollout's phase for this revision (OpenShift's deployment phase annotation). */
  phase: z.enum(RC_PHASES).default('New'),
  replicas: z.number().int().default(0),
  readyReplicas: z.number().int().default(0),
  availableReplicas: z.number().int().default(0),
  /**
   * The DeploymentConfig's replicas this revision's rollout heads for, as the rollout last wrote
   * them with its own writes of the RC (Kubernetes keeps it in a ReplicaSet's
   * deployment.kubernetes.io/desired-replicas annotation); spec.replicas is where it is now.
   * Absent on an RC made before it was recorded.
   */
  desiredReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  startTime: z.string().optional(),
  completionTime: z.string().optional(),
  /** ReplicaFailure while pods cannot be made (quota exceeded, outside a limit range), as Kubernetes' ReplicaSet. */
  conditions: z.array(condition).optional(),
});
export type ReplicationControllerStatus = z.infer<typeof replicationControllerStatus>;

/**
 * A port's name (Kubernetes' IANA_SVC_NAME): lower-case letters, digits and single inner dashes,
 * at least one letter, at most 15 characters; a Service's `targetPort` may name a container port.
 */
export const portName = z
  .string()
  .max(15)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case letters, digits and single inner dashes (IANA_SVC_NAME)')
  .regex(/[a-z]/, 'must hold at least one letter (a number is a port, not a name)');

/** What a Service's proxy forwards. A Service stored before UDP was refused keeps its UDP port, unforwarded. */
const FORWARDED_PROTOCOLS: ReadonlySet<string> = new Set(['TCP']);

export const servicePort = z.strictObject({
  name: z.string().max(15).optional(),
  port,
  /** The container port: a number, or the name of a port of the pods' containers (resolved per pod). */
  targetPort: z.union([port, portName]).optional(),
  /**
   * TCP only. Kept as a field (Kubernetes' shape) so that UDP is refused by name: the Services'
   * proxies are HAProxy, which forwards TCP only, and a UDP port that resolved but forwarded
   * nothing would fail silently.
   */
  protocol: z
    .enum(['TCP', 'UDP'])
    .default('TCP')
    .refine((p) => FORWARDED_PROTOCOLS.has(p), 'UDP Service ports are not supported: Services forward TCP only (a pod can still listen on UDP for its own project\'s pods at its own address)'),
});
export type ServicePort = z.infer<typeof servicePort>;

export const serviceSpec = z.strictObject({
  selector: labelMap.refine((s) => Object.keys(s).length > 0, 'a service selects pods by at least one label'),
  ports: z.array(servicePort).min(1).max(20),
  /**
   * The Service's stable address on its project's network, allocated when it is created (left
   * out or empty) and never changed; one asked for must be free and in the project's range. On
   * AWS Services are reached by name and have none: one asked for there is refused.
   */
  clusterIP: z.union([z.literal(''), z.ipv4()]).optional(),
});
export type ServiceSpec = z.infer<typeof serviceSpec>;

export const endpoint = z.object({
  pod: z.string(),
  host: z.string(),
  ip: z.string(),
  /**
   * Service port → the host port the pod's target port is published on, and that target port as
   * this pod resolved it (a named targetPort may be another number in each pod).
   */
  ports: z.array(z.object({ port: z.number(), hostPort: z.number(), targetPort: z.number().optional() })),
});
export type Endpoint = z.infer<typeof endpoint>;
export const serviceStatus = z.object({ endpoints: z.array(endpoint).default([]) });
export type ServiceStatus = z.infer<typeof serviceStatus>;

export const hostSpec = z.strictObject({
  provider: z.enum(['docker', 'ecs', 'simulated']),
  /** docker: the engine's socket path or URL; ecs: the container instance ARN. */
  endpoint: z.string().max(2048).optional(),
  /** The address pods' published ports are reached at (127.0.0.1 locally). */
  address: z.string().max(253).default('127.0.0.1'),
  capacity: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }),
  unschedulable: z.boolean().default(false),
  /** ecs: the EC2 instance it runs on, by which the autoscaler finds it in its Auto Scaling group. */
  instanceId: z.string().max(19).optional(),
});
export type HostSpec = z.infer<typeof hostSpec>;

export const hostStatus = z.object({
  allocatable: z.object({ cpuMilli: z.number(), memoryBytes: z.number() }),
  requested: z.object({ cpuMilli: z.number(), memoryBytes: z.number() }),
  /** Room held by what is not a pod (Services' proxies on AWS), by holder; also counted in `requested`. */
  reserved: z.record(z.string(), z.object({ cpuMilli: z.number(), memoryBytes: z.number() })).optional(),
  ready: z.boolean(),
  conditions: z.array(condition).default([]),
});

export const hostLeaseSpec = z.strictObject({
  renewTime: z.string(),
  leaseDurationSeconds: z.number().int().min(1).default(40),
});
export type HostLeaseSpec = z.infer<typeof hostLeaseSpec>;

/** Labels every pod of a DeploymentConfig carries, as OpenShift's do. */
export const DC_LABEL = 'deploymentconfig';
export const RC_LABEL = 'deployment';
/** Annotation on a ReplicationController: its revision number. */
export const REVISION_ANNOTATION = 'berth.io/revision';
/** The finalizer a bound pod carries until its host has stopped it and released its capacity. */
export const HOST_FINALIZER = 'berth.io/host';
