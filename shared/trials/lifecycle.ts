// What a cluster admin does to trials: list them with their ends, extend one, convert one into a
// normal account, or end one now (the trial-expiry reconciler then removes it). The User's
// system label and annotation are the truth; the credential carries a copy of the end for the
// answers' trial header.
import { BerthError, NotFoundError } from '../errors.ts';
import type { Identity, UserObject } from '../auth/identity.ts';
import { audit } from '../audit/record.ts';
import { REQUESTER_ANNOTATION } from '../project/create.ts';
import type { Project } from '../project/types.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { PROJECT_LIMIT, TRIAL_EXPIRES, TRIAL_LABEL, TRIAL_WARNED } from './settings.ts';

export interface TrialEntry {
  user: string;
  expires: string;
  projects: string[];
}

const userRef = (name: string) => ({ kind: 'User', project: '', name });
const isTrial = (u: UserObject) => u.metadata.labels?.[TRIAL_LABEL] === 'true';

/** Projects `user` asked for (a trial's sign-up project among them). */
export async function projectsOf(store: ObjectStore, user: string): Promise<Project[]> {
  const out: Project[] = [];
  for await (const p of eachOfKind<Project>(store, 'Project')) if (p.metadata.annotations?.[REQUESTER_ANNOTATION] === user) out.push(p);
  return out;
}

/** Every trial user, soonest end first. */
export async function listTrials(store: ObjectStore): Promise<TrialEntry[]> {
  const users: UserObject[] = [];
  for await (const u of eachObject<UserObject>(store, 'User', '', { [TRIAL_LABEL]: 'true' })) users.push(u);
  const owned = new Map<string, string[]>();
  for await (const p of eachOfKind<Project>(store, 'Project')) {
    const r = p.metadata.annotations?.[REQUESTER_ANNOTATION];
    if (r) owned.set(r, [...(owned.get(r) ?? []), p.metadata.name]);
  }
  return users
    .map((u) => ({ user: u.metadata.name, expires: u.metadata.annotations?.[TRIAL_EXPIRES] ?? '', projects: owned.get(u.metadata.name) ?? [] }))
    .sort((a, b) => a.expires.localeCompare(b.expires));
}

class NotATrialError extends BerthError {
  constructor(user: string) {
    super(409, 'NotATrial', `user "${user}" is not on a trial`, { suggestion: 'list trials with `berth adm trials`' });
  }
}

/** Changes a trial user's end (`end(current)`), forgetting any warning given for the old end. */
async function moveEnd(store: ObjectStore, identity: Identity, user: string, end: (current: Date) => Date): Promise<string> {
  let expires = '';
  const updated = await patchObject<UserObject>(store, userRef(user), (u) => {
    if (!isTrial(u)) throw new NotATrialError(user);
    expires = end(new Date(u.metadata.annotations?.[TRIAL_EXPIRES] ?? 0)).toISOString();
    const { [TRIAL_WARNED]: _warned, ...annotations } = u.metadata.annotations ?? {};
    return { ...u, metadata: { ...u.metadata, annotations: { ...annotations, [TRIAL_EXPIRES]: expires } } };
  });
  if (!updated) throw new NotFoundError('User', user);
  await identity.setTrialExpires(user, expires);
  return expires;
}

/** Adds `days` to a trial, counted from its end or from now, whichever is later. */
export async function extendTrial(deps: { store: ObjectStore; identity: Identity }, user: string, days: number, now: Date): Promise<string> {
  const expires = await moveEnd(deps.store, deps.identity, user, (current) => new Date(Math.max(current.getTime(), now.getTime()) + days * 24 * 3600 * 1000));
  await audit(deps.store, { type: 'TrialExtended', user, message: `trial of "${user}" extended by ${days} days to ${expires}` }, now);
  return expires;
}

/** Ends a trial now; the trial-expiry reconciler removes it. */
export function expireTrial(deps: { store: ObjectStore; identity: Identity }, user: string, now: Date): Promise<string> {
  return moveEnd(deps.store, deps.identity, user, () => now);
}

/**
 * Makes a trial user a normal one: no end, no trial label on them or their projects (so the
 * idler treats them as any other). The plan's quota and limit range stay until changed.
 */
export async function convertTrial(deps: { store: ObjectStore; identity: Identity }, user: string, now: Date): Promise<void> {
  const { store, identity } = deps;
  const updated = await patchObject<UserObject>(store, userRef(user), (u) => {
    if (!isTrial(u)) throw new NotATrialError(user);
    const { [TRIAL_LABEL]: _t, ...labels } = u.metadata.labels ?? {};
    const { [TRIAL_EXPIRES]: _e, [TRIAL_WARNED]: _w, ...annotations } = u.metadata.annotations ?? {};
    return { ...u, metadata: { ...u.metadata, labels, annotations } };
  });
  if (!updated) throw new NotFoundError('User', user);
  await identity.setTrialExpires(user, undefined);
  for (const p of await projectsOf(store, user)) {
    await patchObject<Project>(store, { kind: 'Project', project: '', name: p.metadata.name }, (q) => {
      if (q.metadata.labels?.[TRIAL_LABEL] === undefined) return undefined;
      const { [TRIAL_LABEL]: _l, ...labels } = q.metadata.labels;
      return { ...q, metadata: { ...q.metadata, labels } };
    });
  }
  await audit(store, { type: 'TrialConverted', user, message: `trial user "${user}" converted to a normal account` }, now);
}

/** Sets (a whole number) or clears (undefined) how many projects `user` may create themselves. */
export async function setProjectLimit(store: ObjectStore, user: string, limit: number | undefined): Promise<UserObject> {
  const updated = await patchObject<UserObject>(store, userRef(user), (u) => {
    const { [PROJECT_LIMIT]: _old, ...rest } = u.metadata.annotations ?? {};
    return { ...u, metadata: { ...u.metadata, annotations: limit === undefined ? rest : { ...rest, [PROJECT_LIMIT]: String(limit) } } };
  });
  if (!updated) throw new NotFoundError('User', user);
  return updated;
}
