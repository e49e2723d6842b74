// Ends trials. Level-triggered on Users (a sign-up, an extension, `trial expire` wake it; the
// resync finds trials in their last day or past their end): in the last day it records a
// TrialExpiring Event on each of the user's projects, once per end; at the end it stops the user
// at once (credential and tokens), deletes each of their projects through the project deletion
// (the finalizer stops pods and removes routes, builds, images, claims and secrets), waits until
// they are gone, then deletes the user and what remains of them (role bindings, groups, login
// counts). Nothing of the tenant is left in the table but its audit events, which expire on
// their own. The clock is injected, so tests and accelerated runs expire trials at once.
import { Identity, type UserObject } from '../auth/identity.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { audit } from '../audit/record.ts';
import { NotFoundError, ignoring } from '../errors.ts';
import { recordEvent } from '../events/record.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import { requestProjectDeletion } from '../project/deletion.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachObject } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { projectsOf } from './lifecycle.ts';
import { TRIAL_EXPIRES, TRIAL_LABEL, TRIAL_WARNED, WARN_BEFORE_MS } from './settings.ts';
import { warningText } from './warning.ts';

/** The longest a trial waits before it is looked at again (the resync looks too). */
const MAX_WAIT_MS = 3600 * 1000;
/** How soon to look again while the projects of an ended trial are being finalised. */
const PROJECTS_WAIT_MS = 2_000;

export type TrialStep = { do: 'wait'; ms: number } | { do: 'warn'; ms: number } | { do: 'expire' };

/** What a trial ending at `expires` needs at `now` (pure). */
export function trialStep(expires: string, warned: boolean, now: Date): TrialStep {
  const left = Date.parse(expires) - now.getTime();
  if (!(left > 0)) return { do: 'expire' };
  if (left > WARN_BEFORE_MS) return { do: 'wait', ms: Math.min(left - WARN_BEFORE_MS, MAX_WAIT_MS) };
  return warned ? { do: 'wait', ms: Math.min(left, MAX_WAIT_MS) } : { do: 'warn', ms: Math.min(left, MAX_WAIT_MS) };
}

export function trialExpiry(store: ObjectStore, now: () => Date = () => new Date()): Reconciler {
  const identity = new Identity(store);
  const trialOf = (u: UserObject | undefined) => (u?.metadata.labels?.[TRIAL_LABEL] === 'true' ? u.metadata.annotations?.[TRIAL_EXPIRES] : undefined);

  async function warn(user: UserObject, expires: string): Promise<void> {
    for (const p of await projectsOf(store, user.metadata.name)) {
      await recordEvent(store, { kind: 'Project', project: p.metadata.name, name: p.metadata.name }, { type: 'Warning', reason: 'TrialExpiring', message: warningText(expires) }, now().getTime()).catch(ignoring(NotFoundError));
    }
    await patchObject<UserObject>(store, refOf(user), (u) => (trialOf(u) === expires ? { ...u, metadata: { ...u.metadata, annotations: { ...u.metadata.annotations, [TRIAL_WARNED]: expires } } } : undefined));
  }

  async function expire(name: string, expires: string): Promise<Result> {
    await identity.disable(name);
    const projects = await projectsOf(store, name);
    for (const p of projects) if (!p.metadata.deletionTimestamp) await requestProjectDeletion(store, p.metadata.name, now()).catch(ignoring(NotFoundError));
    if (projects.length) return { requeueAfter: PROJECTS_WAIT_MS };
    await identity.deleteUser(name).catch(ignoring(NotFoundError));
    await new LoginThrottle(store, now).succeeded(name);
    await audit(store, { type: 'TrialExpired', user: name, message: `trial of "${name}" ended at ${expires}; its projects and user were deleted` }, now());
    return {};
  }

  return {
    name: 'trial-expiry',
    kinds: ['User'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      const user = await store.get<UserObject>(ref);
      const expires = trialOf(user);
      if (!user || !expires) return {};
      const step = trialStep(expires, user.metadata.annotations?.[TRIAL_WARNED] === expires, now());
      if (step.do === 'expire') return expire(user.metadata.name, expires);
      if (step.do === 'warn') await warn(user, expires);
      return { requeueAfter: step.ms };
    },
    async *resync() {
      for await (const u of eachObject<UserObject>(store, 'User', '', { [TRIAL_LABEL]: 'true' })) {
        const expires = trialOf(u);
        if (expires && Date.parse(expires) - now().getTime() <= WARN_BEFORE_MS) yield refOf(u);
      }
    },
  };
}
