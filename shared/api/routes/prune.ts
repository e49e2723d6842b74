// `berth adm prune builds|deployments|images`, as `oc adm prune`: for cluster-admins only, over
// every project. A dry run (the default) lists what would go; `confirm: true` removes it.
import type { Hono } from 'hono';
import * as z from 'zod';
import { PRUNE_DEFAULTS, parseDuration } from '../../prune/plan.ts';
import { PRUNE_TARGETS, prune } from '../../prune/run.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema } from '../route.ts';

const TargetParam = z.object({ target: z.enum(PRUNE_TARGETS) });

const PruneBody = lazySchema(() =>
  z.strictObject({
    confirm: z.boolean().default(false),
    keepComplete: z.number().int().min(0).max(1000).default(PRUNE_DEFAULTS.keepComplete),
    keepFailed: z.number().int().min(0).max(1000).default(PRUNE_DEFAULTS.keepFailed),
    keepYoungerThan: z
      .string()
      .refine((v) => parseDuration(v) !== undefined, 'a duration such as 90s, 60m, 1h30m or 2d')
      .optional(),
    keepTagRevisions: z.number().int().min(1).max(1000).default(PRUNE_DEFAULTS.keepTagRevisions),
  }),
);

const PruneOut = lazySchema(() =>
  z.object({
    kind: z.literal('PruneResult'),
    target: z.enum(PRUNE_TARGETS),
    confirmed: z.boolean(),
    items: z.array(z.object({ kind: z.string(), project: z.string(), name: z.string(), reason: z.string(), tag: z.string().optional(), image: z.string().optional() })),
  }),
);

export function registerPruneRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/prune/{target}',
      access: { kind: 'cluster-admin' },
      summary: 'List (and with confirm, remove) old builds, old deployments or unused images of every project',
      tag: 'Prune',
      params: TargetParam,
      body: PruneBody,
      response: PruneOut,
    },
    async (c, { params, body }) => {
      const opts = {
        keepComplete: body.keepComplete,
        keepFailed: body.keepFailed,
        keepTagRevisions: body.keepTagRevisions,
        keepYoungerThanMs: body.keepYoungerThan !== undefined ? parseDuration(body.keepYoungerThan)! : PRUNE_DEFAULTS.keepYoungerThanMs,
      };
      const items = await prune(deps.store, params.target, opts, body.confirm);
      return c.json({ kind: 'PruneResult', target: params.target, confirmed: body.confirm, items });
    },
  );
}
