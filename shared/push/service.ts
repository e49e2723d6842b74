// Push connections: a client opens one with its token, names the paths it watches, and is sent
// a notice when something on one of them changes; it then reads the change through the API. This
// is what a client waits on where the API cannot hold a watch request (on Lambda every second
// held is billed, docs/cost.md, "Watches"). The same service runs behind API Gateway's WebSocket
// API on AWS and behind the local API's WebSocket route.
//
// A notice names the path, and may carry what reading it would give (a log's new text, a list's
// changed objects of a kind the API shows as stored: shared/push/changes.ts); otherwise the client
// reads through the API, which authorises that read as any other. The watcher's right to read the
// path is checked when it subscribes and again before each notice (a batch of changes checks each
// watcher once), so a user who lost the project is told nothing more, not even that something
// changed, and is never sent what the notice would have carried.
import type { Logger } from 'pino';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { Verb } from '../auth/rbac.ts';
import type { Category } from '../model/kind-names.ts';
import { TooManyRequestsError, type RateLimiter } from '../api/rate-limit.ts';
import { authorizeProject } from '../api/access.ts';
import type { Identity } from '../auth/identity.ts';
import type { ObjectStore } from '../store/ports.ts';
import { eachLimited } from '../fleet/each-limited.ts';
import { MAX_TOPICS_PER_CONNECTION, type PushSubscriptions, type Watcher } from './subscriptions.ts';
import { parseTopic, topicPath, type PushMessage } from './topics.ts';
import type { Change } from './changes.ts';

/** Sends one message on a connection; 'gone' when the connection no longer exists. */
export interface PushSender {
  send(connection: string, message: PushMessage): Promise<'sent' | 'gone'>;
}

export interface PushServiceOptions {
  subscriptions: PushSubscriptions;
  sender: PushSender;
  /** The user a token stands for (Identity.holderOf); throws UnauthorizedError for a bad one. */
  holderOf(token: string): Promise<{ user: string }>;
  /** Throws ForbiddenError unless the user may `verb` the resource in the project (authorizeProject). */
  authorize(user: string, project: string, verb: Verb, resource: Category): Promise<void>;
  /** Counts each message against its user's API requests (the API's rate limit); a user over it is answered 429. */
  rateLimit?: RateLimiter;
  logger?: Logger;
}

/** A request's body: `{"watch": PATH}` or `{"unwatch": PATH}`. */
function parseRequest(raw: string): { op: 'watch' | 'unwatch'; path: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const entries = Object.entries(body);
  if (entries.length !== 1) return undefined;
  const [op, path] = entries[0]!;
  return (op === 'watch' || op === 'unwatch') && typeof path === 'string' && path.length <= 512 ? { op, path } : undefined;
}

export class PushService {
  constructor(private readonly opts: PushServiceOptions) {}

  /**
   * Opens a connection for the holder of a token, or of a ticket (which it uses up); throws
   * UnauthorizedError with neither or with a bad one, TooManyRequestsError for a user over the limit.
   */
  async connect(connection: string, auth: { token?: string | undefined; ticket?: string | undefined }): Promise<string> {
    const user = auth.token ? (await this.opts.holderOf(auth.token)).user : auth.ticket ? await this.opts.subscriptions.redeemTicket(auth.ticket) : undefined;
    if (!user) throw new UnauthorizedError(auth.ticket ? 'this ticket is used, expired or not one: ask for another (POST /api/v1/push/tickets)' : 'a push connection needs a bearer token or a ticket');
    const wait = this.opts.rateLimit ? await this.opts.rateLimit.take(user) : 0;
    if (wait > 0) throw new TooManyRequestsError(wait, this.opts.rateLimit!.perMinute);
    await this.open(connection, user);
    return user;
  }

  /** Opens a connection for a user whose token the caller has already checked (the API's own route). */
  async open(connection: string, user: string): Promise<void> {
    await this.opts.subscriptions.connect(connection, user);
  }

  /** Answers one message from a connection. */
  async receive(connection: string, raw: string): Promise<PushMessage> {
    const req = parseRequest(raw);
    if (!req) return { type: 'error', status: 400, message: 'send {"watch": PATH} or {"unwatch": PATH}, PATH a list route of a project (/api/v1/projects/NAME/pods) or a build\'s log' };
    const topic = parseTopic(req.path);
    if (!topic) return { type: 'error', path: req.path, status: 400, message: `"${req.path}" cannot be watched: give a list route of a project or a build's log` };
    const user = await this.opts.subscriptions.userOf(connection);
    if (!user) return { type: 'error', path: req.path, status: 401, message: 'this connection has ended: open another' };
    const wait = this.opts.rateLimit ? await this.opts.rateLimit.take(user) : 0;
    if (wait > 0) return { type: 'error', path: req.path, status: 429, message: `too many requests: try again in ${wait} s` };
    const path = topicPath(topic);
    if (req.op === 'unwatch') {
      await this.opts.subscriptions.unsubscribe(connection, topic);
      return { type: 'unwatched', path };
    }
    try {
      await this.opts.authorize(user, topic.project, topic.verb, topic.resource);
    } catch (err) {
      if (err instanceof ForbiddenError) return { type: 'error', path, status: 403, message: err.message };
      throw err;
    }
    if (!(await this.opts.subscriptions.subscribe(connection, user, topic))) {
      return { type: 'error', path, status: 429, message: `a connection watches at most ${MAX_TOPICS_PER_CONNECTION} paths: unwatch one first` };
    }
    return { type: 'watching', path };
  }

  async disconnect(connection: string): Promise<void> {
    await this.opts.subscriptions.disconnect(connection);
  }

  /** Tells every connection watching one of these topics, and allowed to read it still, that it changed. */
  async notify(changes: Change[]): Promise<void> {
    // By project, each topic's change (with what its notice carries).
    const byProject = new Map<string, Map<string, Change>>();
    for (const c of changes) byProject.set(c.project, (byProject.get(c.project) ?? new Map()).set(c.topic, c));
    await eachLimited([...byProject], 8, async ([project, topics]) => {
      const watchers = (await this.opts.subscriptions.watchersOf(project)).filter((w) => topics.has(w.topic));
      if (!watchers.length) return;
      const mayRead = this.rightsOf(project);
      await eachLimited(watchers, 16, async (w) => {
        if (!(await mayRead(w))) return;
        const outcome = await this.opts.sender.send(w.connection, noticeOf(topics.get(w.topic)!));
        if (outcome === 'gone') await this.opts.subscriptions.disconnect(w.connection);
      });
    });
  }

  /** Whether a watcher may still read its topic: each user and right checked once per project and notice. */
  private rightsOf(project: string): (w: Watcher) => Promise<boolean> {
    const checked = new Map<string, Promise<boolean>>();
    return (w) => {
      const t = parseTopic(topicPath({ project, topic: w.topic }));
      if (!t) return Promise.resolve(false);
      const key = `${w.user} ${t.verb} ${t.resource}`;
      let ok = checked.get(key);
      if (!ok) {
        ok = this.opts.authorize(w.user, project, t.verb, t.resource).then(
          () => true,
          (err) => {
            if (!(err instanceof ForbiddenError)) this.opts.logger?.warn({ err, project, user: w.user }, 'push: could not check a watcher');
            return false;
          },
        );
        checked.set(key, ok);
      }
      return ok;
    };
  }
}

/** The notice of one change: its path, and what it carries. */
function noticeOf(c: Change): PushMessage {
  const path = topicPath(c);
  if (c.log) return { type: 'changed', path, offset: c.log.offset, text: c.log.text };
  if (c.carried) return { type: 'changed', path, objects: c.carried.objects, gone: c.carried.gone };
  return { type: 'changed', path };
}

/**
 * The service as the API's own rules make it, whatever its sender: a token's holder as the API
 * authenticates it, a user's rights as the API authorises them (authorizeProject), each message
 * against the API's rate limit where there is one.
 */
export function apiPushService(deps: { subscriptions: PushSubscriptions; sender: PushSender; store: ObjectStore; identity: Identity; rateLimit?: RateLimiter; logger?: Logger }): PushService {
  return new PushService({
    subscriptions: deps.subscriptions,
    sender: deps.sender,
    holderOf: (token) => deps.identity.holderOf(token),
    authorize: (user, project, verb, resource) => authorizeProject(deps, user, project, verb, resource),
    ...(deps.rateLimit ? { rateLimit: deps.rateLimit } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
