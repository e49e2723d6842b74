// Adds a subject to, or removes one from, the RoleBinding named after a role, as
// `oc adm policy add-role-to-user` does: create the binding when missing, delete it when its last
// subject goes, and on 409 (someone else wrote first) read it again and retry.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, ApiObject } from './client.ts';
import { CliError } from './errors.ts';
import { collectionPath, objectPath, resource } from './resources.ts';

export interface Subject {
  kind: 'User' | 'Group';
  name: string;
}

export type Change = 'add' | 'remove';
export type Outcome = 'changed' | 'unchanged';

const ATTEMPTS = 6;

export async function changeRoleBinding(client: ApiClient, project: string, role: string, subject: Subject, change: Change): Promise<Outcome> {
  const r = resource('RoleBinding');
  const path = objectPath(r, project, role);
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await client.get<ApiObject>(path).catch((err) => {
        if (err instanceof CliError && err.status === 404) return undefined;
        throw err;
      });
      return await apply(client, { collection: collectionPath(r, project), path, role, subject, change }, current);
    } catch (err) {
      if (!(err instanceof CliError && err.status === 409)) throw err;
      if (attempt >= ATTEMPTS) {
        throw new CliError(`rolebinding "${role}" in project "${project}" kept changing while this command edited it`, 'run the command again');
      }
      await sleep(20 * attempt + Math.random() * 30);
    }
  }
}

interface Edit {
  collection: string;
  path: string;
  role: string;
  subject: Subject;
  change: Change;
}

async function apply(client: ApiClient, e: Edit, current: ApiObject | undefined): Promise<Outcome> {
  const same = (s: Subject) => s.kind === e.subject.kind && s.name === e.subject.name;
  if (!current) {
    if (e.change === 'remove') return 'unchanged';
    await client.post(e.collection, { metadata: { name: e.role }, spec: { role: e.role, subjects: [e.subject] } });
    return 'changed';
  }
  if (current.spec?.role !== e.role) {
    throw new CliError(`rolebinding "${e.role}" grants role "${current.spec?.role}", not "${e.role}"`, 'edit it by hand, or rename it so this command can manage the binding');
  }
  const subjects: Subject[] = current.spec.subjects ?? [];
  const present = subjects.some(same);
  if (present === (e.change === 'add')) return 'unchanged';
  const next = e.change === 'add' ? [...subjects, e.subject] : subjects.filter((s) => !same(s));
  if (next.length === 0) await client.delete(`${e.path}?resourceVersion=${encodeURIComponent(current.metadata.resourceVersion ?? '')}`);
  else await client.put(e.path, { ...current, spec: { ...current.spec, subjects: next } });
  return 'changed';
}
