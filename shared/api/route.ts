// defineRoute: one place that turns a route description (method, path, access, zod schemas)
// into a validated, authorised Hono route, recorded for the OpenAPI document (openapi.ts makes
// the document from these records when it is first asked for).
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
import type * as z from 'zod';
import { JSON_MEDIA_TYPE, requireMediaType } from '../errors.ts';
import { accessMiddleware, type Access, type Prefetch } from './access.ts';
import type { ApiDeps, ApiEnv } from './env.ts';
import { fromZod } from './errors.ts';

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
  /** The JSON body; a function (see lazySchema) is called by the route's first request, or by the OpenAPI document. */
  body?: B | (() => B);
  /** The response body, for the OpenAPI document only: called when the document is made (see lazySchema). */
  response?: () => z.ZodType;
  /** HTTP status of success; 200 unless stated. */
  status?: 200 | 201 | 202 | 204;
  /**
   * The media type of a raw body the handler reads itself (an uploaded archive), or 'own' where
   * the handler checks it with its own hint (webhooks). Otherwise bodies are JSON.
   */
  media?: { accepted: RegExp; suggestion: string } | 'own';
  /**
   * A read of the route's target (a pod and its host, say) that need not wait for the caller's
   * authorisation: started once the caller is authenticated, beside the authorisation, and given
   * to the handler as `prefetched` only once the caller is authorised (shared/api/access.ts). It
   * reads the raw path parameters, before they are validated; a failure is thrown to the handler
   * when it awaits `prefetched`, after the validation's 4xx. Not for public routes (there is no
   * caller to authorise first): there `prefetched` is undefined.
   */
  prefetch?: Prefetch;
}

export interface RouteInput<P, Q, B, F = unknown> {
  params: P;
  query: Q;
  body: B;
  /** What `prefetch` read (undefined without one, or on a public route). */
  prefetched: Promise<F>;
}

/** Access declarations by "METHOD /hono/:path", for the authorisation walk. */
export const ACCESS_TABLES = new WeakMap<object, Map<string, Access>>();

/** A route as defined, its body schema made on demand. */
export type RouteRecord = Omit<RouteDef<z.ZodType, z.ZodType, z.ZodType>, 'body'> & { body?: () => z.ZodType };

/** The routes of each app as they were defined, in order: what its OpenAPI document describes. */
export const ROUTE_RECORDS = new WeakMap<object, RouteRecord[]>();

/** OpenAPI metadata of schemas: a component name, a description, how a parameter is shown. */
export interface SchemaDoc {
  /** Makes the schema components.schemas[name], referenced wherever it is used. */
  name?: string;
  description?: string;
  param?: { name?: string; in?: 'path' | 'query' | 'header' | 'cookie' };
}
export const SCHEMA_DOCS = new Map<z.ZodType, SchemaDoc>();

/** Attaches OpenAPI metadata to `schema` (the schema itself, unchanged, is returned). */
export function documented<T extends z.ZodType>(schema: T, doc: SchemaDoc): T {
  SCHEMA_DOCS.set(schema, { ...SCHEMA_DOCS.get(schema), ...doc });
  return schema;
}

/** `schema` as the component `name` of the OpenAPI document. */
export const named = <T extends z.ZodType>(name: string, schema: T): T => documented(schema, { name });

/**
 * A schema made the first time it is asked for, and the same one after: for response bodies, which
 * only the OpenAPI document needs, and for request bodies of routes a cold start may never serve.
 */
export function lazySchema<T extends z.ZodType>(make: () => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= make());
}

type Target = 'param' | 'query' | 'json';

/** Validates one part of the request with zod; a failure is a ValidationError naming each field. */
function validate(target: Target, schema: () => z.ZodType): MiddlewareHandler<ApiEnv> {
  return validator(target, async (value) => {
    const result = await schema().safeParseAsync(value);
    if (!result.success) throw fromZod(result.error, target);
    return result.data;
  });
}

const JSON_SUGGESTION = 'send the request body as JSON with Content-Type: application/json';

/**
 * The route's media-type check (requireMediaType, 415): a raw body needs its declared type; a
 * JSON body route refuses another declared type, and a body without one; a route that takes no
 * body refuses one that is not JSON.
 */
function mediaType(def: Pick<RouteDef<z.ZodType, z.ZodType, z.ZodType>, 'method' | 'body' | 'media'>): MiddlewareHandler<ApiEnv> | undefined {
  if (def.method === 'get' || def.method === 'delete' || def.media === 'own') return undefined;
  const raw = def.media;
  return async (c, next) => {
    const contentType = c.req.header('content-type');
    if (raw) requireMediaType(contentType, raw.accepted, raw.suggestion, true);
    else if (contentType !== undefined ? def.body !== undefined || (await hasBody(c)) : await hasBody(c)) requireMediaType(contentType, JSON_MEDIA_TYPE, JSON_SUGGESTION, true);
    await next();
  };
}

async function hasBody(c: Context<ApiEnv>): Promise<boolean> {
  const req = c.req.raw;
  if (req.body === null) return false;
  if (req.bodyUsed) return (await c.req.arrayBuffer()).byteLength > 0;
  const body = req.clone().body;
  if (body === null) return false;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value.byteLength > 0) return true;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

export function defineRoute<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, F = unknown>(
  app: Hono<ApiEnv>,
  deps: ApiDeps,
  def: RouteDef<P, Q, B> & { prefetch?: (c: Context<ApiEnv>) => Promise<F> },
  handler: (c: Context<ApiEnv>, input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>, F>) => Promise<Response>,
): void {
  const honoPath = def.path.replace(/\{(\w+)\}/g, ':$1');
  let table = ACCESS_TABLES.get(app);
  if (!table) ACCESS_TABLES.set(app, (table = new Map()));
  table.set(`${def.method.toUpperCase()} ${honoPath}`, def.access);
  const { body, params, query } = def;
  const record: RouteRecord = { ...def, body: body && (typeof body === 'function' ? lazySchema(body) : () => body) };
  let records = ROUTE_RECORDS.get(app);
  if (!records) ROUTE_RECORDS.set(app, (records = []));
  records.push(record);

  const validators: MiddlewareHandler<ApiEnv>[] = [];
  const media = mediaType(def);
  if (media) validators.push(media);
  if (query) validators.push(validate('query', () => query));
  if (params) validators.push(validate('param', () => params));
  if (record.body) validators.push(validate('json', record.body));
  app.on(def.method.toUpperCase(), honoPath, accessMiddleware(deps, def.access, def.prefetch), ...validators, (c: Context<ApiEnv>) => {
    const v = c.req as unknown as { valid(t: Target): unknown };
    return handler(c, {
      params: (def.params ? v.valid('param') : {}) as z.infer<P>,
      query: (def.query ? v.valid('query') : {}) as z.infer<Q>,
      body: (def.body ? v.valid('json') : undefined) as z.infer<B>,
      prefetched: c.get('prefetched') as Promise<F>,
    });
  });
}
