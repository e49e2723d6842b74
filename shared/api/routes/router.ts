// Where the routers answer: the ports of their public HTTP and HTTPS listeners, so that a client
// prints a route's URL a user can open (the all-in-one's router is on 7088, not 80).
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema, named } from '../route.ts';

/** The routers' public ports on AWS (behind the load balancer) unless told otherwise. */
export const DEFAULT_ROUTER = { httpPort: 80, httpsPort: 443 } as const;

const RouterOut = lazySchema(() => named('RouterInfo', z.object({ httpPort: z.number().int(), httpsPort: z.number().int() })));

export function registerRouterRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/router', access: { kind: 'authenticated' }, summary: "The routers' public HTTP and HTTPS ports (a route's URL carries them when they are not 80 and 443)", tag: 'Route', response: RouterOut },
    async (c) => c.json({ ...DEFAULT_ROUTER, ...deps.router }),
  );
}
