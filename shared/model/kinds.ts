// The kind registry: every kind the API serves, with its names, scope and authorisation category
// (from kind-names.ts, which the CLI reads without zod) and the zod schemas of its spec and
// status. Later capabilities (builds, deployments, routes…) add their kinds to both and get API
// routes, OpenAPI, validation and authorisation for free.
import * as z from 'zod';
import { buildConfigSpec, buildConfigStatus, buildSpec, buildStatus, imageStreamSpec, imageStreamStatus } from './build-kinds.ts';
import {
  deploymentConfigSpec,
  deploymentConfigStatus,
  podSpec,
  podStatus,
  replicationControllerSpec,
  replicationControllerStatus,
  serviceSpec,
  serviceStatus,
} from './deploy-kinds.ts';
import { KIND_NAMES, ROLE_NAMES, type KindName, type ObjectKind } from './kind-names.ts';
import { configMapSpec, secretSpec } from './config-kinds.ts';
import { persistentVolumeClaimSpec, persistentVolumeClaimStatus } from './volume-kinds.ts';
import { routeAnnotations, routeSpec, routeStatus } from './route-kinds.ts';
import { limitRangeSpec, resourceQuotaSpec, resourceQuotaStatus } from '../quota/kinds.ts';
import { templateSpec } from '../templates/types.ts';

export type { Category } from './kind-names.ts';
export { CLUSTER_KINDS, resolveKind } from './kind-names.ts';

export interface KindDef extends KindName {
  spec: z.ZodType;
  status: z.ZodType;
  /** The schema of metadata.annotations where the kind gives some of them a meaning (Route: the router's). */
  annotations?: z.ZodType<Record<string, string>>;
}

export const roleName = z.enum(ROLE_NAMES);
export type RoleName = z.infer<typeof roleName>;

export const subject = z.strictObject({
  kind: z.enum(['User', 'Group']),
  name: z.string().min(1).max(253),
});
export type Subject = z.infer<typeof subject>;

export const roleBindingSpec = z.strictObject({
  role: roleName,
  subjects: z.array(subject).max(500).default([]),
});
export type RoleBindingSpec = z.infer<typeof roleBindingSpec>;


export const eventSpec = z.strictObject({
  involvedObject: z.strictObject({ kind: z.string(), name: z.string() }),
  type: z.enum(['Normal', 'Warning']),
  reason: z.string(),
  message: z.string(),
  count: z.number().int().min(1).default(1),
  firstTimestamp: z.string(),
  lastTimestamp: z.string(),
});
export type EventSpec = z.infer<typeof eventSpec>;

export const projectSpec = z.strictObject({
  displayName: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
});
export type ProjectSpec = z.infer<typeof projectSpec>;

export const projectStatus = z.strictObject({
  phase: z.enum(['Active', 'Terminating']),
  /** On AWS: the project's task execution role (pulls its images, ships its pods' logs), once made. */
  executionRole: z.strictObject({ arn: z.string(), version: z.string() }).optional(),
});
export type ProjectStatus = z.infer<typeof projectStatus>;

export const groupSpec = z.strictObject({ users: z.array(z.string().min(1).max(253)).max(5000).default([]) });
export type GroupSpec = z.infer<typeof groupSpec>;

export const userSpec = z.strictObject({ fullName: z.string().max(256).optional() });

const anyStatus = z.record(z.string(), z.unknown());

/** The schemas of each kind of KIND_NAMES; a kind missing here fails the type check. */
const SCHEMAS: Record<ObjectKind, Pick<KindDef, 'spec' | 'status' | 'annotations'>> = {
  ConfigMap: { spec: configMapSpec, status: anyStatus },
  Secret: { spec: secretSpec, status: anyStatus },
  RoleBinding: { spec: roleBindingSpec, status: anyStatus },
  Event: { spec: eventSpec, status: anyStatus },
  BuildConfig: { spec: buildConfigSpec, status: buildConfigStatus },
  Build: { spec: buildSpec, status: buildStatus },
  ImageStream: { spec: imageStreamSpec, status: imageStreamStatus },
  DeploymentConfig: { spec: deploymentConfigSpec, status: deploymentConfigStatus },
  ReplicationController: { spec: replicationControllerSpec, status: replicationControllerStatus },
  Pod: { spec: podSpec, status: podStatus },
  Service: { spec: serviceSpec, status: serviceStatus },
  Route: { spec: routeSpec, status: routeStatus, annotations: routeAnnotations },
  PersistentVolumeClaim: { spec: persistentVolumeClaimSpec, status: persistentVolumeClaimStatus },
  ResourceQuota: { spec: resourceQuotaSpec, status: resourceQuotaStatus },
  LimitRange: { spec: limitRangeSpec, status: anyStatus },
  Template: { spec: templateSpec, status: anyStatus },
};

const defs: KindDef[] = KIND_NAMES.map((d) => ({ ...d, ...SCHEMAS[d.kind] }));

export const KINDS: ReadonlyMap<string, KindDef> = new Map(defs.map((d) => [d.kind, d]));
