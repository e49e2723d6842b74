// Pure pieces of a revision: the template hash that tells a ConfigChange, the revision number
// of a ReplicationController, and the RC a new revision of a DeploymentConfig is made of.
import { createHash } from 'node:crypto';
import { DC_LABEL, RC_LABEL, REVISION_ANNOTATION, type PodTemplate } from '../model/deploy-kinds.ts';
import type { NewObject } from '../model/types.ts';
import type { DeploymentConfig, ReplicationController } from '../model/objects.ts';

/** Annotation on an RC: the hash of the DeploymentConfig template it was made from. */
export const TEMPLATE_HASH_ANNOTATION = 'berth.io/template-hash';
/** Annotation on an RC: why the revision was made (ConfigChange, ImageChange, Manual, Rollback). */
export const CAUSE_ANNOTATION = 'berth.io/cause';
/** Label on a lifecycle hook pod: its stage (pre, mid, post). */
export const HOOK_LABEL = 'berth.io/hook';

/** JSON with object keys sorted, so equal values always give equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A short hash of a pod template; a DeploymentConfig whose hash differs from its latest RC's has changed. */
export function templateHash(template: PodTemplate): string {
  return createHash('sha256').update(canonical(template)).digest('hex').slice(0, 16);
}

/** The revision number an RC carries (0 when it carries none). */
export function revisionOf(rc: ReplicationController): number {
  const n = Number(rc.metadata.annotations[REVISION_ANNOTATION] ?? rc.metadata.name.slice(rc.metadata.name.lastIndexOf('-') + 1));
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** The DeploymentConfig an RC name `<dc>-<n>` belongs to. */
export function dcNameOf(rcName: string): string | undefined {
  const m = /^(.+)-\d+$/.exec(rcName);
  return m?.[1];
}

/** The RCs of a DeploymentConfig, oldest revision first. */
export function byRevision(rcs: ReplicationController[]): ReplicationController[] {
  return [...rcs].sort((a, b) => revisionOf(a) - revisionOf(b));
}

/** The RC a new revision `n` of `dc` is made of: the template with the pods' labels added, 0 replicas. */
export function newRevision(dc: DeploymentConfig, n: number, cause: string): NewObject {
  const name = `${dc.metadata.name}-${n}`;
  const labels = { [DC_LABEL]: dc.metadata.name, [RC_LABEL]: name };
  const template = dc.spec.template;
  return {
    kind: 'ReplicationController',
    metadata: {
      name,
      project: dc.metadata.project,
      labels: { [DC_LABEL]: dc.metadata.name },
      annotations: { [REVISION_ANNOTATION]: String(n), [TEMPLATE_HASH_ANNOTATION]: templateHash(template), [CAUSE_ANNOTATION]: cause },
    },
    spec: {
      replicas: 0,
      selector: { ...dc.spec.selector, ...labels },
      template: { ...template, metadata: { ...template.metadata, labels: { ...template.metadata.labels, ...labels } } },
      minReadySeconds: dc.spec.minReadySeconds,
    },
    status: { phase: 'New', replicas: 0, readyReplicas: 0, availableReplicas: 0 },
  };
}

/** An RC's template as a DeploymentConfig template again (the labels the revision added removed): what a rollback restores. */
export function dcTemplateOf(rc: ReplicationController): PodTemplate {
  const { [RC_LABEL]: _rc, ...labels } = rc.spec.template.metadata.labels;
  return { ...rc.spec.template, metadata: { ...rc.spec.template.metadata, labels: { ...labels, [DC_LABEL]: rc.metadata.labels[DC_LABEL] ?? labels[DC_LABEL] ?? '' } } };
}
