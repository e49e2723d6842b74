// Audit events: what a hosted service must be able to answer about its tenants afterwards
// (sign-ups, failed logins and locks, project creations, quota refusals, trial expiries, sessions
// into pods). Each is
// a cluster-scoped `AuditEvent`, named so that a listing is in time order, readable only by
// cluster admins (GET /api/v1/audit), kept AUDIT_DAYS (DynamoDB TTL; the expiry reconciler too).
import { randomBytes } from 'node:crypto';
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';

export const AUDIT_KIND = 'AuditEvent';
export const AUDIT_DAYS = 90;

export type AuditType = 'SignUp' | 'LoginFailed' | 'LoginLocked' | 'ProjectCreated' | 'QuotaRefused' | 'ProjectCapRefused' | 'TrialExpired' | 'TrialExtended' | 'TrialConverted' | 'PodSession' | 'RegistryLogin';

export interface AuditSpec {
  type: AuditType;
  time: string;
  /** The user acted for or upon (as given: a failed login may name nobody who exists). */
  user?: string;
  /** The client address of the request, when there was one. */
  address?: string;
  project?: string;
  message: string;
}
export type AuditEvent = BerthObject<AuditSpec, unknown>;

/**
 * Stores one audit event; never fails the caller's request (a lost record is logged by the caller's logger, if any).
 * @example await audit(store, { type: 'SignUp', user: 'alice', address, message: 'trial until …' })
 */
export async function audit(store: ObjectStore, e: Omit<AuditSpec, 'time'>, now: Date = new Date(), onError?: (err: unknown) => void): Promise<void> {
  const time = now.toISOString();
  const name = `${time.replace(/[-:.]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
  const expiresAt = new Date(now.getTime() + AUDIT_DAYS * 24 * 3600 * 1000).toISOString();
  await store.create({ kind: AUDIT_KIND, metadata: { name, project: '', expiresAt, labels: e.type ? { type: e.type } : {} }, spec: { ...e, time } }).catch((err) => onError?.(err));
}
