// Service discovery on AWS as the security tests drive it: the real service-discovery reconciler
// and project finalizer over a store, with Cloud Map and ECS as their API References describe
// them (test/aws/cloud-map-fake.ts, test/aws/ecs-proxy-fake.ts) and one tenant host.
import { ECSClient } from '@aws-sdk/client-ecs';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { CloudMapDiscovery } from '../../shared/aws/cloud-map.ts';
import { EcsServiceProxies } from '../../shared/aws/ecs-service-proxies.ts';
import type { Host } from '../../shared/model/objects.ts';
import { foundationReconcilers } from '../../shared/reconcile/foundation.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { HostReservations } from '../../shared/scheduler/reservations.ts';
import { serviceDiscoveryReconciler } from '../../shared/services/discovery.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import { CLOUD_MAP_REGION, FakeCloudMap } from '../aws/cloud-map-fake.ts';
import { ECS_REGION, FakeEcsProxies } from '../aws/ecs-proxy-fake.ts';

export interface AwsDiscovery {
  cloudMap: FakeCloudMap;
  ecs: FakeEcsProxies;
  /** The one tenant host, as registered. */
  host: Host;
  discovery: Reconciler;
  finalizer: Reconciler;
  /** Restores the SDK clients the fakes replaced. */
  restore(): void;
}

/** Each project's security group is `groupOf(project)`. */
export async function awsDiscovery(store: ObjectStore, groupOf: (project: string) => string = (p) => `sg-0${p}`): Promise<AwsDiscovery> {
  const cloudMap = new FakeCloudMap();
  cloudMap.pendingPolls = 0;
  const ecs = new FakeEcsProxies();
  const host = await ecs.tenantHost(store, 'i-0a1b2c3d4e5f60718');
  const names = new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: CLOUD_MAP_REGION }), vpcId: 'vpc-0b1e2a3c4d5e6f708', polls: 2, sleep: async () => {} });
  const proxies = new EcsServiceProxies({ client: new ECSClient({ region: ECS_REGION }), cluster: 'berth', image: 'berth/service-proxy:1', subnets: ['subnet-a'], securityGroupOf: async (p) => groupOf(p), room: new HostReservations(store) });
  const finalizer = foundationReconcilers(store, { serviceDiscovery: names })[0]!;
  if (finalizer.name !== 'project-finalizer') throw new Error(`the first foundation reconciler is ${finalizer.name}, not the project finalizer`);
  return {
    cloudMap, ecs, host, finalizer,
    discovery: serviceDiscoveryReconciler(store, names, proxies),
    restore: () => {
      cloudMap.mock.restore();
      ecs.mock.restore();
    },
  };
}
