// Project networks on AWS (STYLE 8: pure, no I/O). Pods run as `awsvpc` tasks: each task has an
// elastic network interface of its own in the tenant hosts' private subnets, with its project's
// security group. A project's group lets in its own members (pods of one project reach each
// other, by address, on any port) and the routers (on the ports a pod may listen on), nothing
// else; so a pod of another project, a build, or anything else in the VPC cannot reach it. ENI
// trunking on the container instances (the account setting awsvpcTrunking) gives each host
// enough interfaces for its pods (docs/aws.md). The port of the interface is the pod's own: the
// router reaches `<task ENI address>:<container port>`, no host port is published.
import type { NetworkConfiguration, RegisterTaskDefinitionCommandInput, StartTaskCommandInput, Tag, Task } from '@aws-sdk/client-ecs';
import type { PodSpecForHost, RunningPod } from '../fleet/types.ts';
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';

/** Security groups of projects are named `berth-pod-<project>` and tagged berth:managed, berth:project, berth:network. */
export const PROJECT_GROUP_PREFIX = 'berth-pod-';
export const NETWORK_TAG = 'berth:network';
/** The ports a pod can listen on (it runs as a non-root UID without capabilities): what routers may reach. */
export const POD_LISTEN_PORTS = { from: 1024, to: 65535 } as const;
/** The tag on a pod's task listing its container ports (an awsvpc task reports no port bindings). */
export const PORTS_TAG = 'berth:ports';

/** What the ECS adapter needs to run pods on project networks. */
export interface PodNetwork {
  /** The tenant hosts' private subnets (ECS puts a task's interface in the one of its host's zone). */
  subnets: string[];
  /** The project's security group, made when missing. */
  securityGroupOf(project: string): Promise<string>;
}

/** The CreateSecurityGroup input of a project's group (EC2 API, CreateSecurityGroup). */
export function projectGroupInput(project: string, vpcId: string) {
  return {
    GroupName: `${PROJECT_GROUP_PREFIX}${project}`,
    Description: `Berth pods of project ${project}: reached by the project's own pods and the routers only`,
    VpcId: vpcId,
    TagSpecifications: [{ ResourceType: 'security-group' as const, Tags: projectGroupTags(project) }],
  };
}

export function projectGroupTags(project: string): { Key: string; Value: string }[] {
  return [
    { Key: MANAGED_TAG, Value: 'true' },
    { Key: PROJECT_TAG, Value: project },
    { Key: NETWORK_TAG, Value: 'project' },
  ];
}

/** The ingress of a project's group: every protocol from its own members, pod ports from the routers' group. */
export function projectIngressInput(groupId: string, routersGroupId: string) {
  return {
    GroupId: groupId,
    IpPermissions: [
      { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId, Description: 'pods of the same project' }] },
      { IpProtocol: 'tcp', FromPort: POD_LISTEN_PORTS.from, ToPort: POD_LISTEN_PORTS.to, UserIdGroupPairs: [{ GroupId: routersGroupId, Description: 'Berth routers' }] },
    ],
  };
}

/** A pod's task definition with its own network interface: `awsvpc`, ports as the container has them. */
export function awsvpcTaskDefinition(input: RegisterTaskDefinitionCommandInput): RegisterTaskDefinitionCommandInput {
  return {
    ...input,
    networkMode: 'awsvpc',
    containerDefinitions: input.containerDefinitions?.map((c) => ({
      ...c,
      portMappings: c.portMappings?.map(({ hostPort: _published, ...p }) => ({ ...p, containerPort: p.containerPort })),
    })),
  };
}

/** The awsvpc configuration of a pod's task: the tenant subnets, its project's group, no public address. */
export function podNetworkConfiguration(subnets: string[], securityGroup: string): NetworkConfiguration {
  return { awsvpcConfiguration: { subnets: [...subnets], securityGroups: [securityGroup], assignPublicIp: 'DISABLED' } };
}

/** A pod's StartTask input on its project's network, its container ports in a tag. */
export function awsvpcStartTask(input: StartTaskCommandInput, spec: Pick<PodSpecForHost, 'ports'>, subnets: string[], securityGroup: string): StartTaskCommandInput {
  const ports: Tag = { key: PORTS_TAG, value: spec.ports.map((p) => p.containerPort).join(' ') };
  return { ...input, networkConfiguration: podNetworkConfiguration(subnets, securityGroup), tags: [...(input.tags ?? []), ports] };
}

/** The private address of a task's own interface, when it has one (awsvpc). */
export function taskAddress(task: Task): string | undefined {
  const eni = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface' || a.type === 'eni');
  return eni?.details?.find((d) => d.name === 'privateIPv4Address')?.value ?? task.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address;
}

/**
 * An awsvpc task's pod as the port reports it: its ports are reached at the task's own address
 * (podIP), each on its container port. A task of the bridge network is left as it was read.
 */
export function withTaskAddress(pod: RunningPod, task: Task): RunningPod {
  const podIP = taskAddress(task);
  if (!podIP) return pod;
  const portsTag = task.tags?.find((t) => t.key === PORTS_TAG)?.value ?? '';
  const ports = portsTag.split(' ').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  return { ...pod, podIP, hostPorts: ports.map((containerPort) => ({ containerPort, hostIp: podIP, hostPort: containerPort })).sort((a, b) => a.containerPort - b.containerPort) };
}
