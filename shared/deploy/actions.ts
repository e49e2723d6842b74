// What a user asks of a DeploymentConfig beyond its spec: roll out the latest template
// (instantiate), roll back to an earlier revision's template, and scale. The API's handlers
// parse and authorise; these decide and write.
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { deploymentConfigSpec, type DeploymentConfigSpec } from '../model/deploy-kinds.ts';
import type { DeploymentConfig, ReplicationController } from '../model/objects.ts';
import type { ObjectRef } from '../model/types.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { revisionsOf, startRevision } from './rollout-revision.ts';
import { dcTemplateOf, revisionOf } from './rollout-template.ts';
import { checkPodsFit } from '../quota/admit-pods.ts';

const pausedError = (name: string) =>
  new ConflictError(`deployment config "${name}" is paused`, 'resume it first (set spec.paused to false), then roll out');

async function readDc(store: ObjectStore, ref: ObjectRef): Promise<DeploymentConfig> {
  const dc = await store.get<DeploymentConfig>(ref);
  if (!dc) throw new NotFoundError('DeploymentConfig', ref.name);
  return { ...dc, spec: deploymentConfigSpec.parse(dc.spec), status: dc.status ?? {} };
}

/** Changes the DC's spec, on condition nobody wrote in between (read again and retried if so). */
async function changeSpec(store: ObjectStore, ref: ObjectRef, change: (dc: DeploymentConfig) => DeploymentConfigSpec): Promise<DeploymentConfig> {
  const dc = await patchObject<DeploymentConfig>(store, ref, (d) => ({ ...d, spec: change({ ...d, spec: deploymentConfigSpec.parse(d.spec) }) }));
  if (!dc) throw new NotFoundError('DeploymentConfig', ref.name);
  return { ...dc, spec: deploymentConfigSpec.parse(dc.spec), status: dc.status ?? {} };
}

/** A new revision from the DC's current template (cause Manual); refused while paused. */
export async function rolloutLatest(store: ObjectStore, ref: ObjectRef, user: string, at: number = Date.now()): Promise<ReplicationController> {
  const dc = await readDc(store, ref);
  if (dc.spec.paused) throw pausedError(ref.name);
  return startRevision(store, dc, 'Manual', `manual rollout by ${user}`, at);
}

/**
 * Rolls back to revision `toRevision` (default: the newest complete one before the latest): its
 * template becomes the DC's, automatic image triggers are turned off (as `oc rollback` does, so
 * the next image does not undo the rollback), and a new revision starts.
 */
export async function rollback(store: ObjectStore, ref: ObjectRef, toRevision: number | undefined, user: string, at: number = Date.now()): Promise<ReplicationController> {
  const current = await readDc(store, ref);
  if (current.spec.paused) throw pausedError(ref.name);
  const rcs = await revisionsOf(store, ref.project, ref.name);
  const latest = rcs.at(-1);
  let target: ReplicationController | undefined;
  if (toRevision !== undefined) {
    target = rcs.find((rc) => revisionOf(rc) === toRevision);
    if (!target) throw new NotFoundError('revision', `${ref.name}-${toRevision}`);
  } else {
    target = rcs.filter((rc) => rc !== latest && rc.status.phase === 'Complete').at(-1);
    if (!target) throw new ValidationError('there is no earlier complete revision to roll back to', [{ field: 'toRevision', message: 'no earlier complete revision; name one with toRevision' }], 'see `berth rollout history dc/NAME`');
  }
  const template = dcTemplateOf(target);
  const dc = await changeSpec(store, ref, (d) => ({
    ...d.spec,
    template,
    triggers: d.spec.triggers.map((t) => (t.type === 'ImageChange' ? { ...t, imageChangeParams: { ...t.imageChangeParams, automatic: false } } : t)),
  }));
  return startRevision(store, dc, 'Rollback', `rollback to revision ${revisionOf(target)} by ${user}`, at);
}

/** Sets the DC's replicas; the controller scales its active revision. */
export async function scaleDeploymentConfig(store: ObjectStore, ref: ObjectRef, replicas: number): Promise<DeploymentConfig> {
  // Past the quota, the scale is refused with the quota's words rather than left to fail pod by pod.
  const current = await store.get<DeploymentConfig>(ref);
  if (current) await checkPodsFit(store, ref.project, current.spec.template.spec, replicas - current.spec.replicas);
  return changeSpec(store, ref, (dc) => ({ ...dc.spec, replicas }));
}
