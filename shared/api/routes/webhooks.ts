// Webhooks: POST /webhooks/{project}/{buildconfig}/{github|gitlab|generic}/{secret} starts a
// build of the BuildConfig, as OpenShift's do. The secret in the URL (and GitHub's signature or
// GitLab's token) is the only credential, so every refusal looks the same, whether the project,
// the BuildConfig or the trigger exists or not, and writes nothing.
import type { Hono } from 'hono';
import * as z from 'zod';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { BerthError, ForbiddenError } from '../../errors.ts';
import type { BuildConfigSpec, BuildTrigger } from '../../model/build-kinds.ts';
import { dns1123Problem } from '../../model/names.ts';
import { instantiateBuild, type BuildConfig } from '../../builds/instantiate.ts';
import { secretOf } from '../../builds/trigger-codec.ts';
import { generic, github, gitlab, secretMatches, type HookType, type WebhookPlugin } from '../../builds/webhooks/index.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { baseApp } from '../base.ts';
import { defineRoute, documented, lazySchema, named } from '../route.ts';

const MAX_WEBHOOK_BODY = 1024 * 1024;
const PLUGINS: Record<HookType, WebhookPlugin> = { github, gitlab, generic };

const HookParams = z.object({
  project: documented(z.string(), { param: { name: 'project', in: 'path' } }),
  buildconfig: documented(z.string(), { param: { name: 'buildconfig', in: 'path' } }),
  secret: documented(z.string(), { param: { name: 'secret', in: 'path' }, description: "one of the BuildConfig's trigger secrets of this type" }),
});
type HookParams = z.infer<typeof HookParams>;

const WebhookResult = lazySchema(() =>
  named(
    'WebhookResult',
    z.object({
      status: z.enum(['triggered', 'ignored', 'pong']),
      message: z.string(),
      /** The Build started, when one was. */
      build: z.string().optional(),
      warnings: z.array(z.string()).optional(),
    }),
  ),
);

const SUMMARY: Record<HookType, string> = {
  github: 'GitHub webhook: push events (X-Hub-Signature-256 signed with the trigger secret) start a build; ping answers',
  gitlab: 'GitLab webhook: Push Hook events (X-Gitlab-Token = the trigger secret) start a build',
  generic: 'Generic webhook: starts a build; an optional JSON body {git: {ref, commit, author, message}, env} (env only with allowEnv)',
};

/** Registers the three webhook routes, with the 1 MiB body limit of the rest of the API. */
export function registerWebhookRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  app.use(
    '/webhooks/*',
    bodyLimit({
      maxSize: MAX_WEBHOOK_BODY,
      onError: () => {
        throw new BerthError(413, 'PayloadTooLarge', `the request body is larger than ${MAX_WEBHOOK_BODY} bytes`);
      },
    }),
  );
  for (const type of Object.keys(PLUGINS) as HookType[]) {
    defineRoute(
      app,
      deps,
      {
        method: 'post',
        path: `/webhooks/{project}/{buildconfig}/${type}/{secret}`,
        access: { kind: 'public' },
        summary: SUMMARY[type],
        tag: 'Webhooks',
        params: HookParams,
        response: WebhookResult,
        // Each provider checks the body's type, with a hint in its own terms.
        media: 'own',
      },
      (c, { params }) => handleHook(deps, type, c, params),
    );
  }
}

/**
 * An app with only the webhook routes, for the webhooks Lambda.
 * @example export const handler = handle(createWebhookApi(wire()));
 */
export function createWebhookApi(deps: ApiDeps): Hono<ApiEnv> {
  const app = baseApp(deps);
  registerWebhookRoutes(app, deps);
  return app;
}

async function handleHook(deps: ApiDeps, type: HookType, c: Context<ApiEnv>, params: HookParams): Promise<Response> {
  const plugin = PLUGINS[type];
  const where = { project: params.project, buildconfig: params.buildconfig, type };
  try {
    const req = { header: (name: string) => c.req.header(name), body: new Uint8Array(await c.req.arrayBuffer()) };
    const found = await findTrigger(deps, plugin, params);
    if (!found || !plugin.authenticate(req, found.secret)) {
      deps.logger?.info({ ...where, reason: found ? 'signature or token' : 'no such BuildConfig or trigger secret' }, 'webhook refused');
      throw new ForbiddenError('the webhook URL, secret or signature is not valid', 'copy the webhook URL again from `berth describe bc NAME` and check the secret the sender signs with');
    }
    if (found.spec.source.binary) {
      throw new BerthError(422, 'BinarySource', `BuildConfig "${params.buildconfig}" takes its source by upload; webhooks cannot start it`, {
        suggestion: 'start it with `berth start-build NAME --from-dir DIR`',
      });
    }
    const decision = plugin.decide(req, found.spec, found.trigger);
    if (decision.action !== 'build') return c.json({ status: decision.action === 'pong' ? 'pong' : 'ignored', message: decision.message }, 200);
    const build = await instantiateBuild(deps.store, params.project, params.buildconfig, {
      message: decision.message,
      revision: decision.revision,
      env: decision.env,
    });
    deps.logger?.info({ ...where, build: build.metadata.name }, 'webhook started a build');
    const warnings = decision.warnings.length ? { warnings: decision.warnings } : {};
    return c.json({ status: 'triggered', message: `${decision.message}: started build ${build.metadata.name}`, build: build.metadata.name, ...warnings }, 200);
  } catch (err) {
    if (err instanceof BerthError) throw err;
    // Logged here with the path's secret left out; the app's error mapper would log the path.
    deps.logger?.error({ err, ...where }, 'webhook failed');
    throw new BerthError(500, 'Internal', 'internal error; the webhook may be retried');
  }
}

interface Found {
  spec: BuildConfigSpec;
  trigger: BuildTrigger;
  secret: string;
}

/** The BuildConfig's trigger of the plugin's type whose secret is the URL's, opened; or nothing. */
async function findTrigger(deps: ApiDeps, plugin: WebhookPlugin, params: HookParams): Promise<Found | undefined> {
  if (dns1123Problem(params.project) || dns1123Problem(params.buildconfig)) return undefined;
  const bc = await deps.store.get<BuildConfig>({ kind: 'BuildConfig', project: params.project, name: params.buildconfig });
  if (!bc) return undefined;
  const spec = await openSpec(deps, bc);
  if (!spec) return undefined;
  let found: Found | undefined;
  for (const trigger of spec.triggers ?? []) {
    const secret = trigger.type === plugin.triggerType ? secretOf(trigger) : undefined;
    // Every candidate is compared, so the answer's timing does not say which one matched.
    if (secret !== undefined && secretMatches(params.secret, secret) && !found) found = { spec, trigger, secret };
  }
  return found;
}

/** The spec with its secrets opened; a failure is the operator's to fix, so it is logged, and the caller refused like any other. */
async function openSpec(deps: ApiDeps, bc: BuildConfig): Promise<BuildConfigSpec | undefined> {
  const codec = deps.codecs?.BuildConfig;
  try {
    return (codec ? await codec.open(bc.spec) : bc.spec) as BuildConfigSpec;
  } catch (err) {
    deps.logger?.error({ err, project: bc.metadata.project, buildconfig: bc.metadata.name }, "cannot open the BuildConfig's trigger secrets");
    return undefined;
  }
}
