// OpenShift 3 and Kubernetes manifests as Berth takes them: fields that only restate what Berth
// does anyway (imagePullPolicy, a ClusterIP Service type, an empty securityContext, a source
// `type` that names the source given…) are dropped; `metadata.namespace` must be the target
// project and is then dropped; everything else goes to the kind's own schema, which refuses what
// Berth does not support with a 422 naming the field. Pure.
import { ValidationError } from '../errors.ts';

type Json = Record<string, unknown>;
/** Whether a field at this place may be dropped, given its value and the object holding it. */
type Droppable = (value: unknown, holder: Json) => boolean;

const any: Droppable = () => true;
const oneOf = (...values: unknown[]): Droppable => (v) => values.includes(v);
const empty = (v: unknown): boolean => v === null || v === '' || (typeof v === 'object' && Object.keys(v as object).length === 0);
/** A container securityContext that asks for nothing Berth would have to grant. */
const harmlessSecurity: Droppable = (v) => {
  if (empty(v)) return true;
  const s = v as Json;
  const caps = s.capabilities as Json | undefined;
  return Object.keys(s).every((k) => ['capabilities', 'privileged', 'allowPrivilegeEscalation'].includes(k)) && s.privileged !== true && s.allowPrivilegeEscalation !== true && (!caps || empty(caps) || (empty(caps.add) && !(caps.add as unknown[] | undefined)?.length));
};
/** `source.type` / `strategy.type` naming what the object gives anyway. */
const sourceType: Droppable = (v, h) => (v === 'Git' && !!h.git) || (v === 'Binary' && !!h.binary);

const POD = 'spec.template.spec';
const CONTAINER = `${POD}.containers.*`;
const podFields = (at: string, container: string): [string, Droppable][] => [
  [`${at}.dnsPolicy`, any],
  [`${at}.schedulerName`, any],
  [`${at}.securityContext`, empty],
  [`${at}.serviceAccountName`, oneOf('default', '')],
  [`${container}.imagePullPolicy`, any],
  [`${container}.terminationMessagePath`, any],
  [`${container}.terminationMessagePolicy`, any],
  [`${container}.securityContext`, harmlessSecurity],
  [`${container}.resources`, empty],
];

const FIELDS: Record<string, [string, Droppable][]> = {
  DeploymentConfig: [
    ...podFields(POD, CONTAINER),
    ['spec.template.metadata.creationTimestamp', empty],
    ['spec.test', oneOf(false)],
    ['spec.strategy.resources', empty],
    ['spec.strategy.activeDeadlineSeconds', any],
    ['spec.triggers.*.imageChangeParams.from.apiVersion', any],
  ],
  Pod: podFields('spec', 'spec.containers.*'),
  Service: [
    ['spec.type', oneOf('ClusterIP')],
    ['spec.sessionAffinity', oneOf('None')],
    ['spec.clusterIP', empty],
    ['spec.portalIP', empty],
  ],
  ImageStream: [
    ['spec.lookupPolicy', (v) => empty(v) || (v as Json).local === false],
    ['spec.tags.*.annotations', any],
    ['spec.tags.*.referencePolicy', any],
    ['spec.tags.*.importPolicy', any],
    ['spec.tags.*.generation', any],
  ],
  BuildConfig: [
    ['spec.source.type', sourceType],
    // A template parameter left empty: the repository's default branch, its root.
    ['spec.source.git.ref', oneOf('')],
    ['spec.source.contextDir', oneOf('')],
    ['spec.postCommit', empty],
    ['spec.resources', empty],
    ['spec.nodeSelector', empty],
    ['spec.triggers.*.imageChange', empty],
  ],
  PersistentVolumeClaim: [['spec.volumeMode', oneOf('Filesystem')]],
};

function drop(o: unknown, path: string[], droppable: Droppable): void {
  if (!o || typeof o !== 'object') return;
  const [head, ...rest] = path;
  if (head === '*') {
    if (Array.isArray(o)) for (const x of o) drop(x, rest, droppable);
    return;
  }
  const holder = o as Json;
  if (!rest.length) {
    if (head! in holder && droppable(holder[head!], holder)) delete holder[head!];
    return;
  }
  drop(holder[head!], rest, droppable);
}

/**
 * `item` as Berth's API takes it for `project`: a copy without the fields that change nothing.
 * `at` names the item in errors (`items[2]`).
 */
export function toBerthManifest(item: Json, project: string, at: string): Json {
  const o = structuredClone(item);
  const metadata = (o.metadata ?? {}) as Json;
  if (metadata.namespace !== undefined && metadata.namespace !== project) {
    throw ValidationError.field(`${at}.metadata.namespace`, `must be "${project}", the project the objects are made in (or left out)`);
  }
  for (const k of ['namespace', 'creationTimestamp', 'selfLink', 'uid', 'resourceVersion', 'generation']) delete metadata[k];
  o.metadata = metadata;
  delete o.status;
  for (const [path, droppable] of FIELDS[String(o.kind)] ?? []) drop(o, path.split('.'), droppable);
  return o;
}
