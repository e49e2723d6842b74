// Webhook deliveries as GitHub, GitLab and a generic caller send them: GitHub's documented push
// payload shape (https://docs.github.com/en/webhooks/webhook-events-and-payloads#push), signed
// with a real HMAC-SHA256, and GitLab's Push Hook.
import { createHmac, randomUUID } from 'node:crypto';

export const SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
export const BEFORE = '1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5';

/** A push of one commit to `branch` of Codertocat/Hello-World, whose default branch is `defaultBranch`. */
export function githubPush(branch: string, opts: { defaultBranch?: string; sha?: string; deleted?: boolean } = {}) {
  const sha = opts.sha ?? SHA;
  const commit = {
    id: sha,
    tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433',
    distinct: true,
    message: 'Fix the greeting\n\nSay hello to the world, not to the moon.',
    timestamp: '2026-03-04T10:21:07+01:00',
    url: `https://github.com/Codertocat/Hello-World/commit/${sha}`,
    author: { name: 'Monalisa Octocat', email: 'mona@github.com', username: 'monalisa' },
    committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
    added: [],
    removed: [],
    modified: ['app.py'],
  };
  const owner = {
    name: 'Codertocat',
    email: '21031067+Codertocat@users.noreply.github.com',
    login: 'Codertocat',
    id: 21031067,
    node_id: 'MDQ6VXNlcjIxMDMxMDY3',
    avatar_url: 'https://avatars1.githubusercontent.com/u/21031067?v=4',
    url: 'https://api.github.com/users/Codertocat',
    html_url: 'https://github.com/Codertocat',
    type: 'User',
    site_admin: false,
  };
  return {
    ref: `refs/heads/${branch}`,
    before: BEFORE,
    after: opts.deleted ? '0000000000000000000000000000000000000000' : sha,
    repository: {
      id: 186853002,
      node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
      name: 'Hello-World',
      full_name: 'Codertocat/Hello-World',
      private: false,
      owner,
      html_url: 'https://github.com/Codertocat/Hello-World',
      description: null,
      fork: false,
      url: 'https://github.com/Codertocat/Hello-World',
      clone_url: 'https://github.com/Codertocat/Hello-World.git',
      git_url: 'git://github.com/Codertocat/Hello-World.git',
      ssh_url: 'git@github.com:Codertocat/Hello-World.git',
      created_at: 1557933565,
      updated_at: '2026-03-04T09:20:00Z',
      pushed_at: 1772616067,
      size: 0,
      default_branch: opts.defaultBranch ?? 'main',
      master_branch: opts.defaultBranch ?? 'main',
    },
    pusher: { name: 'monalisa', email: 'mona@github.com' },
    sender: { login: 'monalisa', id: 2, node_id: 'MDQ6VXNlcjI=', type: 'User', site_admin: false },
    created: false,
    deleted: opts.deleted ?? false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/Codertocat/Hello-World/compare/${BEFORE.slice(0, 12)}...${sha.slice(0, 12)}`,
    commits: opts.deleted ? [] : [commit],
    head_commit: opts.deleted ? null : commit,
  };
}

export const githubPing = {
  zen: 'Keep it logically awesome.',
  hook_id: 30,
  hook: { type: 'Repository', id: 30, name: 'web', active: true, events: ['push'], config: { content_type: 'json', insecure_ssl: '0' } },
  repository: { id: 186853002, name: 'Hello-World', full_name: 'Codertocat/Hello-World', default_branch: 'main' },
  sender: { login: 'Codertocat', id: 21031067 },
};

/** The headers GitHub sends with `body` signed with `secret` (or with the given signature). */
export function githubHeaders(event: string, body: string, secret: string, signature?: string): Record<string, string> {
  return {
    'User-Agent': 'GitHub-Hookshot/044aadd',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': randomUUID(),
    'X-GitHub-Hook-ID': '292430182',
    'X-Hub-Signature-256': signature ?? `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    'Content-Type': 'application/json',
  };
}

/** A GitLab Push Hook of one commit to `branch`. */
export function gitlabPush(branch: string, opts: { sha?: string; defaultBranch?: string } = {}) {
  const sha = opts.sha ?? 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
  return {
    object_kind: 'push',
    event_name: 'push',
    before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
    after: sha,
    ref: `refs/heads/${branch}`,
    ref_protected: true,
    checkout_sha: sha,
    user_id: 4,
    user_name: 'John Smith',
    user_username: 'jsmith',
    user_email: 'john@example.com',
    project_id: 15,
    project: {
      id: 15,
      name: 'Diaspora',
      web_url: 'http://example.com/mike/diaspora',
      git_http_url: 'http://example.com/mike/diaspora.git',
      namespace: 'Mike',
      default_branch: opts.defaultBranch ?? 'master',
      path_with_namespace: 'mike/diaspora',
    },
    commits: [
      {
        id: sha,
        message: 'fixed readme',
        title: 'fixed readme',
        timestamp: '2026-03-04T14:27:31+02:00',
        url: `http://example.com/mike/diaspora/commit/${sha}`,
        author: { name: 'GitLab dev user', email: 'gitlabdev@dv6700.(none)' },
        added: ['CHANGELOG'],
        modified: ['app/controller/application.rb'],
        removed: [],
      },
    ],
    total_commits_count: 1,
  };
}
