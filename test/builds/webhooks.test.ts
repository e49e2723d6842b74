// Webhooks through the API against DynamoDB Local, with trigger secrets sealed at rest: GitHub's
// push payload signed with a real HMAC, GitLab's Push Hook, generic calls; every refusal looks
// the same and writes nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../shared/api/app.ts';
import { triggerSecretsCodec } from '../../shared/builds/trigger-codec.ts';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';
import { SHA, githubHeaders, githubPing, githubPush, gitlabPush } from './webhooks-fixtures.ts';

const GH = 'gh-secret-7f3a9c';
const GL = 'gl-secret-51b2e0';
const GEN = 'generic-secret-0c8d';
const GEN_ENV = 'generic-env-secret-9e4f';
const OTHER_GH = 'other-project-gh-secret';

let api: TestApi;
let app: ReturnType<typeof createApi>;
let owner: string;

const bcSpec = (ref: string | undefined, triggers: unknown[]) => ({
  source: { git: { uri: 'https://github.com/Codertocat/Hello-World.git', ...(ref ? { ref } : {}) } },
  strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'berth/python' } } },
  output: { to: { kind: 'ImageStreamTag', name: 'hello:latest' } },
  triggers,
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await app.request(path, {
    method,
    headers: { Authorization: `Bearer ${owner}`, ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A delivery: no bearer token, only what the sender knows. */
async function hook(path: string, body: string | undefined, headers: Record<string, string> = {}) {
  const res = await app.request(path, { method: 'POST', headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers }, body });
  return { status: res.status, body: (await res.json()) as any };
}

const github = (event: string, payload: unknown, secret = GH, path = `/webhooks/hooks/web/github/${GH}`) => {
  const body = JSON.stringify(payload);
  return hook(path, body, githubHeaders(event, body, secret));
};

const builds = async (project = 'hooks') => (await api.store.list('Build', project)).items as any[];

/** Runs `act` and proves it wrote nothing. */
async function writesNothing<T>(act: () => Promise<T>): Promise<T> {
  const before = await snapshot(api);
  const out = await act();
  expect(await snapshot(api)).toEqual(before);
  return out;
}

beforeAll(async () => {
  api = await testApi();
  const box = await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-hooks-')), 'secrets.key'));
  app = createApi({ store: api.store, identity: api.identity, codecs: { BuildConfig: triggerSecretsCodec(box) } });
  owner = await api.user('owner');
  for (const p of ['hooks', 'other']) expect((await call('POST', '/api/v1/projects', { metadata: { name: p } })).status).toBe(201);
  const made = [
    ['hooks', 'web', bcSpec('main', [
      { type: 'GitHub', github: { secret: GH } },
      { type: 'GitLab', gitlab: { secret: GL } },
      { type: 'Generic', generic: { secret: GEN } },
      { type: 'Generic', generic: { secret: GEN_ENV, allowEnv: true } },
      { type: 'ConfigChange' },
    ])],
    ['hooks', 'noref', bcSpec(undefined, [{ type: 'GitHub', github: { secret: GH } }, { type: 'Generic', generic: { secret: GEN } }])],
    ['hooks', 'uploaded', { ...bcSpec(undefined, [{ type: 'Generic', generic: { secret: GEN } }]), source: { binary: {} } }],
    ['other', 'web', bcSpec('main', [{ type: 'GitHub', github: { secret: OTHER_GH } }])],
  ] as const;
  for (const [project, name, spec] of made) {
    const r = await call('POST', `/api/v1/projects/${project}/buildconfigs`, { metadata: { name }, spec });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
});

describe('GitHub webhooks', () => {
  it('a signed push to the BuildConfig branch starts a build recording the commit', async () => {
    const r = await github('push', githubPush('main'));
    expect(r).toEqual({ status: 200, body: { status: 'triggered', build: 'web-1', message: 'GitHub push 6dcb09b: started build web-1' } });
    const build = (await builds()).find((b) => b.metadata.name === 'web-1');
    expect(build.spec.triggeredBy).toEqual([{ message: 'GitHub push 6dcb09b' }]);
    expect(build.spec.revision).toEqual({ commit: SHA, message: 'Fix the greeting\n\nSay hello to the world, not to the moon.', author: 'Monalisa Octocat <mona@github.com>' });
    expect(build.spec.source.git).toEqual({ uri: 'https://github.com/Codertocat/Hello-World.git', ref: 'main' });
    expect(build.status.phase).toBe('New');
  });

  it('ping answers 200 and starts nothing', async () => {
    const r = await writesNothing(() => github('ping', githubPing));
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('pong');
  });

  it.each([
    ['another branch', githubPush('feature/login')],
    ['a tag', { ...githubPush('main'), ref: 'refs/tags/v1.0.0' }],
    ['a deleted branch', githubPush('main', { deleted: true })],
  ])('a push of %s is ignored with 200 and starts nothing', async (_what, payload) => {
    const r = await writesNothing(() => github('push', payload));
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ignored');
  });

  it('the message of a branch mismatch names both branches', async () => {
    const r = await github('push', githubPush('develop'));
    expect(r.body.message).toMatch(/"develop" is not its ref "main"/);
  });

  it.each(['issues', 'pull_request', 'create', 'release'])('a %s event is ignored with 200 and starts nothing', async (event) => {
    const r = await writesNothing(() => github(event, githubPush('main')));
    expect(r).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(r.body.message).toContain(event);
  });

  it('with no ref, only the repository default branch builds', async () => {
    const ignored = await writesNothing(() => github('push', githubPush('main', { defaultBranch: 'trunk' }), GH, `/webhooks/hooks/noref/github/${GH}`));
    expect(ignored.body).toMatchObject({ status: 'ignored' });
    expect(ignored.body.message).toContain('default branch "trunk"');
    const built = await github('push', githubPush('trunk', { defaultBranch: 'trunk' }), GH, `/webhooks/hooks/noref/github/${GH}`);
    expect(built.body).toMatchObject({ status: 'triggered', build: 'noref-1' });
  });

  it('a signed body that is not JSON is a 400, and one sent form-encoded a 415; neither starts anything', async () => {
    const bad = '{"ref": "refs/heads/main", ';
    const r = await writesNothing(() => hook(`/webhooks/hooks/web/github/${GH}`, bad, githubHeaders('push', bad, GH)));
    expect(r).toMatchObject({ status: 400, body: { code: 'MalformedJSON' } });
    const form = `payload=${encodeURIComponent(JSON.stringify(githubPush('main')))}`;
    const headers = { ...githubHeaders('push', form, GH), 'Content-Type': 'application/x-www-form-urlencoded' };
    const f = await writesNothing(() => hook(`/webhooks/hooks/web/github/${GH}`, form, headers));
    expect(f).toMatchObject({ status: 415, body: { code: 'UnsupportedMediaType' } });
    expect(f.body.suggestion).toContain('application/json');
  });

  it('a signed push missing its ref is a 400 naming the field', async () => {
    const { ref: _ref, ...payload } = githubPush('main');
    const r = await writesNothing(() => github('push', payload));
    expect(r).toMatchObject({ status: 400, body: { code: 'InvalidPayload' } });
    expect(r.body.message).toContain('ref');
  });
});

describe('refusals: all look alike, none writes anything', () => {
  const push = JSON.stringify(githubPush('main'));
  const signed = githubHeaders('push', push, GH);
  const cases: [string, string, Record<string, string>, string?][] = [
    ['a wrong URL secret', '/webhooks/hooks/web/github/not-the-secret', signed],
    ['an empty-looking URL secret', '/webhooks/hooks/web/github/%20', signed],
    ['a signature made with another secret', `/webhooks/hooks/web/github/${GH}`, githubHeaders('push', push, 'another-secret')],
    ['no signature', `/webhooks/hooks/web/github/${GH}`, { ...signed, 'X-Hub-Signature-256': '' }],
    ['a SHA-1 signature only', `/webhooks/hooks/web/github/${GH}`, { ...signed, 'X-Hub-Signature-256': 'sha1=0123456789abcdef0123456789abcdef01234567' }],
    ['a signature of another body', `/webhooks/hooks/web/github/${GH}`, githubHeaders('push', push.replace('main', 'mainx'), GH)],
    ['a body altered after signing', `/webhooks/hooks/web/github/${GH}`, signed, push.replace('Fix the greeting', 'Fix the greetinG')],
    ['the GitHub secret on the GitLab path', `/webhooks/hooks/web/gitlab/${GH}`, { 'X-Gitlab-Token': GH, 'X-Gitlab-Event': 'Push Hook' }],
    ['the GitHub secret on the generic path', `/webhooks/hooks/web/generic/${GH}`, {}],
    ['an unknown BuildConfig', `/webhooks/hooks/nope/github/${GH}`, signed],
    ['an unknown project', `/webhooks/no-such-project/web/github/${GH}`, signed],
    ['a name that is not a name', `/webhooks/hooks/${'x'.repeat(300)}/github/${GH}`, signed],
    ["project A's secret in project B's URL", `/webhooks/other/web/github/${GH}`, signed],
    ["project B's secret, signed, in project A's URL", `/webhooks/hooks/web/github/${OTHER_GH}`, githubHeaders('push', push, OTHER_GH)],
    ['a GitLab call without the token', `/webhooks/hooks/web/gitlab/${GL}`, { 'X-Gitlab-Event': 'Push Hook' }],
    ['a GitLab call with a wrong token', `/webhooks/hooks/web/gitlab/${GL}`, { 'X-Gitlab-Token': 'wrong-token', 'X-Gitlab-Event': 'Push Hook' }],
  ];

  it.each(cases)('%s gets 403 and starts nothing', async (_what, path, headers, body) => {
    const r = await writesNothing(() => hook(path, body ?? push, headers));
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      code: 'Forbidden',
      message: 'the webhook URL, secret or signature is not valid',
      suggestion: expect.any(String),
    });
  });

  it('an unknown webhook type is not a route', async () => {
    const r = await writesNothing(() => hook(`/webhooks/hooks/web/bitbucket/${GH}`, push, signed));
    expect(r.status).toBe(404);
  });

  it('a body over 1 MiB gets 413, even with the right secret', async () => {
    const big = JSON.stringify({ ...githubPush('main'), padding: 'x'.repeat(1024 * 1024) });
    const r = await writesNothing(() => hook(`/webhooks/hooks/web/github/${GH}`, big, githubHeaders('push', big, GH)));
    expect(r).toMatchObject({ status: 413, body: { code: 'PayloadTooLarge' } });
  });
});

describe('GitLab webhooks', () => {
  const headers = (event = 'Push Hook', token = GL) => ({ 'X-Gitlab-Event': event, 'X-Gitlab-Token': token, 'X-Gitlab-Instance': 'https://gitlab.example.com' });

  it('a Push Hook with the token starts a build at checkout_sha', async () => {
    const payload = gitlabPush('main');
    const r = await hook(`/webhooks/hooks/web/gitlab/${GL}`, JSON.stringify(payload), headers());
    expect(r.body).toMatchObject({ status: 'triggered', message: expect.stringMatching(/^GitLab push da15608/) });
    const build = (await builds()).find((b) => b.metadata.name === r.body.build);
    expect(build.spec.revision).toEqual({ commit: payload.checkout_sha, message: 'fixed readme', author: 'GitLab dev user <gitlabdev@dv6700.(none)>' });
  });

  it('another branch and other events are ignored and start nothing', async () => {
    const branch = await writesNothing(() => hook(`/webhooks/hooks/web/gitlab/${GL}`, JSON.stringify(gitlabPush('feature')), headers()));
    expect(branch.body.status).toBe('ignored');
    const tag = await writesNothing(() => hook(`/webhooks/hooks/web/gitlab/${GL}`, JSON.stringify(gitlabPush('main')), headers('Tag Push Hook')));
    expect(tag).toMatchObject({ status: 200, body: { status: 'ignored' } });
  });
});

describe('generic webhooks', () => {
  const git = { uri: 'https://git.example.com/hello.git', ref: 'main', commit: '0123456789abcdef0123456789abcdef01234567', author: { name: 'CI', email: 'ci@example.com' }, message: 'release 1.2' };
  const env = [{ name: 'APP_ENV', value: 'staging' }];

  it('with no body, starts a build', async () => {
    const r = await hook(`/webhooks/hooks/web/generic/${GEN}`, undefined);
    expect(r.body).toMatchObject({ status: 'triggered', message: expect.stringMatching(/^Generic webhook: started build web-\d+$/) });
    const build = (await builds()).find((b) => b.metadata.name === r.body.build);
    expect(build.spec).toMatchObject({ triggeredBy: [{ message: 'Generic webhook' }], env: [] });
    expect(build.spec.revision).toBeUndefined();
  });

  it('without allowEnv, records the commit but ignores env, and says so', async () => {
    const r = await hook(`/webhooks/hooks/web/generic/${GEN}`, JSON.stringify({ git, env }));
    expect(r.body.status).toBe('triggered');
    expect(r.body.warnings).toEqual([expect.stringMatching(/env was ignored.*allowEnv/)]);
    const build = (await builds()).find((b) => b.metadata.name === r.body.build);
    expect(build.spec.env).toEqual([]);
    expect(build.spec.revision).toEqual({ commit: git.commit, message: 'release 1.2', author: 'CI <ci@example.com>' });
    expect(build.spec.triggeredBy).toEqual([{ message: 'Generic webhook 0123456' }]);
  });

  it('with allowEnv, the build gets the env', async () => {
    const r = await hook(`/webhooks/hooks/web/generic/${GEN_ENV}`, JSON.stringify({ git, env }));
    expect(r.body.warnings).toBeUndefined();
    const build = (await builds()).find((b) => b.metadata.name === r.body.build);
    expect(build.spec.env).toEqual(env);
  });

  it('a git.ref other than the BuildConfig ref is ignored; bad env names and bad JSON are 400s; none starts anything', async () => {
    const other = await writesNothing(() => hook(`/webhooks/hooks/web/generic/${GEN}`, JSON.stringify({ git: { ...git, ref: 'refs/heads/hotfix' } })));
    expect(other.body.status).toBe('ignored');
    const badEnv = await writesNothing(() => hook(`/webhooks/hooks/web/generic/${GEN_ENV}`, JSON.stringify({ env: [{ name: '1BAD', value: 'x' }] })));
    expect(badEnv).toMatchObject({ status: 400, body: { code: 'InvalidPayload' } });
    const badJson = await writesNothing(() => hook(`/webhooks/hooks/web/generic/${GEN}`, 'not json'));
    expect(badJson).toMatchObject({ status: 400, body: { code: 'MalformedJSON' } });
  });

  it('with no ref on the BuildConfig, git.ref must be master or main', async () => {
    const built = await hook(`/webhooks/hooks/noref/generic/${GEN}`, JSON.stringify({ git: { ref: 'main' } }));
    expect(built.body.status).toBe('triggered');
    const ignored = await writesNothing(() => hook(`/webhooks/hooks/noref/generic/${GEN}`, JSON.stringify({ git: { ref: 'feature' } })));
    expect(ignored.body.status).toBe('ignored');
  });

  it('a BuildConfig whose source is uploaded cannot be started by a webhook', async () => {
    const r = await writesNothing(() => hook(`/webhooks/hooks/uploaded/generic/${GEN}`, undefined));
    expect(r).toMatchObject({ status: 422, body: { code: 'BinarySource' } });
  });
});

describe('trigger secrets at rest', () => {
  const secrets = [GH, GL, GEN, GEN_ENV, OTHER_GH];

  it('the stored BuildConfig items hold no secret in the clear, only sealed forms', async () => {
    const rows = (await snapshot(api)).filter((r) => r.includes('BuildConfig'));
    expect(rows.length).toBe(4);
    for (const row of rows) {
      for (const s of secrets) expect(row).not.toContain(s);
      expect(row).toContain('sealed:v1:local:');
    }
  });

  it('GET through the API shows them to users who may view the BuildConfig', async () => {
    const r = await call('GET', '/api/v1/projects/hooks/buildconfigs/web');
    expect(r.body.spec.triggers).toEqual([
      { type: 'GitHub', github: { secret: GH } },
      { type: 'GitLab', gitlab: { secret: GL } },
      { type: 'Generic', generic: { secret: GEN, allowEnv: false } },
      { type: 'Generic', generic: { secret: GEN_ENV, allowEnv: true } },
      { type: 'ConfigChange' },
    ]);
    const list = await call('GET', '/api/v1/projects/other/buildconfigs');
    expect(list.body.items[0].spec.triggers).toEqual([{ type: 'GitHub', github: { secret: OTHER_GH } }]);
  });

  it('a PUT that sends the secrets back unchanged keeps their sealed forms and the generation', async () => {
    const sealedOf = async () => ((await api.store.get({ kind: 'BuildConfig', project: 'hooks', name: 'web' })) as any).spec.triggers;
    const before = await sealedOf();
    const got = (await call('GET', '/api/v1/projects/hooks/buildconfigs/web')).body;
    const put = await call('PUT', '/api/v1/projects/hooks/buildconfigs/web', { metadata: got.metadata, spec: got.spec });
    expect(put.status).toBe(200);
    expect(put.body.metadata.generation).toBe(got.metadata.generation);
    expect(await sealedOf()).toEqual(before);

    const changed = structuredClone(got.spec);
    changed.triggers[1].gitlab.secret = 'a-new-gitlab-secret';
    const put2 = await call('PUT', '/api/v1/projects/hooks/buildconfigs/web', { metadata: put.body.metadata, spec: changed });
    expect(put2.body.metadata.generation).toBe(got.metadata.generation + 1);
    const after = await sealedOf();
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).not.toEqual(before[1]);
    expect(JSON.stringify(after)).not.toContain('a-new-gitlab-secret');
    // The old GitLab secret no longer starts builds; the new one does.
    expect((await writesNothing(() => hook(`/webhooks/hooks/web/gitlab/${GL}`, JSON.stringify(gitlabPush('main')), { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': GL }))).status).toBe(403);
    const ok = await hook('/webhooks/hooks/web/gitlab/a-new-gitlab-secret', JSON.stringify(gitlabPush('main')), { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': 'a-new-gitlab-secret' });
    expect(ok.body.status).toBe('triggered');
  });

  it('a secret a user sends that looks sealed is sealed like any other', async () => {
    const spec = bcSpec('main', [{ type: 'Generic', generic: { secret: 'sealed:v1:local:not-really' } }]);
    const made = await call('POST', '/api/v1/projects/hooks/buildconfigs', { metadata: { name: 'lookalike' }, spec });
    expect(made.body.spec.triggers[0].generic.secret).toBe('sealed:v1:local:not-really');
    const stored = (await api.store.get({ kind: 'BuildConfig', project: 'hooks', name: 'lookalike' })) as any;
    expect(stored.spec.triggers[0].generic.secret).not.toBe('sealed:v1:local:not-really');
  });
});

describe('the OpenAPI document', () => {
  it('lists the three webhook routes as needing no bearer token', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    for (const type of ['github', 'gitlab', 'generic']) {
      const op = doc.paths[`/webhooks/{project}/{buildconfig}/${type}/{secret}`]?.post;
      expect(op?.security).toEqual([]);
    }
  });
});
