// The apiVersion of each kind: the groups a manifest written for OpenShift or Kubernetes names,
// OpenShift 3's legacy `v1` (which served every kind), and Berth's own. A manifest from elsewhere
// is accepted as it is; a kind sent under another kind's group is refused. Pure data and checks.

interface Versions {
  /** What Berth answers with. */
  own: string;
  /** Every apiVersion a request may give for the kind. */
  accepted: readonly string[];
}

const core = (): Versions => ({ own: 'v1', accepted: ['v1'] });
const openshift = (group: string, extra: string[] = []): Versions => ({
  own: `${group}.berth.io/v1`,
  accepted: ['v1', `${group}.openshift.io/v1`, `${group}.berth.io/v1`, ...extra],
});

const VERSIONS: Record<string, Versions> = {
  ConfigMap: core(),
  Secret: core(),
  Event: core(),
  Pod: core(),
  Service: core(),
  ReplicationController: core(),
  RoleBinding: openshift('authorization', ['rbac.authorization.k8s.io/v1']),
  BuildConfig: openshift('build'),
  Build: openshift('build'),
  ImageStream: openshift('image'),
  DeploymentConfig: openshift('apps'),
  Route: openshift('route'),
  Template: openshift('template'),
  Project: openshift('project'),
  User: openshift('user'),
  Group: openshift('user'),
  Host: { own: 'fleet.berth.io/v1', accepted: ['fleet.berth.io/v1'] },
};

/**
 * The apiVersion Berth gives objects of `kind`.
 * @example apiVersionOf('DeploymentConfig') // 'apps.berth.io/v1'
 */
export function apiVersionOf(kind: string): string {
  return VERSIONS[kind]?.own ?? 'v1';
}

/** The apiVersions a request may give for `kind`. */
export function acceptedApiVersions(kind: string): readonly string[] {
  return VERSIONS[kind]?.accepted ?? ['v1'];
}

/** Why `apiVersion` cannot name `kind`, or undefined when it can. */
export function apiVersionProblem(kind: string, apiVersion: string): string | undefined {
  const accepted = acceptedApiVersions(kind);
  return accepted.includes(apiVersion) ? undefined : `${kind} is not served as "${apiVersion.slice(0, 100)}"; use ${accepted.join(', ')}`;
}

/**
 * The object as the API answers with it: its apiVersion first (the one the request gave, when
 * it gave one, as Kubernetes answers in the version asked for).
 */
export function withApiVersion<T extends { kind: string }>(o: T, given?: string): T & { apiVersion: string } {
  return { apiVersion: given ?? apiVersionOf(o.kind), ...o };
}
