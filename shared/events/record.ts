// Events, as Kubernetes Events that expire after an hour: what `berth get events` and
// `berth describe` show a user. Any capability records them (rollouts, scheduling, builds…).
import { randomBytes } from 'node:crypto';
import type { EventSpec } from '../model/kinds.ts';
import type { ObjectRef } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';

const EVENT_TTL_MS = 60 * 60 * 1000;

export interface EventInput {
  type: EventSpec['type'];
  reason: string;
  message: string;
}

/** Records one Event about `about` (an object of a project) at `at` (ms since the epoch). */
export async function recordEvent(store: ObjectStore, about: ObjectRef, e: EventInput, at: number): Promise<void> {
  const ts = new Date(at).toISOString();
  const spec: EventSpec = { involvedObject: { kind: about.kind, name: about.name }, type: e.type, reason: e.reason, message: e.message, count: 1, firstTimestamp: ts, lastTimestamp: ts };
  await store.create({
    kind: 'Event',
    metadata: { name: `${about.name}.${randomBytes(6).toString('hex')}`, project: about.project, expiresAt: new Date(at + EVENT_TTL_MS).toISOString() },
    spec,
  });
}
