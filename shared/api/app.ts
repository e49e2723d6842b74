// createApi(deps): the whole HTTP API as one Hono app. The Lambda entry and the local server
// both serve it; tests call app.request() directly.
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { BerthError } from '../errors.ts';
import type { ApiDeps, ApiEnv } from './env.ts';
import { baseApp } from './base.ts';
import { openApiDocument } from './openapi.ts';
import { registerBuildRoutes, isUploadPath } from './routes/builds.ts';
import { registerDeploymentRoutes } from './routes/deployments.ts';
import { registerHostRoutes } from './routes/hosts.ts';
import { registerIdentityRoutes } from './routes/identity.ts';
import { registerObjectRoutes } from './routes/objects.ts';
import { registerOverviewRoutes } from './routes/overview.ts';
import { registerPodRoutes } from './routes/pods.ts';
import { registerPodSessionRoutes } from './routes/pod-sessions.ts';
import { registerProjectRoutes } from './routes/projects.ts';
import { registerRouterRoutes } from './routes/router.ts';
import { registerPruneRoutes } from './routes/prune.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import { registerTrialRoutes } from './routes/trials.ts';
import { registerTemplateRoutes } from './routes/templates.ts';
import { registerRegistryRoutes } from './routes/registry.ts';
import { registerRegistryCredentialRoutes } from './routes/registry-credentials.ts';
import { registerImageImportRoutes } from './routes/image-import.ts';
import { registerPushRoutes, registerPushTicketRoute } from './routes/push.ts';
import { audit } from '../audit/record.ts';
import { QuotaExceededError } from '../quota/errors.ts';
import { clientAddress } from './client-address.ts';
import { errorResponse } from './errors.ts';
import { registerConsole } from '../../console/routes.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  const app = baseApp(deps);
  // A quota refusal is audited (who, where, what), then answered like any other error.
  app.onError(async (err, c) => {
    if (err instanceof QuotaExceededError) {
      await audit(deps.store, { type: 'QuotaRefused', user: c.get('user'), address: clientAddress(c), project: c.req.param('project'), message: err.message }, deps.trials?.now(), (e) => deps.logger?.warn({ err: e }, 'audit event lost'));
    }
    return errorResponse(err, c, deps.logger);
  });

  // Uploaded sources are streamed with their own, larger limit (routes/builds.ts). Media types are
  // checked per route (route.ts).
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new BerthError(413, 'PayloadTooLarge', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    },
  });
  app.use('/api/*', (c, next) => (isUploadPath(c.req.path) ? next() : limit(c, next)));
  app.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version ?? 'dev' }));

  registerIdentityRoutes(app, deps);
  registerTrialRoutes(app, deps);
  registerProjectRoutes(app, deps);
  registerHostRoutes(app, deps);
  registerObjectRoutes(app, deps);
  registerOverviewRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  if (deps.builds) registerBuildRoutes(app, deps, deps.builds);
  if (deps.fleet) registerPodRoutes(app, deps, deps.fleet);
  if (deps.sessions) registerPodSessionRoutes(app, deps, deps.sessions);
  if (deps.watchPush?.tickets) registerPushTicketRoute(app, deps, { url: deps.watchPush.url, tickets: deps.watchPush.tickets });
  if (deps.watchPush?.local && deps.streams) registerPushRoutes(app, deps, deps.watchPush.local, deps.streams.upgradeWebSocket);
  registerDeploymentRoutes(app, deps);
  registerRouterRoutes(app, deps);
  registerPruneRoutes(app, deps);
  registerTemplateRoutes(app, deps);
  if (deps.registry) {
    registerRegistryRoutes(app, deps, deps.registry);
    registerImageImportRoutes(app, deps, deps.registry);
  } else if (deps.imageImports) registerImageImportRoutes(app, deps, { tasks: deps.imageImports });
  else if (deps.pushCredentials) registerImageImportRoutes(app, deps, { pushHost: deps.pushCredentials.host });
  if (deps.pushCredentials) registerRegistryCredentialRoutes(app, deps, deps.pushCredentials);

  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get('/openapi.json', (c) => c.json((document ??= openApiDocument(app, { title: 'Berth API', version: deps.version ?? 'dev' }))));
  // The web console: pages over the routes above, called in-process with the session's token.
  registerConsole(app, deps);
  return app;
}
