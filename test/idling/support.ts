// A small idling world for tests: DynamoDB Local, the router agent with real HAProxy (reporting
// activity and holding requests for idled Services), the idler on an injected clock, and the
// table's stream driving the idler and the router as on `npm run up`. Pods are stood in for by
// small HTTP apps: `podsFollow` gives a Service endpoints while its DC has replicas.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routerFeed, startRouterAgent, type RouterAgent } from '../../agents/router/agent.ts';
import { startLocalReconcilers, type RunningReconcilers } from '../../agents/up/reconcilers.ts';
import { idler } from '../../shared/idling/idler.ts';
import { IdleSignalTable } from '../../shared/idling/signals.ts';
import { freePort } from '../../shared/local/ports.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import type { DeploymentConfig, Pod, Route } from '../../shared/model/objects.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { routeAdmission } from '../../shared/routing/admission.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { eventually, get, putRoute, setService, startApp, stopApps, type App } from '../routing/support.ts';

export const IDLE_AFTER_MS = 1800_000;

/** A pod of `project` labelled app=`app`, bound, publishing 8080 on 127.0.0.1:`hostPort`, ready or not, as a host agent writes it (what RouterAgent.podChanged is told of). */
export const readyPodOf = (project: string, app: string, hostPort: number, ready: boolean): Pod =>
  ({
    kind: 'Pod',
    metadata: { project, name: `${app}-1-abcde`, labels: { app } },
    spec: { host: 'local', containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
    status: { phase: 'Running', hostIP: '127.0.0.1', ports: [{ containerPort: 8080, hostIP: '127.0.0.1', hostPort }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }) as unknown as Pod;

export interface IdlingWorld {
  t: TestTable;
  agent: RouterAgent;
  signals: IdleSignalTable;
  idler: Reconciler;
  httpPort: number;
  clock: { now: number };
  /** A DC `name` of `replicas` in `project` (pods labelled app=name), its Service with a live app behind it, and a route; the route's host. */
  app(project: string, name: string, replicas: number, annotations?: Record<string, string>): Promise<string>;
  dc(project: string, name: string): Promise<DeploymentConfig>;
  /** Gives each Service its app as endpoint while its DC has replicas, none while it has 0 (what pods would do). */
  podsFollow(project: string, name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function idlingWorld(projects: { name: string; trial?: boolean }[]): Promise<IdlingWorld> {
  const t = await freshTable();
  for (const p of projects) await t.store.create({ kind: 'Project', metadata: { name: p.name, project: '', labels: p.trial ? { 'berth.io/trial': 'true' } : {} }, spec: {} });
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const signals = new IdleSignalTable({ client: t.client, tableName: t.tableName });
  const httpPort = await freePort();
  const agent = await startRouterAgent({
    store: t.store, httpPort, httpsPort: await freePort(), domain: 'apps.localhost', dir: mkdtempSync(join(tmpdir(), 'berth-idle-router-')),
    pollMs: 0, coalesceMs: 20, idling: { signals, reportMs: 0, holdMs: 20_000, connectMs: 2_000, now },
  });
  const theIdler = idler({ store: t.store, signals, idleAfterMs: IDLE_AFTER_MS, now });
  const running: RunningReconcilers = await startLocalReconcilers({ reconcilers: [theIdler, routerFeed(agent)], endpoint: t.endpoint, streamArn: t.streamArn, resyncMs: 3_600_000 });
  const admission = routeAdmission({ store: t.store, domain: 'apps.localhost' });
  const apps = new Map<string, App>();
  const dcRef = (project: string, name: string) => ({ kind: 'DeploymentConfig', project, name });
  const world: IdlingWorld = {
    t, agent, signals, idler: theIdler, httpPort, clock,
    async app(project, name, replicas, annotations = {}) {
      const a = await startApp(`${project}/${name}`);
      apps.set(`${project}/${name}`, a);
      const spec = deploymentConfigSpec.parse({ replicas, selector: { app: name }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa' }] } } });
      await t.store.create({ kind: 'DeploymentConfig', metadata: { name, project, annotations }, spec });
      await setService(t.store, project, name, [a.port]);
      const route: Route = await putRoute(t.store, admission, project, name, { to: { name } });
      await agent.refresh();
      return `${route.spec.host}:${httpPort}`;
    },
    dc: async (project, name) => (await t.store.get<DeploymentConfig>(dcRef(project, name)))!,
    async podsFollow(project, name) {
      const dc = await world.dc(project, name);
      await setService(t.store, project, name, dc.spec.replicas > 0 ? [apps.get(`${project}/${name}`)!.port] : []);
    },
    async stop() {
      await running.stop();
      await agent.stop();
      await stopApps([...apps.values()]);
    },
  };
  return world;
}

/**
 * Sends a request to an idled app's `host` through the router and waits until it has woken the
 * DC (its replicas back to `replicas`): the request is then held. `answered()` says whether its
 * reply has come.
 */
export async function wakingRequest(w: IdlingWorld, host: string, project: string, dc: string, replicas: number): Promise<{ reply: ReturnType<typeof get>; answered: () => boolean }> {
  let answered = false;
  const reply = get(w.httpPort, host).finally(() => (answered = true));
  await eventually(() => w.dc(project, dc), (d) => d.spec.replicas === replicas);
  return { reply, answered: () => answered };
}
