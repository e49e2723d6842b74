// Projects users make themselves: a trial user may not make any beyond their sign-up project;
// anyone else up to their cap (the user's berth.io/project-limit, else the platform's
// PAAS_PROJECTS_PER_USER), counted exactly by project slots. Cluster admins are not capped.
import { BerthError } from '../errors.ts';
import type { Identity, UserObject } from '../auth/identity.ts';
import { audit } from '../audit/record.ts';
import { createProject, type NewProject } from '../project/create.ts';
import { ProjectCapError, withProjectSlot } from '../project/slots.ts';
import type { Project } from '../project/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { DEFAULT_TRIAL_SETTINGS, PROJECT_LIMIT, TRIAL_LABEL } from './settings.ts';

export class TrialProjectError extends BerthError {
  constructor(user: string) {
    super(403, 'Forbidden', `user "${user}" is on a trial, and a trial has one project`, { details: { reason: 'Trial' }, suggestion: 'use your trial project, or ask a cluster admin to convert your account' });
  }
}

/** The number of projects `user` may create themselves. */
export function projectCap(user: UserObject | undefined, platformCap: number): number {
  const raw = user?.metadata.annotations?.[PROJECT_LIMIT];
  const own = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(own) && own >= 0 ? own : platformCap;
}

/**
 * Creates `p` for its requester within their cap; audits the creation or the refusal.
 * @example await provisionProject({ store, identity, projectsPerUser: 10 }, { name: 'shop', requester: 'alice', spec: {} }, address)
 */
export async function provisionProject(deps: { store: ObjectStore; identity: Identity; projectsPerUser?: number; now?: () => Date }, p: NewProject, address?: string): Promise<Project> {
  const { store, identity } = deps;
  const now = deps.now ?? DEFAULT_TRIAL_SETTINGS.now;
  const user = p.requester;
  let project: Project;
  try {
    if (await identity.isClusterAdmin(user)) project = await createProject(store, p);
    else {
      const stored = await store.get<UserObject>({ kind: 'User', project: '', name: user });
      if (stored?.metadata.labels?.[TRIAL_LABEL] === 'true') throw new TrialProjectError(user);
      const cap = projectCap(stored, deps.projectsPerUser ?? DEFAULT_TRIAL_SETTINGS.projectsPerUser);
      project = await withProjectSlot(user, cap, p.name, (claim) => createProject(store, { ...p, alongside: [...(p.alongside ?? []), claim] }));
    }
  } catch (err) {
    if (err instanceof TrialProjectError || err instanceof ProjectCapError) await audit(store, { type: 'ProjectCapRefused', user, address, project: p.name, message: err.message }, now());
    throw err;
  }
  await audit(store, { type: 'ProjectCreated', user, address, project: p.name, message: `user "${user}" created project "${p.name}"` }, now());
  return project;
}
