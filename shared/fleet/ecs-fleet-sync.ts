// One pass over the ECS fleet: tenant container instances become Hosts (leases renewed), then
// each host's pods are synced through ECS (StartTask, StopTask). Readiness comes from the task
// state events (fleet-events), since the control plane is not inside the hosts' network.
import type { ECSClient } from '@aws-sdk/client-ecs';
import { syncEcsHosts } from '../aws/ecs-hosts.ts';
import { EcsPodContainers } from '../aws/ecs-pods.ts';
import type { PlatformRegistry } from '../images/access.ts';
import type { Host, Pod } from '../model/objects.ts';
import { projectUids } from '../project/uid-blocks.ts';
import type { BindingStore } from '../scheduler/ports.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { FleetErrorPlace } from './loop-errors.ts';
import { createPodSync } from './pod-sync.ts';

export interface EcsFleetSyncOptions {
  store: ObjectStore;
  bindings: BindingStore;
  client: ECSClient;
  cluster: string;
  /** The pods' task execution role (image pulls, logs) and log group, when they have them. */
  executionRoleArn?: string;
  logGroup?: string;
  region: string;
  /**
   * Project networks: pods as awsvpc tasks in these subnets with their project's security group;
   * after each pass, the groups of projects left without pods are removed.
   */
  network?: { subnets: string[]; groups: { securityGroupOf(project: string): Promise<string>; prune(keep: ReadonlySet<string>): Promise<string[]> } };
  /** The platform registry's layout: a pod runs no other project's image. */
  images?: PlatformRegistry;
  /** The clock of the pods' back-off and drain (tests). */
  now?: () => number;
  /** Where a host's or a pod's failure goes (fleetErrorReporter: the logs and a metric); the pass goes on with the others. */
  onError?: (err: unknown, place: FleetErrorPlace) => void;
}

/**
 * The resync function's pass over the fleet; task definitions registered by one pass are
 * remembered for the next.
 * @example const sync = createEcsFleetSync({ store, bindings, client, cluster, region }); await sync()
 */
export function createEcsFleetSync(o: EcsFleetSyncOptions): () => Promise<{ hosts: number; pods: number }> {
  const taskDefinitions = new Map<string, string>();
  const uidFor = projectUids(o.store);
  return async () => {
    await syncEcsHosts(o.store, { client: o.client, cluster: o.cluster });
    let hosts = 0;
    let pods = 0;
    for await (const host of eachObject<Host>(o.store, 'Host', '')) {
      if (host.spec.provider !== 'ecs' || !host.spec.endpoint || !host.status.ready) continue;
      const containers = new EcsPodContainers({
        client: o.client,
        cluster: o.cluster,
        containerInstanceArn: host.spec.endpoint,
        address: host.spec.address,
        executionRoleArn: o.executionRoleArn,
        logGroup: o.logGroup,
        region: o.region,
        taskDefinitions,
        ...(o.network ? { network: { subnets: o.network.subnets, securityGroupOf: (p: string) => o.network!.groups.securityGroupOf(p) } } : {}),
        images: o.images,
      });
      const hostName = host.metadata.name;
      const onError = (pod: string, err: unknown) => o.onError?.(err, { host: hostName, pod });
      const sync = createPodSync({ store: o.store, bindings: o.bindings, hostName, address: host.spec.address, containers, uidFor, reportedReadiness: true, onError, ...(o.now ? { now: o.now } : {}) });
      try {
        pods += (await sync.syncHost()).pods;
      } catch (err) {
        // One host that cannot be read (its task list) does not keep the others' pods waiting.
        o.onError?.(err, { host: hostName });
      }
      hosts++;
    }
    if (o.network) {
      // Pods are stored before their tasks start, so a project about to get its first pod keeps its group.
      const keep = new Set<string>();
      for await (const p of eachOfKind<Pod>(o.store, 'Pod')) keep.add(p.metadata.project);
      await o.network.groups.prune(keep);
    }
    return { hosts, pods };
  };
}
