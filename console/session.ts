// The console's session: an HttpOnly, SameSite=Strict cookie holding the user's API token (Secure
// when served over HTTPS), scoped to /console. Changing requests must come from the console's own
// origin and carry the CSRF token, an HMAC of the session token that only pages rendered for this
// session contain; a cross-site form has neither.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'berth_console';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

const isHttps = (c: Context): boolean => new URL(c.req.url).protocol === 'https:';

export function startSession(c: Context, token: string, expiresAt?: string): void {
  const expires = expiresAt ? new Date(expiresAt) : undefined;
  setCookie(c, SESSION_COOKIE, token, { path: '/console', httpOnly: true, sameSite: 'Strict', secure: isHttps(c), expires });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/console', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
}

export const sessionToken = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE) || undefined;

/** The CSRF token of a session: HMAC-SHA256 keyed by the session token, so it cannot be guessed without it. */
export const csrfFor = (token: string): string => createHmac('sha256', token).update('berth-console-csrf').digest('base64url');

function sameOrigin(c: Context): boolean {
  const origin = c.req.header('Origin');
  if (origin !== undefined) return origin === new URL(c.req.url).origin;
  // No Origin (old browsers, some same-origin navigations): refuse only what says it is cross-site.
  const site = c.req.header('Sec-Fetch-Site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

/**
 * Refuses (403) a changing request from another origin, and, when a session is open, one
 * without its CSRF token (form field `_csrf` or header X-CSRF-Token).
 */
export function csrfGuard(refuse: (c: Context, why: string) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!sameOrigin(c)) return refuse(c, 'This request came from another site, so it was refused.');
    const token = sessionToken(c);
    if (token) {
      let given = c.req.header(CSRF_HEADER);
      if (!given && /form/.test(c.req.header('Content-Type') ?? '')) {
        const form = await c.req.parseBody();
        given = typeof form[CSRF_FIELD] === 'string' ? (form[CSRF_FIELD] as string) : undefined;
      }
      const want = Buffer.from(csrfFor(token));
      if (!given || Buffer.byteLength(given) !== want.length || !timingSafeEqual(Buffer.from(given), want)) {
        return refuse(c, 'This form has expired or did not come from this console.');
      }
    }
    return next();
  };
}
