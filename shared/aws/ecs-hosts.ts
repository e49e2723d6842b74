// ECS container instances as fleet Hosts: the tenant hosts of Berth's cluster (those whose
// `berth.role` attribute is `tenant`; build hosts, which lend builds the Docker socket, never
// become Hosts) are found with ListContainerInstances and DescribeContainerInstances and kept
// as Host objects named `ecs-<container instance id>`. Their capacity is what the instance
// registered with ECS; their room already promised to pods (status.requested) belongs to
// binding and is never touched here. A connected, active instance has its HostLease renewed,
// so the host lifecycle controller sees it alive; one that is gone or disconnected lets its
// lease lapse, and the controller does the rest.
import { DescribeContainerInstancesCommand, ListContainerInstancesCommand, type Attribute, type ECSClient, type Resource } from '@aws-sdk/client-ecs';
import { registerHost, renewLease } from '../deploy/host-lifecycle.ts';
import type { HostSpec } from '../model/deploy-kinds.ts';
import type { Resources } from '../scheduler/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { milliOfUnits } from './ecs-cpu.ts';

/** The container-instance attribute naming a host's role (set by the fleet's user data). */
export const HOST_ROLE_ATTRIBUTE = 'berth.role';
export const TENANT_ROLE = 'tenant';
/** The container-instance attribute carrying the address pods' ports are reached at (its private IP). */
export const ADDRESS_ATTRIBUTE = 'berth.address';
/** How long an ECS host's lease lasts: past a minute's resync, with room for one missed pass. */
export const ECS_LEASE_SECONDS = 150;
const DESCRIBE_BATCH = 100;
const MiB = 2 ** 20;

/** What a container instance says of itself: the fields of DescribeContainerInstances and of its state-change events alike. */
export interface ContainerInstanceLike {
  containerInstanceArn?: string;
  ec2InstanceId?: string;
  agentConnected?: boolean;
  status?: string;
  attributes?: Attribute[];
  registeredResources?: Resource[];
}

export interface EcsHost {
  name: string;
  spec: HostSpec;
  allocatable: Resources;
  /** The agent is connected and the instance ACTIVE. */
  ready: boolean;
  ec2InstanceId?: string;
}

/**
 * The Host name of a container instance: `ecs-<id>`, the id being the ARN's last part.
 * @example hostNameOf('arn:aws:ecs:eu-west-1:1:container-instance/berth/5c1e…') // 'ecs-5c1e…'
 */
export const hostNameOf = (containerInstanceArn: string): string => `ecs-${containerInstanceArn.split('/').pop()!.toLowerCase()}`;

const attribute = (ci: ContainerInstanceLike, name: string) => ci.attributes?.find((a) => a.name === name)?.value;
const registered = (ci: ContainerInstanceLike, name: string) => ci.registeredResources?.find((r) => r.name === name)?.integerValue ?? 0;

/** Whether the instance is one of Berth's tenant hosts (where pods may run). */
export const isTenantHost = (ci: ContainerInstanceLike): boolean => attribute(ci, HOST_ROLE_ATTRIBUTE) === TENANT_ROLE;

/**
 * The Host a container instance is, or undefined when it has no ARN or no known address.
 * CPU units become millicores as pods' do (ecs-cpu.ts), MEMORY is MiB.
 */
export function ecsHostOf(ci: ContainerInstanceLike, address?: string): EcsHost | undefined {
  const arn = ci.containerInstanceArn;
  const where = attribute(ci, ADDRESS_ATTRIBUTE) ?? address;
  if (!arn || !where) return undefined;
  const cpuMilli = milliOfUnits(registered(ci, 'CPU'));
  const mib = registered(ci, 'MEMORY');
  return {
    name: hostNameOf(arn),
    spec: {
      provider: 'ecs', endpoint: arn, address: where, capacity: { cpu: `${cpuMilli}m`, memory: `${mib}Mi` }, unschedulable: ci.status !== 'ACTIVE',
      ...(ci.ec2InstanceId ? { instanceId: ci.ec2InstanceId } : {}),
    },
    allocatable: { cpuMilli, memoryBytes: mib * MiB },
    ready: ci.agentConnected === true && ci.status === 'ACTIVE',
    ...(ci.ec2InstanceId ? { ec2InstanceId: ci.ec2InstanceId } : {}),
  };
}

export interface DiscoverOptions {
  client: ECSClient;
  cluster: string;
  /** Private IPs of EC2 instances, for instances without the berth.address attribute (an EC2 DescribeInstances reader). */
  addresses?: (ec2InstanceIds: string[]) => Promise<Record<string, string>>;
}

export interface Discovery {
  hosts: EcsHost[];
  /** Tenant instances left out, with why (no address known). */
  skipped: { containerInstanceArn: string; reason: string }[];
}

/**
 * How many tasks each host runs or is starting (DescribeContainerInstances' `runningTasksCount`
 * and `pendingTasksCount`, 100 instances a call), by Host name: pods, and what the fleet runs
 * besides them (Services' proxies). Hosts whose container instance is gone are left out.
 * AWS documentation: Amazon ECS API Reference, DescribeContainerInstances; ContainerInstance.
 */
export async function tasksOnHosts(client: Pick<ECSClient, 'send'>, cluster: string, hosts: { name: string; containerInstanceArn: string }[]): Promise<Map<string, number>> {
  const byArn = new Map(hosts.map((h) => [h.containerInstanceArn, h.name]));
  const arns = [...byArn.keys()];
  const out = new Map<string, number>();
  for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
    const page = await client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns.slice(i, i + DESCRIBE_BATCH) }));
    for (const ci of page.containerInstances ?? []) {
      const name = ci.containerInstanceArn && byArn.get(ci.containerInstanceArn);
      if (name) out.set(name, (ci.runningTasksCount ?? 0) + (ci.pendingTasksCount ?? 0));
    }
  }
  return out;
}

/** Berth's tenant hosts in the cluster as Host specs. */
export async function discoverEcsHosts(opts: DiscoverOptions): Promise<Discovery> {
  const { client, cluster } = opts;
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await client.send(new ListContainerInstancesCommand({ cluster, filter: `attribute:${HOST_ROLE_ATTRIBUTE} == ${TENANT_ROLE}`, ...(nextToken ? { nextToken } : {}) }));
    arns.push(...(out.containerInstanceArns ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  const instances: ContainerInstanceLike[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
    const out = await client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns.slice(i, i + DESCRIBE_BATCH) }));
    instances.push(...(out.containerInstances ?? []));
  }
  const tenants = instances.filter(isTenantHost);
  const unaddressed = tenants.filter((ci) => !attribute(ci, ADDRESS_ATTRIBUTE) && ci.ec2InstanceId).map((ci) => ci.ec2InstanceId!);
  const ips = unaddressed.length && opts.addresses ? await opts.addresses(unaddressed) : {};
  const found: Discovery = { hosts: [], skipped: [] };
  for (const ci of tenants) {
    const host = ecsHostOf(ci, ci.ec2InstanceId ? ips[ci.ec2InstanceId] : undefined);
    if (host) found.hosts.push(host);
    else found.skipped.push({ containerInstanceArn: ci.containerInstanceArn ?? '', reason: `no ${ADDRESS_ATTRIBUTE} attribute and no private IP known for ${ci.ec2InstanceId ?? 'its EC2 instance'}` });
  }
  return found;
}

/**
 * Creates the Host, or updates its spec and allocatable room. Never touches status.requested
 * (binding's) nor, on an existing Host, status.ready (the host lifecycle controller's).
 */
export async function upsertEcsHost(store: ObjectStore, host: EcsHost): Promise<void> {
  await registerHost(store, { name: host.name, spec: host.spec, allocatable: host.allocatable, ready: host.ready });
}

export interface SyncEcsHostsOptions extends DiscoverOptions {
  leaseDurationSeconds?: number;
  now?: () => Date;
}

/**
 * One pass: every tenant instance is a Host (created or updated), and the lease of each
 * connected, active one is renewed. Run it on the resync schedule; instance events renew in
 * between (handleEcsEvent).
 */
export async function syncEcsHosts(store: ObjectStore, opts: SyncEcsHostsOptions): Promise<{ hosts: string[]; renewed: string[]; skipped: Discovery['skipped'] }> {
  const { hosts, skipped } = await discoverEcsHosts(opts);
  const renewed: string[] = [];
  for (const host of hosts) {
    await upsertEcsHost(store, host);
    if (!host.ready) continue;
    await renewLease(store, host.name, opts.leaseDurationSeconds ?? ECS_LEASE_SECONDS, opts.now?.() ?? new Date());
    renewed.push(host.name);
  }
  return { hosts: hosts.map((h) => h.name), renewed, skipped };
}
