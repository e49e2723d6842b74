// The OpenAPI 3.1 document of an app, made from its routes as defineRoute recorded them, the
// first time /openapi.json is asked for (not when the app is built: serving requests needs none
// of it). The same zod schemas that validate the requests describe them.
import { OpenAPIRegistry, OpenApiGeneratorV31, zodToOpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Hono } from 'hono';
import type { ApiEnv } from './env.ts';
import { ROUTE_RECORDS, SCHEMA_DOCS } from './route.ts';
import { errorOut } from './schemas.ts';

export function openApiDocument(app: Hono<ApiEnv>, info: { title: string; version: string }): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const errors = { content: { 'application/json': { schema: errorOut() } }, description: 'Error' };
  const routes = (ROUTE_RECORDS.get(app) ?? []).map((def): RouteConfig => {
    const response = def.response?.();
    return {
      method: def.method,
      path: def.path,
      summary: def.summary,
      tags: [def.tag],
      security: def.access.kind === 'public' ? [] : [{ bearer: [] }],
      request: {
        ...(def.params ? { params: def.params as never } : {}),
        ...(def.query ? { query: def.query as never } : {}),
        ...(def.body ? { body: { content: { 'application/json': { schema: def.body() } }, required: true } } : {}),
      },
      responses: {
        [def.status ?? 200]: response ? { content: { 'application/json': { schema: response } }, description: 'OK' } : { description: 'OK' },
        default: errors,
      },
    };
  });
  // The response schemas exist from here on: their names and descriptions can be handed over.
  for (const [schema, { name, ...meta }] of SCHEMA_DOCS) {
    zodToOpenAPIRegistry.add(schema, { ...meta, ...(name ? { _internal: { refId: name } } : {}) });
  }
  const registry = new OpenAPIRegistry();
  for (const route of routes) registry.registerPath(route);
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { ...info } });
}
