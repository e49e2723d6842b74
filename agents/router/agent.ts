// The router agent, the I/O side of the router: follows Routes and Services, builds the model,
// renders it and diffs it with the pure parts in shared/routing, and applies the result to
// HAProxy. Changes of endpoints (addresses, weights, which slots are in use) and of map entries
// (a route taking or leaving a pool backend, hosts and paths) go through the Runtime API with no
// reload; anything else writes a new configuration generation, checks it with `haproxy -c`
// (keeping the running one when refused), swaps it in atomically and reloads hitlessly. A change
// that comes after a quiet spell is applied at once; the changes that follow within the
// coalescing window are gathered and applied together. When HAProxy refuses a configuration, the routes at fault are found
// (shared/routing/refusals.ts), left out and marked not admitted (HAProxyRejected), and every
// other route is applied: one tenant's route never stops the router, nor its start.
// With `idling`, the agent also reports which Services had requests (activity.ts) and holds
// requests for idled Services while they are woken (unidler.ts).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ObjectRef } from '../../shared/model/types.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { buildRouterModel, type RouterModel, type RouterState } from '../../shared/routing/model.ts';
import { runtimePlan } from '../../shared/routing/diff.ts';
import { renderConfig, type RenderSettings } from '../../shared/routing/render.ts';
import type { RouterFeedTable } from '../../shared/routing/feed.ts';
import type { Pod, Route, Service } from '../../shared/model/objects.ts';
import type { Endpoint } from '../../shared/model/deploy-kinds.ts';
import { endpointsOf as readyEndpointsOf } from '../../shared/deploy/endpoints.ts';
import { haproxyProblem, refusedAmong } from '../../shared/routing/refusals.ts';
import { routingChanges } from '../../shared/routing/types.ts';
import { collect, eachOfKind } from '../../shared/store/each.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import type { IdleSignalWriter } from '../../shared/idling/signals.ts';
import type { Unidler } from '../../shared/routing/model.ts';
import { ActivityMeter, backendSessions, servicesOfRoute } from './activity.ts';
import { UnidlerServer } from './unidler.ts';
import { Generations, installDefaultCert, makeDefaultCert } from './generations.ts';
import { Haproxy } from './haproxy.ts';
import { RefusedRoutes } from './refused-routes.ts';

export interface RouterAgentOptions {
  store: ObjectStore;
  httpPort: number;
  httpsPort: number;
  /** The apps domain: without a shared certificate, the default one is made (self-signed) for `*.<domain>`. */
  domain: string;
  /**
   * The default certificate every router serves (PEM chain and key, e.g. a CA-issued
   * `*.<apps domain>`), the same on every router; a self-signed one of this router's own when absent.
   */
  defaultCertificate?: string;
  /** Where configurations, certificates and sockets are kept (created when missing). */
  dir: string;
  logger?: Logger;
  bind?: string;
  /** The HTTPS port clients see, for redirects (httpsPort by default). */
  publicHttpsPort?: number;
  /**
   * How often every Route and Service is listed again, in ms (500 by default; 0 = never: then
   * the agent relies on `changed(ref)`, e.g. from a reconciler over the table's stream).
   */
  pollMs?: number;
  /**
   * The routers' change feed (router hosts, which have no stream): read every `feedMs` (500 by
   * default), each entry handed to `changed`; the full listing (pollMs) then only backs it up.
   */
  feed?: Pick<RouterFeedTable, 'head' | 'since'>;
  feedMs?: number;
  /** How long a burst of changes is gathered before it is applied. */
  coalesceMs?: number;
  haproxyBin?: string;
  /**
   * Idling: where requests seen and requests held are reported, how often activity is read
   * from HAProxy and written (ms; 60,000 by default; 0 = only when reportActivity() is called),
   * how long a request for an idled Service is held (ms; 25,000 by default), how long the
   * connection to a woken pod may take before another try (ms; 5,000 by default), and the clock.
   */
  idling?: { signals: IdleSignalWriter; reportMs?: number; holdMs?: number; connectMs?: number; now?: () => number };
}

export interface RouterStats {
  reloads: number;
  /** Runtime API commands sent (endpoint and map changes applied without a reload). */
  runtimeUpdates: number;
  /** Runtime API commands HAProxy refused. */
  runtimeRefused: number;
  /** Configurations refused by `haproxy -c` (then the routes at fault are looked for and left out). */
  rejected: number;
  /** Routes left out now because HAProxy refused their configuration. */
  routesRefused: number;
  /** Times HAProxy exited by itself and was started again. */
  restarts: number;
  /** Changes read from the feed. */
  feedEntries: number;
  /** How long the last model build took (every change), in ms. */
  lastBuildMs: number;
  /** How long rendering the last configuration text took (start and reloads only), in ms. */
  lastRenderMs: number;
}

const key = (o: { metadata: { project: string; name: string } }) => `${o.metadata.project}/${o.metadata.name}`;
/** How long a pod told ready at once stands in for its Service's endpoints, which normally follow within a second. */
const EARLY_MS = 10_000;

/** A model built from these routes, with what the next build starts from. */
type Built = ReturnType<typeof buildRouterModel> & { routes: Route[] };

export class RouterAgent {
  readonly stats: RouterStats = { reloads: 0, runtimeUpdates: 0, runtimeRefused: 0, rejected: 0, routesRefused: 0, restarts: 0, feedEntries: 0, lastBuildMs: 0, lastRenderMs: 0 };
  private readonly routes = new Map<string, Route>();
  /** Routes left out because HAProxy refused their configuration. */
  private readonly refused = new RefusedRoutes();
  private readonly generations: Generations;
  private readonly services = new Map<string, Service>();
  private readonly haproxy: Haproxy;
  private readonly settings: RenderSettings;
  private applied?: RouterModel;
  private state?: RouterState;
  private timer?: NodeJS.Timeout;
  /** When the last application was started (performance.now()). */
  private lastKick = Number.NEGATIVE_INFINITY;
  private poller?: NodeJS.Timeout;
  private feedTimer?: NodeJS.Timeout;
  private feedSeq = 0;
  private running: Promise<void> = Promise.resolve();
  private dirty = false;
  private stopped = false;
  private lastListing = '';
  private lastRevive = 0;
  private revivePause = 200;
  private unidlerServer?: UnidlerServer;
  private unidler?: Unidler;
  private readonly activity = new ActivityMeter();
  private activityTimer?: NodeJS.Timeout;
  /** Pods told ready at once (podChanged), by Service, until the Service lists endpoints of its own. */
  private readonly early = new Map<string, { endpoints: Endpoint[]; until: number }>();

  constructor(private readonly opts: RouterAgentOptions) {
    this.generations = new Generations(opts.dir);
    this.haproxy = new Haproxy({ bin: opts.haproxyBin ?? 'haproxy', dir: opts.dir, current: this.generations.current, logger: opts.logger, onExit: (why) => this.revive(why) });
    this.settings = {
      dir: opts.dir,
      bind: opts.bind ?? '127.0.0.1',
      httpPort: opts.httpPort,
      httpsPort: opts.httpsPort,
      publicHttpsPort: opts.publicHttpsPort,
      defaultCert: join(opts.dir, 'default.pem'),
    };
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    if (this.opts.defaultCertificate) installDefaultCert(this.settings.defaultCert, this.opts.defaultCertificate);
    else if (!existsSync(this.settings.defaultCert)) makeDefaultCert(this.settings.defaultCert, this.opts.domain);
    const idling = this.opts.idling;
    if (idling) {
      this.unidlerServer = new UnidlerServer({ routeOf: (be) => this.routeOf(be), signals: idling.signals, timeoutMs: idling.holdMs, connectTimeoutMs: idling.connectMs, now: idling.now, logger: this.opts.logger });
      this.unidler = await this.unidlerServer.start();
    }
    // The feed's head first: whatever changes after it is read from the feed, not missed.
    if (this.opts.feed) this.feedSeq = await this.opts.feed.head();
    await this.relist();
    const committed = await this.commit(this.build());
    if (!committed.ok) throw new Error(`haproxy refused its configuration: ${committed.problem}`);
    await this.haproxy.start();
    this.applied = committed.built.model;
    this.state = committed.built.state;
    await this.refused.writeStatuses(this.opts.store, this.routes, committed.built.routes, this.opts.logger);
    const pollMs = this.opts.pollMs ?? 500;
    if (pollMs > 0) {
      const tick = async () => {
        if (this.stopped) return;
        try {
          if (await this.relist()) this.schedule();
        } catch (err) {
          this.opts.logger?.warn({ err }, 'listing routes and services failed');
        }
        if (!this.stopped) this.poller = setTimeout(tick, pollMs);
      };
      this.poller = setTimeout(tick, pollMs);
    }
    if (this.opts.feed) {
      const follow = async () => {
        if (this.stopped) return;
        try {
          await this.readFeed();
        } catch (err) {
          this.opts.logger?.warn({ err }, 'reading the router feed failed');
        }
        if (!this.stopped) this.feedTimer = setTimeout(follow, this.opts.feedMs ?? 500);
      };
      this.feedTimer = setTimeout(follow, this.opts.feedMs ?? 500);
    }
    const reportMs = idling ? (idling.reportMs ?? 60_000) : 0;
    if (reportMs > 0) {
      const report = async () => {
        if (this.stopped) return;
        await this.reportActivity().catch((err) => this.opts.logger?.warn({ err }, 'reporting activity failed'));
        if (!this.stopped) this.activityTimer = setTimeout(report, reportMs);
      };
      this.activityTimer = setTimeout(report, reportMs);
    }
  }

  /**
   * Reads every backend's session count from HAProxy and reports the Services whose routes had
   * requests since the last reading (one write per active Service); the Services reported.
   */
  async reportActivity(): Promise<string[]> {
    const idling = this.opts.idling;
    if (!idling || !this.applied) return [];
    const owners = new Map(this.applied.backends.filter((b) => b.route).map((b) => [b.name, `${b.route!.project}/${b.route!.name}`]));
    const active = this.activity.observe(backendSessions(await this.haproxy.stat()), (be) => owners.get(be));
    const services = new Map<string, { project: string; service: string }>();
    for (const key of active) {
      const route = this.routes.get(key);
      if (route) for (const s of servicesOfRoute(route)) services.set(`${s.project}/${s.service}`, s);
    }
    if (services.size) await idling.signals.reportActivity([...services.values()], (idling.now ?? Date.now)());
    return [...services.keys()].sort();
  }

  /** What the unidler holds requests for: the route a backend serves now, with its Services as known. */
  private routeOf(backend: string): { route: Route; services: (Service | undefined)[] } | undefined {
    const be = this.applied?.backends.find((b) => b.name === backend);
    const route = be?.route && this.routes.get(`${be.route.project}/${be.route.name}`);
    if (!route) return undefined;
    return { route, services: [route.spec.to, ...route.spec.alternateBackends].map((t) => this.withEarly(`${route.metadata.project}/${t.name}`)) };
  }

  /** The Service as known, with the pods told ready at once as its endpoints while it lists none of its own. */
  private withEarly(k: string): Service | undefined {
    const svc = this.services.get(k);
    const early = this.early.get(k);
    if (!svc || !early || svc.status?.endpoints?.length) return svc;
    if (early.until < Date.now()) {
      this.early.delete(k);
      return svc;
    }
    return { ...svc, status: { ...svc.status, endpoints: early.endpoints } };
  }

  /**
   * Tells the agent of a pod's readiness as it is written (by a host agent in this process, on
   * the all-in-one platform): a request held for a woken Service is passed to the pod at once,
   * without waiting for the endpoints controller to list it in the Service. Only held requests
   * use it; HAProxy gets the pod from the Service's endpoints as before. A pod that is no longer
   * ready, or is being deleted, is taken back.
   */
  podChanged(pod: Pod): void {
    if (!this.unidlerServer) return;
    // Nothing held (the usual case): nothing to offer, and nothing offered earlier is needed.
    if (!this.unidlerServer.holding) return void this.early.clear();
    let offered = false;
    for (const [k, svc] of this.services) {
      if (svc.metadata.project !== pod.metadata.project) continue;
      const had = this.early.get(k);
      const mine = pod.metadata.deletionTimestamp ? [] : readyEndpointsOf(svc, [pod]);
      if (!mine.length && !had) continue;
      const endpoints = [...(had?.endpoints ?? []).filter((e) => e.pod !== pod.metadata.name), ...mine];
      if (endpoints.length) this.early.set(k, { endpoints, until: Date.now() + EARLY_MS });
      else this.early.delete(k);
      offered ||= mine.length > 0;
    }
    if (offered) this.unidlerServer.changed();
  }

  /** Requests held for idled Services, passed on, timed out; wakes asked. */
  get unidlerStats() {
    return this.unidlerServer?.stats;
  }

  /** Hands every feed entry after the last one seen to `changed`. */
  async readFeed(): Promise<void> {
    const feed = this.opts.feed;
    if (!feed) return;
    for (;;) {
      const entries = await feed.since(this.feedSeq, FEED_PAGE);
      for (const e of entries) {
        await this.changed(e.ref);
        this.feedSeq = e.seq;
        this.stats.feedEntries++;
      }
      if (entries.length < FEED_PAGE) return;
    }
  }

  /** Tells the agent a Route or Service changed (or went). */
  async changed(ref: ObjectRef): Promise<void> {
    if (ref.kind !== 'Route' && ref.kind !== 'Service') return;
    const o = await this.opts.store.get<Route & Service>(ref);
    const map = (ref.kind === 'Route' ? this.routes : this.services) as Map<string, Route | Service>;
    const k = `${ref.project}/${ref.name}`;
    if (o && !o.metadata.deletionTimestamp) map.set(k, o);
    else map.delete(k);
    // A Service that lists endpoints (or went) needs no pods told at once any more.
    if (ref.kind === 'Service' && (!o || (o as Service).status?.endpoints?.length)) this.early.delete(k);
    this.unidlerServer?.changed();
    this.schedule();
  }

  /** Lists everything again and applies what changed; resolves once it is applied. */
  async refresh(): Promise<void> {
    if (await this.relist()) this.schedule();
    await this.settled();
  }

  /** Resolves once every change seen so far is applied. */
  async settled(): Promise<void> {
    while (this.timer || this.dirty) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.kick();
      }
      await this.running;
    }
    await this.running;
  }

  /** The pid of HAProxy's current worker (undefined while there is none). */
  async workerPid(): Promise<number | undefined> {
    return this.haproxy.workerPid();
  }

  async memoryBytes(): Promise<number> {
    return this.haproxy.memoryBytes();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.poller);
    clearTimeout(this.feedTimer);
    clearTimeout(this.activityTimer);
    await this.running.catch(() => undefined);
    await this.haproxy.stop();
    await this.unidlerServer?.stop();
  }

  /**
   * HAProxy exited by itself: start it again from the model last applied (what the Runtime API
   * changed lives only in the dead process), after a pause that doubles while it keeps failing.
   */
  private revive(why: string): void {
    if (this.stopped) return;
    this.opts.logger?.error({ why }, 'haproxy exited; starting it again');
    const pause = Date.now() - this.lastRevive < 30_000 ? Math.min(this.revivePause * 2, 30_000) : 200;
    this.revivePause = pause;
    this.lastRevive = Date.now();
    this.running = this.running.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, pause));
      if (this.stopped) return;
      try {
        const rendered = this.render(this.applied!);
        const problem = await this.writeGeneration(rendered.cfg, rendered.files);
        if (problem) throw new Error(`the configuration last applied was refused: ${problem}`);
        await this.haproxy.start();
        this.stats.restarts++;
        // A change being applied when HAProxy died may not have reached it: apply what is wanted now.
        this.schedule();
      } catch (err) {
        this.opts.logger?.error({ err }, 'starting haproxy again failed');
        this.revive(String(err));
      }
    });
  }

  /** Lists every Route and Service; true when anything changed since the last listing. */
  private async relist(): Promise<boolean> {
    const [routes, services] = await Promise.all([collect(eachOfKind<Route>(this.opts.store, 'Route')), collect(eachOfKind<Service>(this.opts.store, 'Service'))]);
    const listing = [...routes, ...services].map((o) => `${o.kind}/${key(o)}@${o.metadata.resourceVersion}`).sort().join('\n');
    if (listing === this.lastListing) return false;
    this.lastListing = listing;
    this.routes.clear();
    this.services.clear();
    for (const r of routes) if (!r.metadata.deletionTimestamp) this.routes.set(key(r), r);
    for (const s of services) this.services.set(key(s), s);
    this.unidlerServer?.changed();
    return true;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const window = this.opts.coalesceMs ?? 100;
    const wait = this.lastKick + window - performance.now();
    if (wait <= 0) {
      this.kick();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, wait);
  }

  private kick(): void {
    this.lastKick = performance.now();
    this.dirty = true;
    this.running = this.running.then(async () => {
      if (!this.dirty || this.stopped) return;
      this.dirty = false;
      try {
        await this.apply();
      } catch (err) {
        this.opts.logger?.error({ err }, 'applying the router configuration failed');
      }
    });
  }

  private build(): Built {
    const t0 = performance.now();
    const routes = this.refused.wanted(this.routes);
    this.stats.routesRefused = this.refused.size;
    const built = buildRouterModel(routes, this.services, this.state, this.unidler);
    this.stats.lastBuildMs = performance.now() - t0;
    return { ...built, routes };
  }

  private render(model: RouterModel) {
    const t0 = performance.now();
    const out = renderConfig(model, this.settings);
    this.stats.lastRenderMs = performance.now() - t0;
    return out;
  }

  private async apply(): Promise<void> {
    let next = this.build();
    const applied = this.applied!;
    const commands = runtimePlan(applied, next.model);
    let refused = false;
    if (commands?.length) {
      const problems = await this.haproxy.runtime(commands);
      this.stats.runtimeRefused += problems.length;
      this.stats.runtimeUpdates += commands.length;
      // What HAProxy refused would leave it apart from the model: a reload puts it right.
      refused = problems.length > 0;
      if (refused) this.opts.logger?.warn({ problems: problems.slice(0, 5) }, 'the Runtime API refused some changes; reloading');
    }
    if (!commands || refused) {
      const committed = await this.commit(next);
      if (!committed.ok) {
        this.opts.logger?.error({ problem: committed.problem.slice(0, 2000) }, 'haproxy refused the new configuration; keeping the running one');
        return;
      }
      next = committed.built;
      await this.haproxy.reload();
      this.stats.reloads++;
    }
    this.applied = next.model;
    this.state = next.state;
    await this.refused.writeStatuses(this.opts.store, this.routes, next.routes, this.opts.logger);
  }

  /**
   * Writes, checks and makes current the configuration of `built`. When HAProxy refuses it, the
   * routes at fault are found by checking configurations of some routes alone, left out (until
   * they change), and the configuration of the others is written instead.
   */
  private async commit(built: Built): Promise<{ ok: true; built: Built } | { ok: false; problem: string }> {
    const rendered = this.render(built.model);
    const problem = await this.writeGeneration(rendered.cfg, rendered.files);
    if (!problem) return { ok: true, built };
    this.stats.rejected++;
    const culprits = await refusedAmong(built.routes, (some) => this.check(some), problem);
    if (!culprits?.length) return { ok: false, problem };
    for (const c of culprits) {
      const why = haproxyProblem(c.problem, this.opts.dir);
      this.refused.add(c.item, why);
      this.opts.logger?.warn({ route: key(c.item), problem: why }, 'haproxy refused a route; serving the others without it');
    }
    const again = this.build();
    const rest = this.render(again.model);
    const still = await this.writeGeneration(rest.cfg, rest.files);
    return still ? { ok: false, problem: still } : { ok: true, built: again };
  }

  /** `haproxy -c` on a configuration of these routes alone; HAProxy's complaint, if any. */
  private async check(routes: Route[]): Promise<string | undefined> {
    const { model } = buildRouterModel(routes, this.services, undefined, this.unidler);
    const { cfg, files } = renderConfig(model, this.settings);
    const dir = await this.generations.write(cfg, files, 'check');
    try {
      return await this.haproxy.check(dir);
    } finally {
      await this.generations.discard(dir);
    }
  }

  /** Writes a configuration generation, checks it and makes it current; HAProxy's complaint when refused (nothing changed then). */
  private async writeGeneration(cfg: string, files: Map<string, string>): Promise<string | undefined> {
    const gen = await this.generations.write(cfg, files);
    const problem = await this.haproxy.check(gen);
    if (problem) {
      await this.generations.discard(gen);
      return problem;
    }
    await this.generations.makeCurrent(gen);
    return undefined;
  }
}

/** Feed entries read per query. */
const FEED_PAGE = 500;

/** Starts a router agent (HAProxy included); stop() stops both. */
export async function startRouterAgent(opts: RouterAgentOptions): Promise<RouterAgent> {
  const agent = new RouterAgent(opts);
  await agent.start();
  return agent;
}

/**
 * Feeds a router agent from the reconciler runtime (the table's stream): each Route or Service
 * change is handed to the agent at once, so it can poll rarely (pollMs) or not at all.
 * @example startLocalReconcilers({ reconcilers: [routeAdmission(…), routerFeed(agent)], … })
 */
export function routerFeed(agent: RouterAgent): Reconciler {
  return routingChanges('router-feed', (ref) => agent.changed(ref));
}
