// Login throttling: failed logins are counted per username and per client address, in the table
// (so every API instance, every Lambda, sees the same counts). A few failures are free; after
// that each failure locks that username or address for twice as long as the one before (5 s,
// 10 s, 20 s … up to LOCK_MAX_SECONDS), and while locked every login with it gets 429 and
// Retry-After, before any password is looked at: the answer is the same whether the user exists
// or not. A success clears the username's count (not the address's: an attacker with an account
// of their own could otherwise reset it between guesses). A count is forgotten FORGET_SECONDS
// after its first failure (DynamoDB TTL; until TTL removes it, an expired count reads as none).
// Planning is pure (nextFailure, lockedFor); the class reads and writes.
import { createHash } from 'node:crypto';
import { AlreadyExistsError, BerthError, NotFoundError, ignoring } from '../errors.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import { retryOnConflict } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';

export const THROTTLE_KIND = 'LoginThrottle';
/** Failures before a username is locked; an address (many users behind one NAT) gets more. */
export const FREE_FAILURES = { user: 5, address: 20 } as const;
export const FIRST_LOCK_SECONDS = 5;
export const LOCK_MAX_SECONDS = 15 * 60;
export const FORGET_SECONDS = 60 * 60;

export interface ThrottleState {
  failures: number;
  /** ISO instant until which logins with this key are refused. */
  lockedUntil?: string;
}
type Throttle = BerthObject<ThrottleState, unknown>;

/** The state after one more failure at `now`. */
export function nextFailure(state: ThrottleState | undefined, free: number, now: Date): ThrottleState {
  const failures = (state?.failures ?? 0) + 1;
  if (failures < free) return { failures };
  const seconds = Math.min(FIRST_LOCK_SECONDS * 2 ** (failures - free), LOCK_MAX_SECONDS);
  return { failures, lockedUntil: new Date(now.getTime() + seconds * 1000).toISOString() };
}

/** Whole seconds `state` is still locked for at `now`; 0 when it is not. */
export function lockedFor(state: ThrottleState | undefined, now: Date): number {
  const until = state?.lockedUntil ? Date.parse(state.lockedUntil) : 0;
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

export class TooManyLoginsError extends BerthError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'TooManyRequests', `too many failed logins: try again in ${retryAfterSeconds} s`, { suggestion: 'wait, then log in again', headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}

type Scope = keyof typeof FREE_FAILURES;
const refOf = (scope: Scope, value: string): ObjectRef => ({ kind: THROTTLE_KIND, project: '', name: `${scope}-${createHash('sha256').update(value).digest('hex').slice(0, 40)}` });

export class LoginThrottle {
  constructor(
    private readonly store: ObjectStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Throws TooManyLoginsError while the username or the address is locked. */
  async check(username: string, address: string): Promise<void> {
    const [user, addr] = await Promise.all([this.read(refOf('user', username)), this.read(refOf('address', address))]);
    const wait = Math.max(lockedFor(user?.spec, this.now()), lockedFor(addr?.spec, this.now()));
    if (wait > 0) throw new TooManyLoginsError(wait);
  }

  /** Counts a failed login against both; true when this failure locked the username or the address. */
  async failed(username: string, address: string): Promise<boolean> {
    const states = await Promise.all([this.count(refOf('user', username), FREE_FAILURES.user), this.count(refOf('address', address), FREE_FAILURES.address)]);
    return states.some((s) => lockedFor(s, this.now()) > 0);
  }

  async succeeded(username: string): Promise<void> {
    await this.store.delete(refOf('user', username)).catch(ignoring(NotFoundError));
  }

  /** The count, or undefined when there is none or it has expired. */
  private async read(ref: ObjectRef): Promise<Throttle | undefined> {
    const t = await this.store.get<Throttle>(ref);
    return t && !this.expired(t) ? t : undefined;
  }

  private expired(t: Throttle): boolean {
    return !!t.metadata.expiresAt && Date.parse(t.metadata.expiresAt) <= this.now().getTime();
  }

  private async count(ref: ObjectRef, free: number): Promise<ThrottleState> {
    // Racing writers (failures of one name at once, on other instances) retry, as any read-modify-write.
    return retryOnConflict(async () => {
      const stored = await this.store.get<Throttle>(ref);
      const live = stored && !this.expired(stored) ? stored : undefined;
      const spec = nextFailure(live?.spec, free, this.now());
      const expiresAt = live?.metadata.expiresAt ?? new Date(this.now().getTime() + FORGET_SECONDS * 1000).toISOString();
      if (stored) await this.store.update<Throttle>({ ...stored, metadata: { ...stored.metadata, expiresAt }, spec });
      else await this.store.create({ kind: THROTTLE_KIND, metadata: { ...ref, expiresAt }, spec });
      return spec;
    }, [AlreadyExistsError, NotFoundError]);
  }
}
