// Events, as Kubernetes Events that expire after an hour: what `berth get events` and
// `berth describe` show a user. Any capability records them (rollouts, scheduling, builds…).
import { randomBytes } from 'node:crypto';
import type { EventSpec } from '../model/kinds.ts';
import { ConflictError, NotFoundError, ignoring } from '../errors.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';

const EVENT_TTL_MS = 60 * 60 * 1000;

export interface EventInput {
  type: EventSpec['type'];
  reason: string;
  message: string;
}

/**
 * Records one Event about `about` (an object of a project) at `at` (ms since the epoch).
 *
 * The Event is one plain write, and its project is read after it (strongly consistent): a
 * transaction of the two, as other objects are created, bills each item twice and the check as
 * a write, 6 write units where this is 2 and a read. What the transaction guaranteed still
 * holds. A project still open when it is read after the Event was written is marked for
 * deletion only later, so its finalizer, listing the project after the mark, finds the Event and
 * removes it with the rest. A project being deleted, gone, or made after the Event (a new
 * project of the same name, perhaps a stranger's) would keep the Event: it is removed here, and
 * the caller told as a transaction's refusal would have told it.
 */
export async function recordEvent(store: ObjectStore, about: ObjectRef, e: EventInput, at: number): Promise<void> {
  const ts = new Date(at).toISOString();
  const spec: EventSpec = { involvedObject: { kind: about.kind, name: about.name }, type: e.type, reason: e.reason, message: e.message, count: 1, firstTimestamp: ts, lastTimestamp: ts };
  const event = await store.create({
    kind: 'Event',
    metadata: { name: `${about.name}.${randomBytes(6).toString('hex')}`, project: about.project, expiresAt: new Date(at + EVENT_TTL_MS).toISOString() },
    spec,
  }, { uncheckedProject: true });
  const project = await store.get({ kind: 'Project', project: '', name: about.project });
  // A project made after the Event was is another project of that name.
  const newer = Date.parse(project?.metadata.creationTimestamp ?? '') > Date.parse(event.metadata.creationTimestamp ?? '');
  if (project && !project.metadata.deletionTimestamp && !newer) return;
  await store.delete(refOf(event)).catch(ignoring(NotFoundError));
  throw project && !newer ? new ConflictError(`project "${about.project}" is being deleted`, 'record it in another project') : new NotFoundError('Project', about.project);
}
