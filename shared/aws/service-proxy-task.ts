// A Service's proxy on AWS (STYLE 8: pure, no I/O): one small ECS task per Service, HAProxy from
// the `berth/service-proxy` image, on its project's network (its own interface in the project's
// security group, so only the project's pods and the routers reach it). Cloud Map answers the
// Service's name `<service>.<project>.svc` with the proxy's address, which stays while endpoints
// come and go; the ready pods are answered under `<service>.endpoints-<k>.<project>.svc`, eight
// names of at most eight pods each (cloud-map.ts, ../services/endpoint-shards.ts), and the proxy
// finds them there itself: its configuration is static per Service spec (one TCP frontend per
// Service port, listening on that port, each with a backend of eight `server-template` groups of
// eight slots, one group per name, that HAProxy's resolver fills from that name's A records, at
// the port the pods listen on), so endpoint changes need no configuration push. All eight names
// are listed from the start, made or not yet: a name made later is resolved without a new
// configuration, which would replace the proxy and cut its connections just as the Service grows.
// A Service's proxy is replaced only when its ports change.
//
// AWS documentation: Amazon ECS API Reference, RegisterTaskDefinition (ContainerDefinition:
// systemControls, memoryReservation, linuxParameters) and RunTask (placementConstraints
// memberOf, networkConfiguration, startedBy, group, tags); Amazon ECS Developer Guide, "Task
// definition parameters" (systemControls: namespaced net.* sysctls are accepted for awsvpc
// tasks; memoryReservation is what a container instance's memory is reserved by), "Create
// expressions to define container instances for Amazon ECS tasks" (the cluster query language:
// `ec2InstanceId == i-…`, `attribute:<name> == <value>`). Amazon Route 53 Developer Guide, "Multivalue answer routing": up to
// eight healthy records per answer.
import { createHash } from 'node:crypto';
import type { RegisterTaskDefinitionCommandInput, RunTaskCommandInput, Tag } from '@aws-sdk/client-ecs';
import { ValidationError } from '../errors.ts';
import type { ServiceProxySpec } from '../services/discovery.ts';
import { ENDPOINT_SHARDS, SHARD_SIZE, shardName } from '../services/endpoint-shards.ts';
import { TCP_PROXY_DEFAULTS } from '../services/proxy-config.ts';
import { HOST_ROLE_ATTRIBUTE, TENANT_ROLE } from './ecs-hosts.ts';
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';
import type { Resources } from '../model/resources.ts';
import { podNetworkConfiguration } from './pod-network.ts';
import { SERVICE_PROXY_REPOSITORY } from './project-roles.ts';

/** Task definition families of Services' proxies: `berth-proxy-<project>_<service>`. */
export const PROXY_FAMILY_PREFIX = 'berth-proxy-';
/** The task group of a proxy names its Service: `berth-proxy:<project>/<service>`. */
export const PROXY_GROUP_PREFIX = 'berth-proxy:';
/** Tags on a proxy's task and task definition, beside berth:managed and berth:project. */
export const PROXY_TAGS = { service: 'berth:service', contentHash: 'berth:content-hash' } as const;
/** The proxy image's repository under the registry prefix (`berth/service-proxy`) and tag, as images/recipe.ts builds it. */
export const PROXY_IMAGE_REPOSITORY = SERVICE_PROXY_REPOSITORY;
export const PROXY_IMAGE_TAG = '1';
/** The proxy's container in its task definition. */
export const PROXY_CONTAINER = 'proxy';
/** What a proxy reserves on its host: 64 CPU units (1/16 vCPU) and 32 MiB, at most 128 MiB. */
export const PROXY_RESOURCES = { cpu: 64, memoryReservationMiB: 32, memoryMiB: 128 } as const;
/**
 * The same reservation in the scheduler's units, counted in its host's room: 63 millicores (which
 * unitsOfMilli makes 64 units, so what Berth counts is what ECS reserves) and 32 MiB (ECS reserves
 * a container's memoryReservation when it has one).
 */
export const PROXY_RESERVATION: Resources = { cpuMilli: Math.ceil((PROXY_RESOURCES.cpu * 1000) / 1024), memoryBytes: PROXY_RESOURCES.memoryReservationMiB * 2 ** 20 };
/** What every proxy's reservation key starts with. */
export const PROXY_ROOM_PREFIX = 'proxy:';
/** The keys of a Service's proxies' reservations on hosts: `proxy:<project>/<service>#<content hash>`. */
export const proxyRoomPrefix = (project: string, service: string): string => `${PROXY_ROOM_PREFIX}${project}/${service}#`;
export const proxyRoomKey = (project: string, service: string, hash: string): string => `${proxyRoomPrefix(project, service)}${hash}`;
/**
 * The Service whose proxy's reservation key this is; undefined for any other key.
 * @example proxyOfRoomKey('proxy:shop/db#3f2a…') // { project: 'shop', service: 'db' }
 */
export function proxyOfRoomKey(key: string): { project: string; service: string } | undefined {
  const m = /^proxy:([^/#]+)\/([^/#]+)#/.exec(key);
  return m ? { project: m[1]!, service: m[2]! } : undefined;
}

/** The image user (Debian's nobody): the proxy never runs as root. */
const PROXY_USER = '65534:65534';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * HAProxy's configuration of a Service's proxy: the VPC resolver from the task's resolv.conf,
 * answers kept 10 s (the records' TTL is 5 s), a pod gone from the answers kept 30 s (its TCP
 * check takes it out sooner if it is gone), a name not made yet looked up again after 5 s, TCP
 * checks of each pod. Each port's backend has one group of slots per shard name.
 * @example renderServiceProxyConfig({ project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }] })
 */
export function renderServiceProxyConfig(spec: ServiceProxySpec): string {
  const shards = Array.from({ length: ENDPOINT_SHARDS }, (_, k) => `${shardName(spec.service, k)}.${spec.project}.svc`);
  const lines = [
    `# Service ${spec.project}/${spec.service} on AWS: its ready pods, under ${ENDPOINT_SHARDS} names of at most ${SHARD_SIZE} each`,
    'global',
    '  maxconn 1024',
    'resolvers vpc',
    '  parse-resolv-conf',
    '  accepted_payload_size 8192',
    '  resolve_retries 3',
    '  timeout resolve 1s',
    '  timeout retry 1s',
    '  hold valid 10s',
    '  hold obsolete 30s',
    '  hold nx 5s',
    ...TCP_PROXY_DEFAULTS,
    '  default-server init-addr none resolvers vpc resolve-prefer ipv4 check inter 2s',
  ];
  for (const p of spec.ports) {
    lines.push(`frontend port-${p.port}`, `  bind :${p.port}`, `  default_backend port-${p.port}`);
    lines.push(`backend port-${p.port}`, '  balance leastconn');
    shards.forEach((name, k) => lines.push(`  server-template shard${k}-pod 1-${SHARD_SIZE} ${name}:${p.target}`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The task definition family of a Service's proxy: only the characters ECS allows, shortened
 * with a hash past ECS's 255. The underscore occurs in neither name, so two projects never share one.
 */
export function proxyFamily(project: string, service: string): string {
  const family = `${PROXY_FAMILY_PREFIX}${project}_${service}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (family.length <= 255) return family;
  const hash = sha(family).slice(0, 16);
  return `${family.slice(0, 255 - hash.length - 1)}-${hash}`;
}

/** The `startedBy` of a Service's proxy tasks: a stable 38-character token of project and Service. */
export const proxyToken = (project: string, service: string): string => `${PROXY_FAMILY_PREFIX}${sha(`${project}/${service}`).slice(0, 26)}`;

/**
 * The Service whose proxy a task is, from its group (`berth-proxy:<project>/<service>`) when its
 * `startedBy` is that Service's token; undefined for any other task (a pod's, a build's, one
 * whose names were too long for a group: the resync finds those).
 * @example proxyServiceOf({ group: 'berth-proxy:shop/db', startedBy: proxyToken('shop', 'db') }) // { project: 'shop', service: 'db' }
 */
export function proxyServiceOf(task: { group?: string; startedBy?: string }): { project: string; service: string } | undefined {
  if (!task.group?.startsWith(PROXY_GROUP_PREFIX)) return undefined;
  const rest = task.group.slice(PROXY_GROUP_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  const [project, service] = [rest.slice(0, slash), rest.slice(slash + 1)];
  return task.startedBy === proxyToken(project, service) ? { project, service } : undefined;
}

export interface ServiceProxySettings {
  /** The proxy image in ECR (`<registry>/berth/service-proxy:1`). */
  image: string;
  /** The task execution role that pulls it: the project's own role (project-roles.ts). */
  executionRoleOf?: (project: string) => string;
}

/**
 * The RegisterTaskDefinition input of a Service's proxy (pure). The configuration travels in
 * an environment variable, which a shell writes to a file before HAProxy starts. The proxy
 * runs as nobody without capabilities; the namespaced sysctl `ip_unprivileged_port_start=0`
 * lets it listen on a Service port below 1024 (a task of its own network namespace).
 */
export function proxyTaskDefinitionInput(spec: ServiceProxySpec, s: ServiceProxySettings): RegisterTaskDefinitionCommandInput {
  if (!spec.ports.length) throw ValidationError.field('spec.ports', 'a Service proxy forwards at least one TCP port');
  return {
    family: proxyFamily(spec.project, spec.service),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['EC2'],
    ...(s.executionRoleOf ? { executionRoleArn: s.executionRoleOf(spec.project) } : {}),
    containerDefinitions: [{
      name: PROXY_CONTAINER,
      image: s.image,
      essential: true,
      command: ['/bin/sh', '-c', 'printf "%s" "$BERTH_PROXY_CONFIG" > /tmp/haproxy.cfg && exec haproxy -W -db -f /tmp/haproxy.cfg'],
      environment: [{ name: 'BERTH_PROXY_CONFIG', value: renderServiceProxyConfig(spec) }],
      portMappings: spec.ports.map((p) => ({ containerPort: p.port, protocol: 'tcp' as const })),
      cpu: PROXY_RESOURCES.cpu,
      memoryReservation: PROXY_RESOURCES.memoryReservationMiB,
      memory: PROXY_RESOURCES.memoryMiB,
      user: PROXY_USER,
      privileged: false,
      readonlyRootFilesystem: false,
      linuxParameters: { capabilities: { drop: ['ALL'] }, initProcessEnabled: true },
      dockerSecurityOptions: ['no-new-privileges'],
      systemControls: [{ namespace: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      mountPoints: [],
      volumesFrom: [],
    }],
  };
}

/** The hash of a proxy's task definition, in its tags and its tasks' (a new one replaces them). */
export const proxyContentHash = (input: RegisterTaskDefinitionCommandInput): string => sha(JSON.stringify(input)).slice(0, 32);

/** The tags of a Service's proxy task and task definition. */
export const proxyTags = (spec: Pick<ServiceProxySpec, 'project' | 'service'>, hash: string): Tag[] => [
  { key: MANAGED_TAG, value: 'true' },
  { key: PROJECT_TAG, value: spec.project },
  { key: PROXY_TAGS.service, value: spec.service },
  { key: PROXY_TAGS.contentHash, value: hash },
];

/**
 * The RunTask input of a Service's proxy (pure): on the tenant host Berth chose and reserved its
 * room on (a `memberOf` constraint on its EC2 instance id, beside the tenant role's), on the
 * project's network, named by its token and group, tagged.
 */
export function proxyRunTaskInput(
  spec: ServiceProxySpec,
  o: { cluster: string; taskDefinition: string; hash: string; subnets: string[]; securityGroup: string; ec2InstanceId: string },
): RunTaskCommandInput {
  if (!/^i-[0-9a-f]{8,17}$/.test(o.ec2InstanceId)) throw new Error(`"${o.ec2InstanceId}" is not an EC2 instance id`);
  const group = `${PROXY_GROUP_PREFIX}${spec.project}/${spec.service}`;
  return {
    cluster: o.cluster,
    taskDefinition: o.taskDefinition,
    count: 1,
    launchType: 'EC2',
    startedBy: proxyToken(spec.project, spec.service),
    ...(group.length <= 255 ? { group } : {}),
    placementConstraints: [
      { type: 'memberOf', expression: `attribute:${HOST_ROLE_ATTRIBUTE} == ${TENANT_ROLE}` },
      { type: 'memberOf', expression: `ec2InstanceId == ${o.ec2InstanceId}` },
    ],
    networkConfiguration: podNetworkConfiguration(o.subnets, o.securityGroup),
    tags: proxyTags(spec, o.hash),
    enableECSManagedTags: true,
  };
}
