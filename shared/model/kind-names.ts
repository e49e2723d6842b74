// The names of every kind, without their schemas: plural, aliases, scope, authorisation category,
// whether users write it, and its description. kinds.ts adds the zod schemas to this one list; the
// CLI resolves typed kinds from it alone, which keeps zod out of the CLI's start-up.

/**
 * Authorisation categories, with OpenShift's meanings:
 * - app: application objects; view reads, edit and admin change.
 * - policy: role bindings; only admin reads or changes.
 * - event: written by controllers; view reads, nobody writes through the API.
 * - quota: quotas and limit ranges; view reads, only cluster admins write (a tenant must not lift its own limits).
 * - secret: Secrets; edit and admin read and change them, view cannot even list them.
 */
export type Category = 'app' | 'policy' | 'event' | 'quota' | 'secret';

export interface KindName {
  kind: string;
  /** Lower-case plural used in URLs and the CLI (`configmaps`). */
  plural: string;
  /** Other names the CLI accepts (`cm`, `configmap`). */
  aliases: readonly string[];
  scope: 'project' | 'cluster';
  category: Category;
  /** Whether users may create, update and delete it through the API. */
  writable: boolean;
  /** Whether users may delete it even though they cannot write it (pods: controllers make them). */
  deletable?: boolean;
  /** Short description for the OpenAPI document. */
  description: string;
}

export const ROLE_NAMES = ['admin', 'edit', 'view'] as const;

/** The kinds served by the generic object routes, in the order the API registers them. */
export const KIND_NAMES = [
  {
    kind: 'ConfigMap',
    plural: 'configmaps',
    aliases: ['configmap', 'cm'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'Configuration data for applications: `data` as text, `binaryData` base64; used by pods as environment variables or files.',
  },
  {
    kind: 'Secret',
    plural: 'secrets',
    aliases: ['secret'],
    scope: 'project',
    category: 'secret',
    writable: true,
    description: 'Sensitive data for applications (passwords, keys, tokens): `data` base64, `stringData` plain, a `type`; sealed at rest; not readable with the view role.',
  },
  {
    kind: 'RoleBinding',
    plural: 'rolebindings',
    aliases: ['rolebinding'],
    scope: 'project',
    category: 'policy',
    writable: true,
    description: 'Grants a role (admin, edit or view) in a project to users and groups.',
  },
  {
    kind: 'Event',
    plural: 'events',
    aliases: ['event', 'ev'],
    scope: 'project',
    category: 'event',
    writable: false,
    description: 'What happened to an object and why; expires after a while.',
  },
  {
    kind: 'BuildConfig',
    plural: 'buildconfigs',
    aliases: ['buildconfig', 'bc'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'How to turn source into an image: source, strategy (S2I or Dockerfile), output tag, triggers.',
  },
  {
    kind: 'Build',
    plural: 'builds',
    aliases: ['build'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'One run of a BuildConfig; set spec.cancelled to cancel it.',
  },
  {
    kind: 'ImageStream',
    plural: 'imagestreams',
    aliases: ['imagestream', 'is'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'A named stream of image versions, per tag, newest first, by digest.',
  },
  {
    kind: 'DeploymentConfig',
    plural: 'deploymentconfigs',
    aliases: ['deploymentconfig', 'dc'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'What to run (a pod template, replicas) and how to roll out a new revision of it; triggers start revisions.',
  },
  {
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    aliases: ['replicationcontroller', 'rc'],
    scope: 'project',
    category: 'app',
    writable: false,
    description: 'One revision of a DeploymentConfig (`<dc>-<n>`): keeps its number of pods running.',
  },
  {
    kind: 'Pod',
    plural: 'pods',
    aliases: ['pod', 'po'],
    scope: 'project',
    category: 'app',
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
    writable: true,
    description: 'A stable name over the ready pods its selector matches; status lists their endpoints.',
  },
  {
    kind: 'Route',
    plural: 'routes',
    aliases: ['route'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'A public host name (and path) in front of a Service, served by the routers over HTTP or TLS.',
  },
  {
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    aliases: ['persistentvolumeclaim', 'pvc'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'A request for storage of a size and access mode (ReadWriteOnce, ReadWriteMany, ReadOnlyMany); Bound to a volume that pods mount through `volumes[].persistentVolumeClaim`, written by the project\'s UID, deleted with its data.',
  },
  {
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    aliases: ['resourcequota', 'quota'],
    scope: 'project',
    category: 'quota',
    writable: true,
    description: 'Hard limits on what a project uses (pods, cpu, memory, routes…); status.used is exact. Written by cluster admins.',
  },
  {
    kind: 'LimitRange',
    plural: 'limitranges',
    aliases: ['limitrange', 'limits'],
    scope: 'project',
    category: 'quota',
    writable: true,
    description: 'What each container may ask for (min, max, ratio) and what it gets when it says nothing (default, defaultRequest). Written by cluster admins.',
  },
  {
    kind: 'Template',
    plural: 'templates',
    aliases: ['template'],
    scope: 'project',
    category: 'app',
    writable: true,
    description: 'Objects with parameters (given, defaulted or generated), made in one go: process it into a List, then create that.',
  },
] as const satisfies readonly KindName[];

/** The name of a kind of KIND_NAMES (`'ConfigMap'`, `'Pod'`…). */
export type ObjectKind = (typeof KIND_NAMES)[number]['kind'];

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
  for (const d of KIND_NAMES as readonly KindName[]) {
    if (d.kind.toLowerCase() === t || d.plural === t || d.aliases.includes(t)) return { kind: d.kind, plural: d.plural, scope: d.scope };
  }
  for (const d of CLUSTER_KINDS) {
    if (d.kind.toLowerCase() === t || d.plural === t || (d.aliases as readonly string[]).includes(t)) {
      return { kind: d.kind, plural: d.plural, scope: 'cluster' };
    }
  }
  return undefined;
}
