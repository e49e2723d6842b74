// GitLab webhooks: the trigger's secret also in X-Gitlab-Token, `Push Hook` events to the
// BuildConfig's branch built at `checkout_sha`, the rest ignored.
import * as z from 'zod';
import { BadRequestError } from '../../errors.ts';
import { authorOf, parseJson, parsePayload, person, requireJson } from './payload.ts';
import { branchOf, refMatches, refMismatch, shortSha } from './refs.ts';
import type { WebhookPlugin } from './types.ts';
import { secretMatches } from './verify.ts';

export const gitlabPush = z.object({
  ref: z.string(),
  checkout_sha: z.string().nullable().optional(),
  commits: z.array(z.object({ id: z.string(), message: z.string().optional(), author: person.optional() })).default([]),
  project: z.object({ default_branch: z.string().optional() }).optional(),
});

export const gitlab: WebhookPlugin = {
  triggerType: 'GitLab',

  authenticate: (req, secret) => secretMatches(req.header('X-Gitlab-Token'), secret),

  decide(req, config) {
    const event = req.header('X-Gitlab-Event');
    if (!event) throw new BadRequestError('MissingEvent', 'the X-Gitlab-Event header is missing', 'send the request as GitLab does, with X-Gitlab-Event');
    if (event !== 'Push Hook') return { action: 'ignore', message: `ignored: "${event}" events do not start builds; only Push Hook does` };
    requireJson(req.header('Content-Type'), 'send the GitLab push payload as application/json');
    const push = parsePayload(gitlabPush, parseJson(req.body), 'not a GitLab push payload');
    const sha = push.checkout_sha;
    if (!sha) return { action: 'ignore', message: `ignored: the push deleted "${branchOf(push.ref)}"` };
    const defaultBranch = push.project?.default_branch;
    const ref = config.source.git?.ref;
    if (!refMatches(ref, push.ref, defaultBranch)) return { action: 'ignore', message: refMismatch(ref, push.ref, defaultBranch) };
    const commit = push.commits.find((c) => c.id === sha);
    return {
      action: 'build',
      message: `GitLab push ${shortSha(sha)}`,
      revision: { commit: sha, message: commit?.message, author: authorOf(commit?.author) },
      warnings: [],
    };
  },
};
