// The web console at /console: server-rendered pages over the public API, called in-process on
// the same Hono app with the session's token. Sign in and up, projects and their overview here;
// applications, builds and pods in routes-app.ts; events, members and administration in routes-more.ts.
import { Hono } from 'hono';
import type { ApiDeps } from '../shared/api/env.ts';
import { ApiFailure, ConsoleApi, projectPath } from './api.ts';
import { consoleAssets } from './assets.ts';
import { sessionKey } from './cache.ts';
import { anonymousApi, forgetSession, failure, field, outcome, render, requireSession, SECURITY_HEADERS, badField, type ConsoleEnv } from './context.ts';
import { forgetRights, projectView, rightsIn } from './data.ts';
import { PUSH_HEADER } from '../shared/push/topics.ts';
import { plainError } from './errors.ts';
import { registerAppPages } from './routes-app.ts';
import { registerMorePages } from './routes-more.tsx';
import { registerTemplatePages } from './routes-templates.ts';
import { csrfGuard, endSession, startSession, sessionToken } from './session.ts';
import { SignIn, SignUp } from './views/auth.tsx';
import { ErrorPage } from './views/more.tsx';
import { OverviewBody, OverviewPage, ProjectsPage, projectUrl } from './views/projects.tsx';

/** How long the overview's watch is held when nothing changes (the API may hold it less: on Lambda it answers at once). */
const WATCH_SECONDS = 25;

/** Only the console's own pages are places to go after signing in. */
const safeNext = (next: string | undefined): string => (next && /^\/console\/[^/\\]/.test(next) ? next : '/console/projects');

/** Serves the console on `app` (the API app itself, whose public routes the console calls). */
export function registerConsole(app: Hono<any>, deps: Pick<ApiDeps, 'trials' | 'logger' | 'watchPush'>): void {
  const con = new Hono<ConsoleEnv>();
  // Pages may open their push connection where it is served from another host (API Gateway's
  // WebSocket API on AWS); a push route of this server is 'self' already.
  const pushOrigin = deps.watchPush && /^wss?:\/\//.test(deps.watchPush.url) ? new URL(deps.watchPush.url).origin : undefined;
  if (pushOrigin) {
    con.use('*', async (c, next) => {
      await next();
      const csp = c.res.headers.get('Content-Security-Policy');
      if (csp && !csp.includes('connect-src')) c.res.headers.set('Content-Security-Policy', `${csp}; connect-src 'self' ${pushOrigin}`);
    });
  }
  const signupOpen = deps.trials?.signup === 'open';
  con.onError((err, c) => {
    if (err instanceof ApiFailure && err.answer.status === 401 && c.req.method === 'GET') {
      endSession(c);
      return c.redirect(`/console/signin?next=${encodeURIComponent(c.req.path)}`, 303);
    }
    if (err instanceof ApiFailure) return failure(c, plainError(err.answer.status, err.answer.body), '/console/projects');
    deps.logger?.error({ err, path: c.req.path }, 'console error');
    return failure(c, plainError(500, undefined), '/console/projects');
  });

  con.get('/assets/:file', (c) => {
    const { js, css } = consoleAssets();
    const asset = [js, css].find((a) => a.path === c.req.path);
    if (!asset) return c.text('not found', 404);
    const headers = { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff', Vary: 'Accept-Encoding' };
    if (/\bgzip\b/.test(c.req.header('Accept-Encoding') ?? '')) return c.body(new Uint8Array(asset.gzip), 200, { ...headers, 'Content-Encoding': 'gzip' });
    return c.body(asset.body, 200, headers);
  });

  con.use('*', csrfGuard((c, why) => render(c, ErrorPage({ back: '/console/projects', error: { status: 403, title: 'Refused', detail: why, hint: 'Open the console yourself and do it from there.' } }), 403)));

  con.get('/', (c) => c.redirect(sessionToken(c) ? '/console/projects' : '/console/signin', 303));
  con.get('/signin', (c) => render(c, SignIn({ signup: signupOpen })));
  con.post('/signin', async (c) => {
    const username = await field(c, 'username');
    const password = (await c.req.parseBody()).password;
    const r = await anonymousApi(app, c).call('POST', '/api/v1/login', { username, password: typeof password === 'string' ? password : '' });
    if (!r.ok) {
      const error = r.status === 401 ? { status: 401, title: 'Wrong username or password', hint: 'Check both and try again; after several failures sign-in pauses for a while.' } : plainError(r.status, r.body);
      return render(c, SignIn({ signup: signupOpen, error, username }), r.status);
    }
    startSession(c, r.body.token, r.body.expiresAt);
    return c.redirect(safeNext(c.req.query('next')), 303);
  });
  con.get('/signup', (c) => (signupOpen ? render(c, SignUp({})) : c.redirect('/console/signin', 303)));
  con.post('/signup', async (c) => {
    const username = await field(c, 'username');
    const password = (await c.req.parseBody()).password;
    const r = await anonymousApi(app, c).call('POST', '/api/v1/signup', { username, password: typeof password === 'string' ? password : '' });
    if (!r.ok) return render(c, SignUp({ error: plainError(r.status, r.body), username }), r.status);
    startSession(c, r.body.token, r.body.expiresAt);
    return c.redirect(projectUrl(r.body.project), 303);
  });
  con.post('/signout', async (c) => {
    const token = sessionToken(c);
    if (token) {
      await new ConsoleApi(app, token, c.env).call('POST', '/api/v1/logout');
      forgetSession(token);
      forgetRights(sessionKey(token));
    }
    endSession(c);
    return c.redirect('/console/signin', 303);
  });

  con.use('*', requireSession(app));
  con.get('/projects', async (c) => render(c, ProjectsPage({ viewer: c.get('viewer'), projects: await c.get('api').items('/api/v1/projects') })));
  con.post('/projects', async (c) => {
    const name = await field(c, 'name');
    const displayName = await field(c, 'displayName');
    if (!name) return failure(c, badField('Name', 'a project needs a name'), '/console/projects');
    const r = await c.get('api').call('POST', '/api/v1/projects', { metadata: { name }, spec: displayName ? { displayName } : {} });
    return outcome(c, r, '/console/projects', projectUrl(name));
  });
  con.post('/p/:project/delete', async (c) => outcome(c, await c.get('api').call('DELETE', projectPath(c.req.param('project'))), projectUrl(c.req.param('project')), '/console/projects'));

  con.get('/p/:project', async (c) => {
    const project = c.req.param('project');
    const api = c.get('api');
    const [view, rights] = await Promise.all([projectView(api, project), rightsIn(api, project)]);
    return render(c, OverviewPage({ viewer: c.get('viewer'), view, rights }));
  });
  // The overview's live part. With `since` (the resourceVersion the page shows) a long poll: held
  // until something shown changed (the new part, 200) or WATCH_SECONDS passed (204, nothing to swap).
  // Where the API cannot hold the poll (on Lambda) it answers at once and names its push endpoint
  // (X-Berth-Push), passed on: the page's script then waits to be told of a change instead.
  con.get('/p/:project/overview', async (c) => {
    const project = c.req.param('project');
    const since = c.req.query('since');
    const view = await projectView(c.get('api'), project, since ? { since, waitSeconds: WATCH_SECONDS, signal: c.req.raw.signal } : undefined);
    const headers = view.push ? { ...SECURITY_HEADERS, [PUSH_HEADER]: view.push } : SECURITY_HEADERS;
    if (since && view.changed === false) return c.body(null, 204, headers);
    return c.html(OverviewBody({ view }), 200, headers);
  });
  // A ticket for the page's push connection: the session's token stays in its HttpOnly cookie.
  con.post('/push-ticket', async (c) => {
    const r = await c.get('api').call<{ url: string; expiresAt: string }>('POST', '/api/v1/push/tickets');
    if (!r.ok) return c.json({ message: plainError(r.status, r.body).title }, r.status as 404, SECURITY_HEADERS);
    return c.json({ url: r.body.url, expiresAt: r.body.expiresAt }, 201, SECURITY_HEADERS);
  });

  registerAppPages(con);
  registerMorePages(con);
  registerTemplatePages(con);
  app.route('/console', con);
}
