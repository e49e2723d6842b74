// Starting a revision of a DeploymentConfig: the RC `<dc>-<n>` is created first (its name is
// the lock: two starters never make the same revision), then the DC's status.latestVersion and
// details record it. A crash in between is repaired by the controller, which reads the newest
// revision from the RCs.
import { AlreadyExistsError } from '../errors.ts';
import { DC_LABEL } from '../model/deploy-kinds.ts';
import { refOf } from '../model/types.ts';
import { collect, eachObject } from '../store/each.ts';
import { patchObject, patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { DeploymentConfig, ReplicationController } from '../model/objects.ts';
import { recordEvent } from '../events/record.ts';
import { byRevision, CAUSE_ANNOTATION, newRevision, revisionOf, TEMPLATE_HASH_ANNOTATION } from './rollout-template.ts';
import { withConfigHash } from './config-hash.ts';

/** The RCs of a DeploymentConfig, oldest revision first. */
export async function revisionsOf(store: ObjectStore, project: string, dc: string): Promise<ReplicationController[]> {
  return byRevision(await collect(eachObject<ReplicationController>(store, 'ReplicationController', project, { [DC_LABEL]: dc })));
}

/** What a revision's start tells in its DeploymentConfig's status. */
export interface RevisionStart {
  n: number;
  cause: string;
  message: string;
}

/**
 * The DC's status once it tells of revision `start`: latestVersion and details (cause and
 * message), or undefined when it already tells as much or more (causeStands).
 */
export function toldOf(dc: DeploymentConfig, start: RevisionStart): DeploymentConfig['status'] | undefined {
  return causeStands(dc, start.n, start.cause) ? undefined : { ...dc.status, latestVersion: start.n, details: { cause: start.cause, message: start.message } };
}

/**
 * Makes the next revision of `dc` with the given cause (ConfigChange, ImageChange, Manual,
 * Rollback) and returns its RC. The controller rolls it out from there. `tell` is told of the
 * start instead of the DC's status being written here: the controller, which writes the DC's
 * status at the end of the same pass, writes it once with both (toldOf).
 */
export async function startRevision(store: ObjectStore, dc: DeploymentConfig, cause: string, message: string, at: number, tell?: (start: RevisionStart) => void): Promise<ReplicationController> {
  for (let attempt = 0; ; attempt++) {
    const rcs = await revisionsOf(store, dc.metadata.project, dc.metadata.name);
    const n = Math.max(dc.status.latestVersion ?? 0, ...rcs.map(revisionOf)) + 1;
    let rc: ReplicationController;
    // The template records what the Secrets and ConfigMaps it uses hold now (a change of them rolls out).
    const wanted = newRevision(await withConfigHash(store, dc), n, cause);
    // The controller decided from the revisions as it read them before; one made since (a
    // rollback's, a user's rollout) may already hold this template: then there is nothing to start.
    const newest = rcs.at(-1);
    if (CONTROLLER_CAUSES.has(cause) && newest && newest.metadata.annotations[TEMPLATE_HASH_ANNOTATION] === wanted.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION]) return newest;
    try {
      rc = await store.create<ReplicationController>(wanted);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError) || attempt >= 10) throw err;
      // Another starter made revision n at the same moment (the controller seeing the change a
      // rollback or an instantiate also starts): if it holds this very template, it is this
      // revision, not a reason for one more. When the controller made it, it was for this
      // starter's reason (the controller only saw the spec it wrote), so it takes that cause.
      const taken = await store.get<ReplicationController>({ kind: 'ReplicationController', project: dc.metadata.project, name: wanted.metadata.name });
      if (taken && taken.metadata.annotations[TEMPLATE_HASH_ANNOTATION] === wanted.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION]) return claimCause(store, dc, taken, n, cause, message);
      continue;
    }
    // The DC's status and the event are written side by side: the revision's pods wait for both.
    const start = { n, cause, message };
    tell?.(start);
    await Promise.all([
      tell ? undefined : patchStatus<DeploymentConfig>(store, refOf(dc), (cur) => toldOf(cur, start)),
      recordEvent(store, refOf(dc), { type: 'Normal', reason: 'DeploymentCreated', message: `Created new replication controller "${rc.metadata.name}" for version ${n} (${message})` }, at),
    ]);
    return rc;
  }
}

/** The causes the controller gives: a revision made for a user's action keeps that action's cause over these. */
const CONTROLLER_CAUSES = new Set(['ConfigChange', 'ImageChange']);

/**
 * Whether the DC's status already says what revision `n`'s maker would write, or more: a later
 * revision, `n` with this cause, or `n` with a user's cause that a controller's may not replace.
 * The status writer (rollout-status.ts) may have raised latestVersion to `n` first, keeping the
 * previous revision's details, so a latestVersion of `n` alone does not mean its cause is told.
 */
function causeStands(dc: DeploymentConfig, n: number, cause: string): boolean {
  const latest = dc.status.latestVersion ?? 0;
  if (latest !== n) return latest > n;
  const told = dc.status.details?.cause;
  return told === cause || (CONTROLLER_CAUSES.has(cause) && told !== undefined && !CONTROLLER_CAUSES.has(told));
}

/** Revision `n`, made by the controller for a change a starter wrote, gets the starter's cause (Rollback, Manual…). */
async function claimCause(store: ObjectStore, dc: DeploymentConfig, rc: ReplicationController, n: number, cause: string, message: string): Promise<ReplicationController> {
  if (CONTROLLER_CAUSES.has(cause) || rc.metadata.annotations[CAUSE_ANNOTATION] === cause) return rc;
  const claimed = await patchObject<ReplicationController>(store, refOf(rc), (cur) => ({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [CAUSE_ANNOTATION]: cause } } }));
  // Written whether or not the controller has written revision n's status yet: when it does, after
  // this, it leaves a user's cause standing (causeStands).
  await patchStatus<DeploymentConfig>(store, refOf(dc), (cur) => (causeStands(cur, n, cause) ? undefined : { ...cur.status, latestVersion: n, details: { cause, message } }));
  return claimed ?? rc;
}
