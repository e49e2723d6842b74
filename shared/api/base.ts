// The bare Hono app every Berth API starts from: zod validation failures become ValidationErrors,
// and every error and unknown route answers in the one JSON error shape.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from './env.ts';
import { errorResponse, fromZod } from './errors.ts';

export function baseApp(deps: Pick<ApiDeps, 'logger'>): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw fromZod(result.error, result.target);
    },
  });
  app.onError((err, c) => errorResponse(err, c, deps.logger));
  app.notFound((c) => c.json({ code: 'NotFound', message: `no route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
