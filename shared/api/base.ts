// The bare Hono app every Berth API starts from: every error and unknown route answers in the
// one JSON error shape (defineRoute turns zod validation failures into ValidationErrors).
import { Hono } from 'hono';
import type { ApiDeps, ApiEnv } from './env.ts';
import { errorResponse } from './errors.ts';

export function baseApp(deps: Pick<ApiDeps, 'logger'>): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.onError((err, c) => errorResponse(err, c, deps.logger));
  app.notFound((c) => c.json({ code: 'NotFound', message: `no route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
