// Generic webhooks (any CI or script): an optional JSON body naming the commit and, when the
// trigger sets allowEnv, environment for this build only. The URL secret is the only proof.
import * as z from 'zod';
import { envVar } from '../../model/build-kinds.ts';
import { authorOf, parseJson, parsePayload, person, requireJson } from './payload.ts';
import { refMatches, refMismatch, shortSha } from './refs.ts';
import type { WebhookDecision, WebhookPlugin } from './types.ts';

export const genericPayload = z.object({
  git: z
    .object({
      uri: z.string().optional(),
      ref: z.string().optional(),
      commit: z.string().optional(),
      author: z.union([z.string(), person]).optional(),
      message: z.string().optional(),
    })
    .optional(),
  env: z.array(envVar).max(200).optional(),
});

export const generic: WebhookPlugin = {
  triggerType: 'Generic',

  authenticate: () => true,

  decide(req, config, trigger): WebhookDecision {
    if (req.body.length === 0) return { action: 'build', message: 'Generic webhook', warnings: [] };
    requireJson(req.header('Content-Type'), 'send the body as application/json, or no body at all');
    const { git, env } = parsePayload(genericPayload, parseJson(req.body), 'not a generic webhook payload');
    const ref = config.source.git?.ref;
    if (git?.ref && !refMatches(ref, git.ref)) return { action: 'ignore', message: refMismatch(ref, git.ref) };
    const allowEnv = trigger.type === 'Generic' && trigger.generic.allowEnv;
    const warnings = env?.length && !allowEnv ? ['env was ignored: this BuildConfig\'s Generic trigger does not set allowEnv: true'] : [];
    const revision = git?.commit || git?.message || git?.author ? { commit: git.commit, message: git.message, author: authorOf(git.author) } : undefined;
    return {
      action: 'build',
      message: git?.commit ? `Generic webhook ${shortSha(git.commit)}` : 'Generic webhook',
      revision,
      env: allowEnv ? env : undefined,
      warnings,
    };
  },
};
