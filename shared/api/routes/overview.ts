// A project's overview in one call (what the console's overview page shows, and `berth status`
// could): one access check, the kinds read in parallel, joined on the server. With `watch=1` and
// the overview's resourceVersion it is a long poll, like the list routes' watches (watch-route.ts):
// held until anything shown changed (then answered anew, changed: true) or the time is up
// (changed: false); a deletion is a change too, since the whole overview is sent each time.
import type { Hono } from 'hono';
import { ValidationError } from '../../errors.ts';
import { asOneList, overviewOf, readShown } from '../../overview/read.ts';
import { ProjectOverview } from '../../overview/types.ts';
import { PUSH_HEADER } from '../../push/topics.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema, named } from '../route.ts';
import { ProjectParam } from '../schemas.ts';
import { changesSince, watchObjects } from '../watch.ts';
import { WatchQuery, watchOptions } from '../watch-route.ts';
import { DEFAULT_ROUTER } from './router.ts';

const OverviewQuery = WatchQuery.pick({ watch: true, resourceVersion: true, timeoutSeconds: true });
const OverviewOut = lazySchema(() => named('ProjectOverview', ProjectOverview));

export function registerOverviewRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const ports = { ...DEFAULT_ROUTER, ...deps.router };
  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: '/api/v1/projects/{project}/overview',
      access: { kind: 'project', verb: 'list', resource: 'app' },
      summary: "A project's applications at a glance (pods, last build, route URLs) and its quota use; `watch=1` with its resourceVersion waits for a change",
      tag: 'Project',
      params: ProjectParam,
      query: OverviewQuery,
      response: OverviewOut,
    },
    async (c, { params, query }) => {
      if (!query.watch && (query.resourceVersion !== undefined || query.timeoutSeconds !== undefined)) {
        throw ValidationError.field(query.resourceVersion !== undefined ? 'resourceVersion' : 'timeoutSeconds', 'only with watch=1');
      }
      let last: Awaited<ReturnType<typeof readShown>> | undefined;
      const read = async () => asOneList((last = await readShown(deps.store, params.project)));
      // Where a client can be told of the overview's changes rather than ask again (shared/push).
      if (query.watch && deps.watchPush) c.header(PUSH_HEADER, deps.watchPush.url);
      const answer = await watchObjects(read, watchOptions(deps, query, c.req.raw.signal));
      // After a deletion the answer has no cursor (api/watch.ts): the overview read is whole, so a fresh one does.
      const cursor = answer.cursor ?? changesSince(undefined, asOneList(last!), Date.now()).cursor!;
      const overview = await overviewOf(deps.store, params.project, last!, ports, cursor);
      return c.json(query.watch ? { ...overview, changed: query.resourceVersion === undefined || answer.events.length > 0 } : overview);
    },
  );
}
