// The kind registry: every kind the API serves, with its scope, its authorisation category and
// the zod schemas of its spec and status. Later capabilities (builds, deployments, routes…)
// add their kinds here and get API routes, OpenAPI, validation and authorisation for free.
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
import { routeAnnotations, routeSpec, routeStatus } from './route-kinds.ts';

/**
 * Authorisation categories, with OpenShift's meanings:
 * - app: application objects; view reads, edit and admin change.
 * - policy: role bindings; only admin reads or changes.
 * - event: written by controllers; view reads, nobody writes through the API.
 */
export type Category = 'app' | 'policy' | 'event';

export interface KindDef {
  kind: string;
  /** Lower-case plural used in URLs and the CLI (`configmaps`). */
  plural: string;
  /** Other names the CLI accepts (`cm`, `configmap`). */
  aliases: string[];
  scope: 'project' | 'cluster';
  category: Category;
  spec: z.ZodType;
  status: z.ZodType;
  /** The schema of metadata.annotations where the kind gives some of them a meaning (Route: the router's). */
  annotations?: z.ZodType<Record<string, string>>;
  /** Whether users may create, update and delete it through the API. */
  writable: boolean;
  /** Whether users may delete it even though they cannot write it (pods: controllers make them). */
  deletable?: boolean;
  /** Short description for the OpenAPI document. */
  description: string;
}

export const roleName = z.enum(['admin', 'edit', 'view']);
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

export const configMapSpec = z.strictObject({
  data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/, 'keys are letters, digits, "-", "_" and "."'), z.string()).default({}),
});

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

export const projectStatus = z.strictObject({ phase: z.enum(['Active', 'Terminating']) });
export type ProjectStatus = z.infer<typeof projectStatus>;

export const groupSpec = z.strictObject({ users: z.array(z.string().min(1).max(253)).max(5000).default([]) });
export type GroupSpec = z.infer<typeof groupSpec>;

export const userSpec = z.strictObject({ fullName: z.string().max(256).optional() });

const anyStatus = z.record(z.string(), z.unknown());

const defs: KindDef[] = [
  {
    kind: 'ConfigMap',
    plural: 'configmaps',
    aliases: ['configmap', 'cm'],
    scope: 'project',
    category: 'app',
    spec: configMapSpec,
    status: anyStatus,
    writable: true,
    description: 'Configuration data for applications, as string keys and values.',
  },
  {
    kind: 'RoleBinding',
    plural: 'rolebindings',
    aliases: ['rolebinding'],
    scope: 'project',
    category: 'policy',
    spec: roleBindingSpec,
    status: anyStatus,
    writable: true,
    description: 'Grants a role (admin, edit or view) in a project to users and groups.',
  },
  {
    kind: 'Event',
    plural: 'events',
    aliases: ['event', 'ev'],
    scope: 'project',
    category: 'event',
    spec: eventSpec,
    status: anyStatus,
    writable: false,
    description: 'What happened to an object and why; expires after a while.',
  },
  {
    kind: 'BuildConfig',
    plural: 'buildconfigs',
    aliases: ['buildconfig', 'bc'],
    scope: 'project',
    category: 'app',
    spec: buildConfigSpec,
    status: buildConfigStatus,
    writable: true,
    description: 'How to turn source into an image: source, strategy (S2I or Dockerfile), output tag, triggers.',
  },
  {
    kind: 'Build',
    plural: 'builds',
    aliases: ['build'],
    scope: 'project',
    category: 'app',
    spec: buildSpec,
    status: buildStatus,
    writable: true,
    description: 'One run of a BuildConfig; set spec.cancelled to cancel it.',
  },
  {
    kind: 'ImageStream',
    plural: 'imagestreams',
    aliases: ['imagestream', 'is'],
    scope: 'project',
    category: 'app',
    spec: imageStreamSpec,
    status: imageStreamStatus,
    writable: true,
    description: 'A named stream of image versions, per tag, newest first, by digest.',
  },
  {
    kind: 'DeploymentConfig',
    plural: 'deploymentconfigs',
    aliases: ['deploymentconfig', 'dc'],
    scope: 'project',
    category: 'app',
    spec: deploymentConfigSpec,
    status: deploymentConfigStatus,
    writable: true,
    description: 'What to run (a pod template, replicas) and how to roll out a new revision of it; triggers start revisions.',
  },
  {
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    aliases: ['replicationcontroller', 'rc'],
    scope: 'project',
    category: 'app',
    spec: replicationControllerSpec,
    status: replicationControllerStatus,
    writable: false,
    description: 'One revision of a DeploymentConfig (`<dc>-<n>`): keeps its number of pods running.',
  },
  {
    kind: 'Pod',
    plural: 'pods',
    aliases: ['pod', 'po'],
    scope: 'project',
    category: 'app',
    spec: podSpec,
    status: podStatus,
    writable: false,
    deletable: true,
    description: 'One replica: a container on one host, with its phase, ports, restarts and readiness.',
  },
  {
    kind: 'Service',
    plural: 'services',
    aliases: ['service', 'svc'],
    scope: 'project',
    category: 'app',
    spec: serviceSpec,
    status: serviceStatus,
    writable: true,
    description: 'A stable name over the ready pods its selector matches; status lists their endpoints.',
  },
  {
    kind: 'Route',
    plural: 'routes',
    aliases: ['route'],
    scope: 'project',
    category: 'app',
    spec: routeSpec,
    status: routeStatus,
    annotations: routeAnnotations,
    writable: true,
    description: 'A public host name (and path) in front of a Service, served by the routers over HTTP or TLS.',
  },
];

export const KINDS: ReadonlyMap<string, KindDef> = new Map(defs.map((d) => [d.kind, d]));

/** Cluster-scoped kinds with dedicated routes; listed so the CLI can resolve their names. */
export const CLUSTER_KINDS = [
  { kind: 'Project', plural: 'projects', aliases: ['project'] },
  { kind: 'User', plural: 'users', aliases: ['user'] },
  { kind: 'Group', plural: 'groups', aliases: ['group'] },
  { kind: 'Host', plural: 'hosts', aliases: ['host', 'node', 'nodes'] },
] as const;

/** Resolves a name typed by a user (`cm`, `configmaps`, `ConfigMap`) to a kind. */
export function resolveKind(typed: string): { kind: string; plural: string; scope: 'project' | 'cluster' } | undefined {
  const t = typed.toLowerCase();
  for (const d of KINDS.values()) {
    if (d.kind.toLowerCase() === t || d.plural === t || d.aliases.includes(t)) return { kind: d.kind, plural: d.plural, scope: d.scope };
  }
  for (const d of CLUSTER_KINDS) {
    if (d.kind.toLowerCase() === t || d.plural === t || (d.aliases as readonly string[]).includes(t)) {
      return { kind: d.kind, plural: d.plural, scope: 'cluster' };
    }
  }
  return undefined;
}
