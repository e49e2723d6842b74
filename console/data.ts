// What the project pages show, gathered from the public API: each application (DeploymentConfig)
// with its pods, last build and route URL, and the project's quota use. Pure joins over lists.
import { projectPath, type ConsoleApi } from './api.ts';
import { TtlCache } from './cache.ts';

export type Obj = { kind?: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string; resourceVersion?: string }; spec: any; status?: any };

export interface AppView {
  dc: Obj;
  pods: Obj[];
  lastBuild?: Obj;
  urls: string[];
}

export interface ProjectView {
  project: string;
  apps: AppView[];
  quotas: Obj[];
}

/** What the viewer may do in a project, found by asking the API (a `view` user may not list secrets; only admins list role bindings). */
export interface Rights {
  edit: boolean;
  admin: boolean;
}

const rights = new TtlCache<Rights>(10_000);

/** Remembered for 10 s per session and project: it only decides which buttons show; the API still refuses what is not allowed. */
export function rightsIn(api: ConsoleApi, project: string): Promise<Rights> {
  return rights.get(`${api.sessionKey}/${project}`, async () => {
    const [secrets, bindings] = await Promise.all([api.call('GET', projectPath(project, '/secrets?limit=1')), api.call('GET', projectPath(project, '/rolebindings?limit=1'))]);
    return { edit: secrets.ok, admin: bindings.ok };
  });
}

export const forgetRights = (key: string): void => rights.forget(`${key}/`);

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

/** The public URL of a route, with the routers' ports when they are not 80 and 443. */
export function routeUrl(route: Obj, ports: { httpPort: number; httpsPort: number }): string | undefined {
  const host: string | undefined = route.spec.host;
  if (!host) return undefined;
  const tls = Boolean(route.spec.tls);
  const port = tls ? ports.httpsPort : ports.httpPort;
  const shown = (tls && port === 443) || (!tls && port === 80) ? '' : `:${port}`;
  return `${tls ? 'https' : 'http'}://${host}${shown}${route.spec.path ?? '/'}`;
}

const ports = new TtlCache<{ httpPort: number; httpsPort: number }>(60_000);
/** The routers' public ports (the same for everyone, and fixed while the platform runs). */
export const routerPorts = (api: ConsoleApi) => ports.get('', () => api.get('/api/v1/router'));

export async function projectView(api: ConsoleApi, project: string): Promise<ProjectView> {
  const p = (rest: string) => projectPath(project, rest);
  // The DC list is read with get: a project the user may not see fails the page (403/404).
  const [{ items: dcs }, pods, builds, services, routes, quotas, ports] = await Promise.all([
    api.get<{ items: Obj[] }>(p('/deploymentconfigs')),
    api.items<Obj>(p('/pods')),
    api.items<Obj>(p('/builds')),
    api.items<Obj>(p('/services')),
    api.items<Obj>(p('/routes')),
    api.items<Obj>(p('/resourcequotas')),
    routerPorts(api),
  ]);
  const apps = dcs.map((dc): AppView => {
    const labels = dc.spec.template?.metadata?.labels;
    const mine = services.filter((s) => matches(s.spec.selector, labels)).map((s) => s.metadata.name);
    const bc = buildConfigOf(dc);
    return {
      dc,
      pods: pods.filter((pod) => matches(dc.spec.selector, pod.metadata.labels)).sort(newestFirst),
      lastBuild: builds.filter((b) => b.metadata.labels?.['berth.io/buildconfig'] === bc).sort(newestFirst)[0],
      urls: routes.filter((r) => mine.includes(r.spec.to?.name)).map((r) => routeUrl(r, ports)).filter((u): u is string => Boolean(u)),
    };
  });
  return { project, apps, quotas };
}
