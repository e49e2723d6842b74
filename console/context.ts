// Per-request plumbing of the console: who is signed in (from the session cookie, checked with
// the API's whoami), rendering with the console's security headers, and turning API answers of
// actions into a redirect (done) or a page saying in plain words what went wrong (the API's status).
import type { Context, MiddlewareHandler } from 'hono';
import type { Hono } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { ApiFailure, ConsoleApi, type ApiAnswer } from './api.ts';
import { sessionKey, TtlCache } from './cache.ts';
import { plainError, type PlainError } from './errors.ts';
import { csrfFor, endSession, sessionToken } from './session.ts';
import type { Viewer } from './views/layout.tsx';
import { ErrorPage } from './views/more.tsx';

export interface ConsoleEnv {
  Variables: { api: ConsoleApi; viewer: Viewer };
}
export type ConsoleContext = Context<ConsoleEnv>;

/** Pages are the console's own: no framing by other sites, scripts only from this origin. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function render(c: Context, page: JSX.Element, status = 200): Response {
  return c.html(`<!doctype html>${page}`, status as 200, SECURITY_HEADERS);
}

/** Who a session is, for the page header (not for any decision: the API makes those). */
const who = new TtlCache<ApiAnswer>(30_000);
function whoami(api: ConsoleApi, token: string): Promise<ApiAnswer> {
  return who.get(sessionKey(token), async () => {
    const r = await api.call('GET', '/api/v1/whoami');
    if (!r.ok) throw new ApiFailure(r);
    return r;
  }).catch((err) => (err instanceof ApiFailure ? err.answer : Promise.reject(err)));
}

/** Drops what the console remembers of a session (at sign-out). */
export const forgetSession = (token: string): void => who.forget(sessionKey(token));

/** The API of a request that has no session (sign in, sign up). */
export const anonymousApi = (app: Hono<any>, c: Context): ConsoleApi => new ConsoleApi(app, undefined, c.env);

/**
 * Signed-in pages: the session's token must still be valid (whoami); otherwise the cookie is
 * cleared and the browser sent to sign in (a GET) or told to (anything else, 401).
 */
export function requireSession(app: Hono<any>): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const token = sessionToken(c);
    const api = new ConsoleApi(app, token, c.env);
    const who = token ? await whoami(api, token) : undefined;
    if (!token || !who?.ok) {
      if (token) endSession(c);
      if (c.req.method === 'GET' && who?.status !== 429) return c.redirect(`/console/signin?next=${encodeURIComponent(c.req.path)}`, 303);
      const error = who && who.status !== 401 ? plainError(who.status, who.body) : plainError(401, undefined);
      return render(c, ErrorPage({ back: '/console/signin', error }), error.status);
    }
    c.set('api', api);
    c.set('viewer', { user: who.body.name, clusterAdmin: who.body.clusterAdmin, csrf: csrfFor(token) });
    return next();
  };
}

export function failure(c: ConsoleContext, error: PlainError, back: string): Response {
  return render(c, ErrorPage({ viewer: c.get('viewer'), back, error }), error.status);
}

/** After an action: on success to `next` (303, so a reload does not repeat it); else the plain-words error with the API's status. */
export function outcome(c: ConsoleContext, answer: ApiAnswer, back: string, next = back): Response {
  if (answer.ok) return c.redirect(next, 303);
  return failure(c, plainError(answer.status, answer.body), back);
}

/** A form field as text ('' when missing or a file). */
export async function field(c: Context, name: string): Promise<string> {
  const v = (await c.req.parseBody())[name];
  return typeof v === 'string' ? v.trim() : '';
}

/** A 400 naming a form field, in the API's error shape. */
export const badField = (label: string, message: string): PlainError => plainError(400, { message: `${label}: ${message}` });
