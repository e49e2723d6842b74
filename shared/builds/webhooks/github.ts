// GitHub webhooks: the body signed with the trigger's secret (X-Hub-Signature-256), `ping`
// answered, `push` to the BuildConfig's branch built at the pushed head commit, the rest ignored.
import * as z from 'zod';
import { BadRequestError } from '../../errors.ts';
import { authorOf, parseJson, parsePayload, person, requireJson } from './payload.ts';
import { branchOf, refMatches, refMismatch, shortSha } from './refs.ts';
import type { WebhookPlugin } from './types.ts';
import { githubSignatureMatches } from './verify.ts';

export const githubPush = z.object({
  ref: z.string(),
  after: z.string().optional(),
  deleted: z.boolean().optional(),
  head_commit: z.object({ id: z.string(), message: z.string().optional(), author: person.optional() }).nullable().optional(),
  repository: z.object({ default_branch: z.string().optional() }).optional(),
});

export const github: WebhookPlugin = {
  triggerType: 'GitHub',

  authenticate: (req, secret) => githubSignatureMatches(req.body, secret, req.header('X-Hub-Signature-256')),

  decide(req, config) {
    const event = req.header('X-GitHub-Event');
    if (!event) throw new BadRequestError('MissingEvent', 'the X-GitHub-Event header is missing', 'send the request as GitHub does, with X-GitHub-Event');
    if (event === 'ping') return { action: 'pong', message: 'pong: the webhook is set up; pushes will start builds' };
    if (event !== 'push') return { action: 'ignore', message: `ignored: "${event}" events do not start builds; only push does` };
    requireJson(req.header('Content-Type'), "set the GitHub webhook's content type to application/json");
    const push = parsePayload(githubPush, parseJson(req.body), 'not a GitHub push payload');
    if (push.deleted || !push.head_commit) return { action: 'ignore', message: `ignored: the push deleted "${branchOf(push.ref)}"` };
    const defaultBranch = push.repository?.default_branch;
    const ref = config.source.git?.ref;
    if (!refMatches(ref, push.ref, defaultBranch)) return { action: 'ignore', message: refMismatch(ref, push.ref, defaultBranch) };
    const commit = push.head_commit;
    return {
      action: 'build',
      message: `GitHub push ${shortSha(commit.id)}`,
      revision: { commit: commit.id, message: commit.message, author: authorOf(commit.author) },
      warnings: [],
    };
  },
};
