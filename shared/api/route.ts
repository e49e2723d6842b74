// defineRoute: one place that turns a route description (method, path, access, zod schemas)
// into an OpenAPI-documented, validated, authorised Hono route.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { z } from 'zod';
import { accessMiddleware, type Access } from './access.ts';
import type { ApiDeps, ApiEnv } from './env.ts';
import { ErrorSchema } from './schemas.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** OpenAPI path syntax: /api/v1/projects/{project}. */
  path: string;
  access: Access;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  response?: z.ZodType;
  /** HTTP status of success; 200 unless stated. */
  status?: 200 | 201 | 202 | 204;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/** Access declarations by "METHOD /hono/:path", for the authorisation walk. */
export const ACCESS_TABLES = new WeakMap<object, Map<string, Access>>();

export function defineRoute<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(
  app: OpenAPIHono<ApiEnv>,
  deps: ApiDeps,
  def: RouteDef<P, Q, B>,
  handler: (c: Context<ApiEnv>, input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<Response>,
): void {
  const status = def.status ?? 200;
  const errors = { content: { 'application/json': { schema: ErrorSchema } }, description: 'Error' };
  const route = createRoute({
    method: def.method,
    path: def.path,
    summary: def.summary,
    tags: [def.tag],
    middleware: [accessMiddleware(deps, def.access)] as const,
    security: def.access.kind === 'public' ? [] : [{ bearer: [] }],
    request: {
      ...(def.params ? { params: def.params as never } : {}),
      ...(def.query ? { query: def.query as never } : {}),
      ...(def.body ? { body: { content: { 'application/json': { schema: def.body as never } }, required: true } } : {}),
    },
    responses: {
      [status]: def.response
        ? { content: { 'application/json': { schema: def.response as never } }, description: 'OK' }
        : { description: 'OK' },
      default: errors,
    },
  });
  const honoPath = def.path.replace(/\{(\w+)\}/g, ':$1');
  let table = ACCESS_TABLES.get(app);
  if (!table) ACCESS_TABLES.set(app, (table = new Map()));
  table.set(`${def.method.toUpperCase()} ${honoPath}`, def.access);
  app.openapi(route as never, (async (c: Context<ApiEnv>) => {
    const v = c.req as unknown as { valid(t: string): unknown };
    return handler(c, {
      params: (def.params ? v.valid('param') : {}) as z.infer<P>,
      query: (def.query ? v.valid('query') : {}) as z.infer<Q>,
      body: (def.body ? v.valid('json') : undefined) as z.infer<B>,
    });
  }) as never);
}
