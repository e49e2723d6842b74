// The unidler: a small HTTP listener on loopback inside the router agent. While a Service is
// idled and has no endpoints, its routes' backends point here (shared/routing/model.ts), so the
// next request is held rather than answered 503: the unidler learns from the header HAProxy set
// (BACKEND_HEADER: the backend's own name, never the client's) which route the request is for,
// asks for that route's idled Services to be woken (a wake item in the table; again every few
// seconds while it waits), waits until one of them has a ready endpoint, and proxies the held
// request there (the request's body is kept meanwhile, so a pod that is ready before it listens
// (no readiness probe), or that does not take the connection within 5 s, is tried again until it
// answers or the hold ends). Meanwhile the agent applies the endpoints to HAProxy, so later
// requests go to the pods directly. A route reaches only its own project's Services, so a
// request can only wake the DCs behind the route it was sent to.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { isIdled } from '../../shared/idling/annotations.ts';
import type { IdleSignalWriter } from '../../shared/idling/signals.ts';
import type { Route, Service } from '../../shared/model/objects.ts';
import { endpointsOf, type Unidler } from '../../shared/routing/model.ts';
import { BACKEND_HEADER, NOT_AVAILABLE_PAGE } from '../../shared/routing/render.ts';

export interface UnidlerOptions {
  /** The route a backend serves now, with its target Services as the agent knows them. */
  routeOf(backend: string): { route: Route; services: (Service | undefined)[] } | undefined;
  signals: IdleSignalWriter;
  /** How long a request is held before it is answered 503 (below HAProxy's server timeout). */
  timeoutMs?: number;
  /** How long a connection to a woken pod may take before it is tried again (HAProxy's own `timeout connect`, 5 s). */
  connectTimeoutMs?: number;
  /** A wake is asked for again after this long while requests wait (a lost one is made good). */
  reaskMs?: number;
  now?: () => number;
  logger?: Logger;
}

export interface UnidlerStats {
  /** Requests held. */
  held: number;
  /** Held requests passed on to a woken pod. */
  passed: number;
  /** Held requests answered 503 because no pod became ready in time. */
  timedOut: number;
  /** Wake requests written. */
  wakes: number;
}

const HEADER = BACKEND_HEADER.toLowerCase();
/** The largest request body held while an application wakes. */
const MAX_HELD_BODY = 16 << 20;

/** The whole request body, or undefined when it is larger than MAX_HELD_BODY. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_HELD_BODY) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve(Buffer.alloc(0)));
  });
}
const notAvailable = NOT_AVAILABLE_PAGE.split('\r\n\r\n').slice(1).join('\r\n\r\n');

export class UnidlerServer {
  readonly stats: UnidlerStats = { held: 0, passed: 0, timedOut: 0, wakes: 0 };
  private server?: Server;
  private readonly listeners = new Set<() => void>();
  private readonly asked = new Map<string, number>();
  private inFlight = 0;

  constructor(private readonly opts: UnidlerOptions) {}

  /** Listens on 127.0.0.1 (an unused port); the address routes point at. */
  async start(): Promise<Unidler> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return { ip: '127.0.0.1', port: (server.address() as AddressInfo).port };
  }

  /** Whether a request is held now (waiting for an endpoint, or between tries of one). */
  get holding(): boolean {
    return this.inFlight > 0;
  }

  /** Tells waiting requests that the agent learnt of a change (a Service's endpoints, maybe). */
  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const backend = req.headers[HEADER];
    const found = typeof backend === 'string' ? this.opts.routeOf(backend) : undefined;
    if (!found) return void this.refuse(res);
    this.stats.held++;
    this.inFlight++;
    try {
      await this.hold(req, res, backend as string);
    } finally {
      this.inFlight--;
    }
  }

  private async hold(req: IncomingMessage, res: ServerResponse, backend: string): Promise<void> {
    const deadline = Date.now() + (this.opts.timeoutMs ?? 25_000);
    const [body, target] = await Promise.all([readBody(req), this.wake(backend, res, deadline)]);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      return void res.end(`a request held while its application wakes carries at most ${MAX_HELD_BODY} bytes\n`);
    }
    for (let to = target; to; to = await this.wake(backend, res, deadline)) {
      if (await this.proxy(req, res, to, body, deadline)) {
        this.stats.passed++;
        return;
      }
      // Ready but not listening yet: a moment, then again.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (Date.now() >= deadline) break;
    }
    this.stats.timedOut++;
    if (!res.headersSent) this.refuse(res);
  }

  /** Wakes the route's idled Services and resolves with a ready endpoint (undefined: none in time, or the client left). */
  private wake(backend: string, res: ServerResponse, deadline: number): Promise<{ ip: string; port: number } | undefined> {
    if (!res.socket || res.socket.destroyed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (v: { ip: string; port: number } | undefined) => {
        clearTimeout(timer);
        this.listeners.delete(look);
        res.off('close', gone);
        resolve(v);
      };
      // Closed before it was answered: the client hung up.
      const gone = () => finish(undefined);
      const look = () => {
        const found = this.opts.routeOf(backend);
        if (!found) return finish(undefined);
        const ready = found.services.flatMap((s) => endpointsOf(found.route, s));
        if (ready.length) return finish(ready[Math.floor(Math.random() * ready.length)]);
        if (Date.now() >= deadline) return finish(undefined);
        for (const s of found.services) if (s && isIdled(s)) this.ask(s);
        clearTimeout(timer);
        timer = setTimeout(look, Math.min(1000, Math.max(0, deadline - Date.now())));
      };
      this.listeners.add(look);
      res.once('close', gone);
      look();
    });
  }

  /** Writes a wake request for the Service, unless one was written within reaskMs. */
  private ask(s: Service): void {
    const key = `${s.metadata.project}/${s.metadata.name}`;
    const now = (this.opts.now ?? Date.now)();
    const last = this.asked.get(key);
    if (last !== undefined && now - last < (this.opts.reaskMs ?? 5_000)) return;
    this.asked.set(key, now);
    if (this.asked.size > 10_000) this.asked.clear();
    this.stats.wakes++;
    this.opts.signals.requestWake({ project: s.metadata.project, service: s.metadata.name }, now).catch((err) => {
      this.asked.delete(key);
      this.opts.logger?.warn({ err, service: key }, 'asking to wake an idled service failed');
    });
  }

  /**
   * Passes the request on; false when the pod could not be reached before it answered (try again).
   * A connection that is not made within connectTimeoutMs (a pod whose packets are dropped) is
   * given up, so that the request is tried again, or answered, within the hold.
   */
  private proxy(req: IncomingMessage, res: ServerResponse, to: { ip: string; port: number }, body: Buffer, deadline: number): Promise<boolean> {
    const { [HEADER]: _backend, ...headers } = req.headers;
    return new Promise((resolve) => {
      const up = httpRequest({ host: to.ip, port: to.port, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        resolve(true);
      });
      up.once('socket', (socket) => {
        if (!socket.connecting) return;
        const limit = this.opts.connectTimeoutMs ?? 5_000;
        const timer = setTimeout(() => up.destroy(new Error(`no connection to ${to.ip}:${to.port} within ${limit} ms`)), Math.max(1, Math.min(limit, deadline - Date.now())));
        socket.once('connect', () => clearTimeout(timer));
        up.once('close', () => clearTimeout(timer));
      });
      up.on('error', (err) => {
        if (!res.headersSent) return resolve(false);
        this.opts.logger?.warn({ err }, 'passing a held request to a woken pod failed');
        res.destroy();
        resolve(true);
      });
      up.end(body);
    });
  }

  private refuse(res: ServerResponse): void {
    res.writeHead(503, { 'content-type': 'text/html', 'cache-control': 'no-cache', connection: 'close' });
    res.end(notAvailable);
  }
}
