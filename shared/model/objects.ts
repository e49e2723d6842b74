// The stored objects of each kind, typed: what reconcilers, handlers and adapters pass around.
import type {
  Condition,
  DeploymentConfigSpec,
  DeploymentConfigStatus,
  HostLeaseSpec,
  HostSpec,
  PodSpec,
  PodStatus,
  ReplicationControllerSpec,
  ReplicationControllerStatus,
  ServiceSpec,
  ServiceStatus,
} from './deploy-kinds.ts';
import type { HostStatus } from './resources.ts';
import type { RouteSpec, RouteStatus } from './route-kinds.ts';
import type { BerthObject } from './types.ts';

export type Pod = BerthObject<PodSpec, PodStatus>;
export type DeploymentConfig = BerthObject<DeploymentConfigSpec, DeploymentConfigStatus>;
export type ReplicationController = BerthObject<ReplicationControllerSpec, ReplicationControllerStatus>;
export type Service = BerthObject<ServiceSpec, ServiceStatus>;
export type Host = BerthObject<HostSpec, HostStatus & { conditions?: Condition[] }>;
export type HostLease = BerthObject<HostLeaseSpec, unknown>;
export type Route = BerthObject<RouteSpec, RouteStatus>;
