// Attack: a stranger guesses the victim's password, or sprays guesses over many user names from
// one address. Failed logins are counted per username and per client address in the table
// (every API instance sees the same counts): after a few, logins with that name or from that
// address get 429 with Retry-After for a while, the right password included, and the answer
// never says whether the user exists. Through the real API on a loopback HTTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../shared/api/app.ts';
import { FREE_FAILURES, lockedFor, nextFailure } from '../../shared/auth/login-throttle.ts';
import { startCli, type CliHarness } from '../cli/harness.ts';

let h: CliHarness;

beforeAll(async () => {
  h = await startCli();
  await h.api.user('victim');
});
afterAll(() => h?.close());

async function login(username: string, password: string) {
  const res = await fetch(`${h.server}/api/v1/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { code: string; message: string } };
}

describe('login throttling', () => {
  it("guessing the victim's password is locked out with 429 and Retry-After, even for the right password", async () => {
    for (let i = 0; i < FREE_FAILURES.user; i++) expect((await login('victim', `guess-${i}`)).status).toBe(401);
    const locked = await login('victim', 'password-victim');
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(locked.body.code).toBe('TooManyRequests');
  });

  it('the lock is kept in the table: another API instance on it refuses too', async () => {
    const other = createApi({ store: h.api.store, identity: h.api.identity });
    const res = await other.request('/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'victim', password: 'password-victim' }) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('a user that does not exist gets exactly the same answers', async () => {
    const answers = async (name: string) => {
      const out: unknown[] = [];
      for (let i = 0; i <= FREE_FAILURES.user; i++) {
        const r = await login(name, `guess-${i}`);
        out.push({ status: r.status, code: r.body.code, message: r.body.message.replace(/\d+ s/, 'N s') });
      }
      return out;
    };
    await h.api.user('exists');
    const [real, ghost] = [await answers('exists'), await answers('nobody-by-this-name')];
    expect(ghost).toEqual(real);
    expect(real.at(-1)).toMatchObject({ status: 429 });
  });

  it('spraying guesses over many names from one address locks the address', async () => {
    let status = 0;
    let tries = 0;
    while (status !== 429 && tries < FREE_FAILURES.address + 5) status = (await login(`spray-${tries++}`, 'Winter2026!')).status;
    expect(status).toBe(429);
    expect(tries).toBeLessThanOrEqual(FREE_FAILURES.address + 1);
  });

  it('each further failure doubles the lock, up to a cap', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    let state = undefined;
    const locks: number[] = [];
    for (let i = 0; i < FREE_FAILURES.user + 3; i++) locks.push(lockedFor((state = nextFailure(state, FREE_FAILURES.user, now)), now));
    expect(locks).toEqual([0, 0, 0, 0, 5, 10, 20, 40]);
    expect(lockedFor(nextFailure({ failures: 100 }, FREE_FAILURES.user, now), now)).toBe(15 * 60);
  });
});
