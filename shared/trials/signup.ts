// Sign-up: a trial user, their credential, one project (named after them unless they name it)
// with its admin binding, UID block, project slot and the trial plan's quota and limit range,
// all in one all-or-nothing write: a sign-up that fails leaves nothing behind.
import { AlreadyExistsError, BerthError } from '../errors.ts';
import type { Identity } from '../auth/identity.ts';
import { audit } from '../audit/record.ts';
import { reservedNameProblem } from '../model/reserved-names.ts';
import { createProject } from '../project/create.ts';
import { withProjectSlot } from '../project/slots.ts';
import type { ObjectStore } from '../store/ports.ts';
import { planObjects, readPlan } from './plan.ts';
import { TRIAL_EXPIRES, TRIAL_LABEL, type TrialSettings } from './settings.ts';
import { countSignup } from './signup-rate.ts';

export interface SignUp {
  username: string;
  password: string;
  project?: string;
}

export interface SignUpDeps {
  store: ObjectStore;
  identity: Identity;
  settings: TrialSettings;
}

const fieldError = (status: number, code: string, field: string, message: string, suggestion: string) =>
  new BerthError(status, code, `${field}: ${message}`, { details: [{ field, message }], suggestion });

/**
 * Makes a trial user and their project, counted against the client address's sign-ups. Returns
 * the project's name and when the trial ends; the caller logs the user in.
 * @example await signUp(deps, { username: 'alice', password: '…' }, '203.0.113.9')
 */
export async function signUp(deps: SignUpDeps, s: SignUp, address: string): Promise<{ project: string; expires: string }> {
  const { store, identity, settings } = deps;
  if (settings.signup !== 'open') throw new BerthError(403, 'SignupDisabled', 'sign-up is off on this platform', { suggestion: 'ask a cluster administrator for an account' });
  const project = s.project ?? s.username;
  const projectField = s.project === undefined ? 'username' : 'project';
  const reservedUser = reservedNameProblem(s.username);
  if (reservedUser) throw fieldError(403, 'Forbidden', 'username', reservedUser, 'choose another username');
  const reservedProject = reservedNameProblem(project);
  if (reservedProject) throw fieldError(403, 'Forbidden', projectField, reservedProject, 'choose another project name with --project');

  const now = settings.now();
  await countSignup(store, address, settings.signupsPerHour, now);
  const expires = new Date(now.getTime() + settings.trialDays * 24 * 3600 * 1000).toISOString();
  const user = await identity.userObjects(s.username, s.password, { labels: { [TRIAL_LABEL]: 'true' }, annotations: { [TRIAL_EXPIRES]: expires }, trialExpires: expires });
  const plan = await readPlan(store);
  try {
    await withProjectSlot(s.username, settings.projectsPerUser, project, (claim) =>
      createProject(store, { name: project, requester: s.username, labels: { [TRIAL_LABEL]: 'true' }, spec: {}, alongside: [...user, ...planObjects(plan.spec, project), claim] }),
    );
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
    if (/^(User|Credential|ProjectSlot) /.test(err.message)) throw fieldError(409, 'AlreadyExists', 'username', `user "${s.username}" already exists`, 'choose another username');
    throw fieldError(409, 'AlreadyExists', projectField, `project "${project}" already exists`, 'choose another project name with --project');
  }
  await audit(store, { type: 'SignUp', user: s.username, address, project, message: `trial user "${s.username}" signed up with project "${project}"; the trial ends at ${expires}` }, now);
  return { project, expires };
}
