// What the project pages show, from the public API: the project's overview (one call), what the
// viewer may do there, and the routers' ports; the joins of objects are shared/overview's.
import { projectPath, type ConsoleApi } from './api.ts';
import { PUSH_HEADER } from '../shared/push/topics.ts';
import { TtlCache } from './cache.ts';
import type { ProjectOverview } from '../shared/overview/types.ts';

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

export { buildConfigOf, matches, newestFirst, routesOf, routeUrl, type Obj } from '../shared/overview/join.ts';

const ports = new TtlCache<{ httpPort: number; httpsPort: number }>(60_000);
/** The routers' public ports (the same for everyone, and fixed while the platform runs). */
export const routerPorts = (api: ConsoleApi) => ports.get('', () => api.get('/api/v1/router'));

/**
 * A project's overview in one API call (the API reads its kinds in parallel after one access
 * check); with `since`, the overview's resourceVersion, a long poll answered when something shown
 * changed or after `waitSeconds` (then `changed` is false). `push` is where the API says a client
 * can be told of changes instead (shared/push), when it names one.
 */
export async function projectView(api: ConsoleApi, project: string, watch?: { since: string; waitSeconds: number; signal?: AbortSignal }): Promise<ProjectOverview & { push?: string }> {
  const query = watch ? `?watch=1&resourceVersion=${encodeURIComponent(watch.since)}&timeoutSeconds=${watch.waitSeconds}` : '';
  const r = await api.read<ProjectOverview>(projectPath(project, `/overview${query}`), watch?.signal);
  const push = r.headers.get(PUSH_HEADER);
  return push ? { ...r.body, push } : r.body;
}
