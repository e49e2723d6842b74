// The overview's joins, pure: which pods, builds and routes belong to which DeploymentConfig.
// Used by the API's overview route and by the console's application page.
import type { OverviewApp, OverviewQuota } from './types.ts';

/** The parts of an object the joins read (any stored object has them). */
export type Obj = { kind?: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string; resourceVersion?: string }; spec: any; status?: any };

/** Whether a selector (not empty) selects these labels. */
export const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  Boolean(selector) && Object.keys(selector!).length > 0 && Object.entries(selector!).every(([k, v]) => labels?.[k] === v);

/** The build config feeding a DC: the one pushing to the image stream its ImageChange trigger follows, else the DC's namesake. */
export function buildConfigOf(dc: Obj): string {
  const trigger = (dc.spec.triggers ?? []).find((t: any) => t.type === 'ImageChange');
  const from: string | undefined = trigger?.imageChangeParams?.from?.name;
  return from ? from.split(':')[0]! : dc.metadata.name;
}

export const newestFirst = (a: Obj, b: Obj): number => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');

export interface RouterPorts {
  httpPort: number;
  httpsPort: number;
}

/** The public URL of a route, with the routers' ports when they are not 80 and 443. */
export function routeUrl(route: Obj, ports: RouterPorts): string | undefined {
  const host: string | undefined = route.spec.host;
  if (!host) return undefined;
  const tls = Boolean(route.spec.tls);
  const port = tls ? ports.httpsPort : ports.httpPort;
  const shown = (tls && port === 443) || (!tls && port === 80) ? '' : `:${port}`;
  return `${tls ? 'https' : 'http'}://${host}${shown}${route.spec.path ?? '/'}`;
}

/** The services selecting a DC's pods, and the routes to them. */
export function routesOf(dc: Obj, services: Obj[], routes: Obj[]): { services: Obj[]; routes: Obj[] } {
  const mine = services.filter((s) => matches(s.spec.selector, dc.spec.template?.metadata?.labels));
  const names = new Set(mine.map((s) => s.metadata.name));
  return { services: mine, routes: routes.filter((r) => names.has(r.spec.to?.name)) };
}

/** A project's objects of the kinds the overview shows. */
export interface OverviewObjects {
  deploymentConfigs: Obj[];
  pods: Obj[];
  builds: Obj[];
  services: Obj[];
  routes: Obj[];
  /** With status.hard and status.used filled in (quota/status.ts). */
  quotas: Obj[];
}

/** Each DC at a glance, in name order. */
export function overviewApps(objects: OverviewObjects, ports: RouterPorts): OverviewApp[] {
  return [...objects.deploymentConfigs]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((dc) => {
      const bc = buildConfigOf(dc);
      const lastBuild = objects.builds.filter((b) => b.metadata.labels?.['berth.io/buildconfig'] === bc).sort(newestFirst)[0];
      return {
        name: dc.metadata.name,
        replicas: dc.spec.replicas ?? 0,
        readyReplicas: dc.status?.readyReplicas ?? 0,
        latestVersion: dc.status?.latestVersion ?? 0,
        ...(dc.status?.details?.cause ? { cause: dc.status.details.cause } : {}),
        pods: objects.pods
          .filter((pod) => matches(dc.spec.selector, pod.metadata.labels))
          .sort(newestFirst)
          .map((pod) => ({ name: pod.metadata.name, phase: pod.status?.phase, reason: pod.status?.reason, restartCount: pod.status?.restartCount ?? 0, startTime: pod.status?.startTime })),
        lastBuild: lastBuild && { name: lastBuild.metadata.name, phase: lastBuild.status?.phase, creationTimestamp: lastBuild.metadata.creationTimestamp },
        routes: routesOf(dc, objects.services, objects.routes).routes.map((r) => ({ name: r.metadata.name, host: r.spec.host, url: routeUrl(r, ports), tls: r.spec.tls?.termination })),
      };
    });
}

export const overviewQuotas = (quotas: Obj[]): OverviewQuota[] =>
  quotas.map((q) => ({ name: q.metadata.name, hard: q.status?.hard ?? {}, used: q.status?.used ?? {} }));

