// Who opened which stream into which pod: every exec, shell, log follow and port-forward session
// is recorded twice: an Event in the pod's project (what `berth get events` shows its members)
// and an entry in the cluster's audit log (`berth adm audit`), which outlives the project.
import { audit } from '../audit/record.ts';
import type { ObjectStore } from '../store/ports.ts';
import { recordEvent } from './record.ts';

export interface PodSession {
  project: string;
  pod: string;
  user: string;
  /** exec, rsh, port-forward, logs, run. */
  action: string;
  /** What was run or reached: the command, the port. */
  detail: string;
}

const REASONS: Record<string, string> = { exec: 'Exec', 'port-forward': 'PortForward', logs: 'LogsFollowed', run: 'Run' };

/** Records one session into a pod. */
export async function auditPodSession(store: ObjectStore, s: PodSession, at = Date.now()): Promise<void> {
  const detail = s.detail.length > 200 ? `${s.detail.slice(0, 197)}...` : s.detail;
  const message = `user "${s.user}" ${s.action}: ${detail}`;
  await Promise.all([
    recordEvent(store, { kind: 'Pod', project: s.project, name: s.pod }, { type: 'Normal', reason: REASONS[s.action] ?? s.action, message }, at),
    audit(store, { type: 'PodSession', user: s.user, project: s.project, message: `${message} (pod ${s.pod})` }, new Date(at)),
  ]);
}

/**
 * What `opening` gives (a session into a pod), once `recording` (its audit records) is written
 * too: both run at once, so the records cost the session no time of their own. A session whose
 * records could not be written is closed and the write's error thrown: none goes unrecorded.
 */
export async function openAudited<T>(opening: Promise<T>, recording: Promise<void>, close: (opened: T) => void): Promise<T> {
  const [opened, recorded] = await Promise.allSettled([opening, recording]);
  if (recorded.status === 'rejected') {
    if (opened.status === 'fulfilled') close(opened.value);
    throw recorded.reason;
  }
  if (opened.status === 'rejected') throw opened.reason;
  return opened.value;
}
