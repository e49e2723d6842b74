// One pass over the ECS fleet: tenant container instances become Hosts (leases renewed), then
// each host's pods are synced through ECS (StartTask, StopTask), a few hosts and pods at a time.
// Readiness comes from the containers' health as DescribeTasks reports it (the control plane is
// not inside the hosts' network, so it cannot probe), and so does liveness for a container whose
// health check is its liveness probe (an UNHEALTHY one is restarted; fleet/health-check.ts). A
// task state event syncs only its pod.
import type { EcsPodSecrets } from '../aws/ecs-pod-secrets.ts';
import type { SecretBox } from '../secrets/ports.ts';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { podOfTask, TASK_STATE_CHANGE, type EcsEvent, type EcsTaskDetail } from '../aws/ecs-events.ts';
import { hostNameOf, syncEcsHosts } from '../aws/ecs-hosts.ts';
import { podToken } from '../aws/ecs-pod-spec.ts';
import { EcsPodContainers, type EcsPodsOptions } from '../aws/ecs-pods.ts';
import type { PlatformRegistry } from '../images/access.ts';
import type { Host, Pod } from '../model/objects.ts';
import { projectUids } from '../project/uid-blocks.ts';
import type { BindingStore } from '../scheduler/ports.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import { eachLimited } from './each-limited.ts';
import type { FleetErrorPlace } from './loop-errors.ts';
import { createPodSync } from './pod-sync.ts';

export interface EcsFleetSyncOptions {
  store: ObjectStore;
  bindings: BindingStore;
  client: ECSClient;
  cluster: string;
  /** Each project's task execution role (image pulls, logs) and the pods' log group, when they have them. */
  executionRoleOf?: (project: string) => string;
  logGroup?: string;
  /** The pods' task role (ECS Exec's channels only); with it, pods' tasks start with ECS Exec enabled. */
  taskRoleArn?: string;
  region: string;
  /** The claims file system (EFS), when the platform has one: pods mount their claims' access points from it. */
  efs?: EcsPodsOptions['efs'];
  /**
   * Project networks: pods as awsvpc tasks in these subnets with their project's security group;
   * after each pass, the groups of projects left without pods are removed.
   */
  network?: { subnets: string[]; groups: { securityGroupOf(project: string): Promise<string>; prune(keep: ReadonlySet<string>): Promise<string[]> } };
  /** Services are Cloud Map names (shared/aws/cloud-map.ts): pods get the names, not cluster IPs nothing holds on ECS. */
  serviceNames?: boolean;
  /** The platform registry's layout: a pod runs no other project's image. */
  images?: PlatformRegistry;
  /** Pods' Secrets: the box that opens their sealed values, and where ECS fetches them from (Secrets Manager). */
  secrets?: { box: SecretBox; values: EcsPodSecrets };
  /** The clock of the pods' back-off and drain (tests). */
  now?: () => number;
  /** Where a host's or a pod's failure goes (fleetErrorReporter: the logs and a metric); the pass goes on with the others. */
  onError?: (err: unknown, place: FleetErrorPlace) => void;
}

/** Pods synced at once on one host, and hosts synced at once: ECS throttles bursts per account. */
export const POD_CONCURRENCY = 10;
export const HOST_CONCURRENCY = 4;

interface Wiring {
  taskDefinitions: Map<string, string>;
  uidFor: (project: string) => Promise<number>;
}

function podSyncOf(o: EcsFleetSyncOptions, w: Wiring, host: Host, view: EcsPodsOptions['view']) {
  const containers = new EcsPodContainers({
    client: o.client,
    cluster: o.cluster,
    containerInstanceArn: host.spec.endpoint!,
    address: host.spec.address,
    executionRoleOf: o.executionRoleOf,
    logGroup: o.logGroup,
    ...(o.taskRoleArn ? { taskRoleArn: o.taskRoleArn } : {}),
    region: o.region,
    ...(o.efs ? { efs: o.efs } : {}),
    taskDefinitions: w.taskDefinitions,
    view,
    ...(o.network ? { network: { subnets: o.network.subnets, securityGroupOf: (p: string) => o.network!.groups.securityGroupOf(p) } } : {}),
    images: o.images,
    ...(o.secrets ? { secrets: o.secrets.values } : {}),
  });
  const hostName = host.metadata.name;
  const onError = (pod: string, err: unknown) => o.onError?.(err, { host: hostName, pod });
  return createPodSync({ store: o.store, bindings: o.bindings, hostName, address: host.spec.address, containers, uidFor: w.uidFor, reportedReadiness: true, onError, concurrency: POD_CONCURRENCY, ...(o.serviceNames ? { serviceNames: true } : {}), ...(o.secrets ? { secrets: o.secrets.box } : {}), ...(o.now ? { now: o.now } : {}) });
}

/**
 * The resync function's pass over the fleet and its handling of one task's event; task
 * definitions registered by one are remembered for the next.
 * A full pass reads the pods once (not once per host), and each host's tasks once: one
 * ListTasks and a DescribeTasks per 100 tasks, whatever the number of pods.
 * @example const fleet = createEcsFleetSync({ store, bindings, client, cluster, region }); await fleet()
 */
export function createEcsFleetSync(o: EcsFleetSyncOptions): EcsFleetSync {
  const w: Wiring = { taskDefinitions: new Map<string, string>(), uidFor: projectUids(o.store) };
  const pass = async () => {
    await syncEcsHosts(o.store, { client: o.client, cluster: o.cluster });
    const byHost = new Map<string, Pod[]>();
    const projects = new Set<string>();
    for await (const p of eachOfKind<Pod>(o.store, 'Pod')) {
      projects.add(p.metadata.project);
      if (p.spec.host) byHost.set(p.spec.host, [...(byHost.get(p.spec.host) ?? []), p]);
    }
    const ready: Host[] = [];
    for await (const host of eachObject<Host>(o.store, 'Host', '')) {
      if (host.spec.provider === 'ecs' && host.spec.endpoint && host.status.ready) ready.push(host);
    }
    let pods = 0;
    await eachLimited(ready, HOST_CONCURRENCY, async (host) => {
      try {
        pods += (await podSyncOf(o, w, host, 'host').syncHost(byHost.get(host.metadata.name) ?? [])).pods;
      } catch (err) {
        // One host that cannot be read (its task list) does not keep the others' pods waiting.
        o.onError?.(err, { host: host.metadata.name });
      }
    });
    // Pods are stored before their tasks start, so a project about to get its first pod keeps its group.
    if (o.network) await o.network.groups.prune(projects);
    return { hosts: ready.length, pods };
  };

  /** One task's state changed: only its pod is synced, from one ListTasks and one DescribeTasks. */
  const taskEvent = async (event: EcsEvent): Promise<{ pod?: string; ignored?: string }> => {
    if (event['detail-type'] !== TASK_STATE_CHANGE) return { ignored: `not a task state change: ${event['detail-type']}` };
    const task = event.detail as EcsTaskDetail;
    if (!task.taskArn || !task.containerInstanceArn) return { ignored: 'no task or container instance' };
    const hostName = hostNameOf(task.containerInstanceArn);
    const pod = await podOfTask(o.store, task, hostName);
    if (!pod || task.startedBy !== podToken(pod.metadata.project, pod.metadata.name) || pod.spec.host !== hostName) return { ignored: 'not the task of a pod bound to this host' };
    const host = await o.store.get<Host>({ kind: 'Host', project: '', name: hostName });
    if (!host?.spec.endpoint || host.spec.provider !== 'ecs') return { ignored: `host ${hostName} is not a registered ECS host` };
    const view = { project: pod.metadata.project, pod: pod.metadata.name, taskArns: [task.taskArn] };
    try {
      await podSyncOf(o, w, host, view).syncPod(pod);
    } catch (err) {
      o.onError?.(err, { host: hostName, pod: pod.metadata.name });
      throw err;
    }
    return { pod: `${pod.metadata.project}/${pod.metadata.name}` };
  };

  return Object.assign(pass, { taskEvent });
}

export type EcsFleetSync = (() => Promise<{ hosts: number; pods: number }>) & {
  taskEvent(event: EcsEvent): Promise<{ pod?: string; ignored?: string }>;
};
