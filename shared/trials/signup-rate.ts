// Sign-ups per client address: at most `perHour` in a fixed hour-long window that begins with the
// address's first sign-up, counted in the table (every API instance sees the same count); more
// is 429 with Retry-After until the window ends. The count's item is named by a hash of the
// address and goes with DynamoDB TTL when its window ends.
import { createHash } from 'node:crypto';
import { AlreadyExistsError, BerthError } from '../errors.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import { retryOnConflict } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';

export const SIGNUP_WINDOW_KIND = 'SignupWindow';
const WINDOW_MS = 3600 * 1000;

type Window = BerthObject<{ count: number }, unknown>;

export class TooManySignupsError extends BerthError {
  constructor(retryAfterSeconds: number) {
    super(429, 'TooManyRequests', `too many sign-ups from this address: try again in ${retryAfterSeconds} s`, { suggestion: 'wait, then sign up again', headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}

const refOf = (address: string): ObjectRef => ({ kind: SIGNUP_WINDOW_KIND, project: '', name: `address-${createHash('sha256').update(address).digest('hex').slice(0, 40)}` });

/** Counts one sign-up from `address`, or throws TooManySignupsError when its window is full. */
export async function countSignup(store: ObjectStore, address: string, perHour: number, now: Date): Promise<void> {
  const ref = refOf(address);
  await retryOnConflict(async () => {
    const stored = await store.get<Window>(ref);
    const live = stored && Date.parse(stored.metadata.expiresAt ?? '') > now.getTime() ? stored : undefined;
    if (live && live.spec.count >= perHour) throw new TooManySignupsError(Math.max(1, Math.ceil((Date.parse(live.metadata.expiresAt!) - now.getTime()) / 1000)));
    if (live) await store.update<Window>({ ...live, spec: { count: live.spec.count + 1 } });
    else if (stored) await store.update<Window>({ ...stored, metadata: { ...stored.metadata, expiresAt: new Date(now.getTime() + WINDOW_MS).toISOString() }, spec: { count: 1 } });
    else await store.create({ kind: SIGNUP_WINDOW_KIND, metadata: { ...ref, expiresAt: new Date(now.getTime() + WINDOW_MS).toISOString() }, spec: { count: 1 } });
  }, [AlreadyExistsError]);
}
