// How many projects a user may create themselves, counted exactly: each self-provisioned project
// claims one of its requester's numbered slots (a cluster-scoped `ProjectSlot`, `<user>.<n>` for n
// below the user's cap) in the same all-or-nothing write as the project. Two creations can never
// hold one slot, so 20 concurrent creations against a cap of 10 make exactly 10 projects. The
// project names its slot (PROJECT_SLOT_ANNOTATION) and the project finalizer gives it back.
import { AlreadyExistsError, BerthError, ConflictError } from '../errors.ts';
import type { NewObject } from '../model/types.ts';

export const SLOT_KIND = 'ProjectSlot';
export const PROJECT_SLOT_ANNOTATION = 'berth.io/project-slot';
/** Attempts at one slot that lost a race (a transaction conflict, not a taken slot) before giving up. */
const RACES = 20;

export const slotName = (user: string, n: number): string => `${user}.${n}`;

/** The claim of slot `n` of `user` for `project`, to be written with the project. */
export function slotClaim(user: string, n: number, project: string): NewObject {
  return { kind: SLOT_KIND, metadata: { name: slotName(user, n), project: '' }, spec: { user, project } };
}

export class ProjectCapError extends BerthError {
  constructor(user: string, cap: number) {
    super(403, 'Forbidden', `user "${user}" may create at most ${cap} project${cap === 1 ? '' : 's'} and has ${cap}`, {
      details: { reason: 'ProjectLimit', limit: cap },
      suggestion: 'delete a project you no longer need, or ask a cluster admin to raise your project limit',
    });
  }
}

/**
 * Runs `create` with the claim of the lowest free slot of `user` below `cap`: a taken slot moves
 * on to the next, a lost race tries the same one again; no free slot is ProjectCapError (403).
 * @example await withProjectSlot('alice', 10, (claim) => createProject(store, { …, alongside: [claim] }))
 */
export async function withProjectSlot<T>(user: string, cap: number, project: string, create: (claim: NewObject) => Promise<T>): Promise<T> {
  let races = 0;
  for (let n = 0; n < cap; ) {
    try {
      return await create(slotClaim(user, n, project));
    } catch (err) {
      if (err instanceof AlreadyExistsError && err.message.startsWith(`${SLOT_KIND} `)) n++;
      else if (err instanceof ConflictError && races++ < RACES) await new Promise((r) => setTimeout(r, Math.random() * 20));
      else throw err;
    }
  }
  throw new ProjectCapError(user, cap);
}
