// Attack: a stranger the victim let read their project (`view`) reads a BuildConfig, takes its
// webhook secret and starts builds at will (a webhook secret is a credential: whoever has it
// starts builds). Webhook secrets are for edit and up; `view` sees them redacted, through GET,
// lists and the CLI's `describe bc`, whether the secrets are sealed at rest or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triggerSecretsCodec, REDACTED } from '../../shared/builds/trigger-codec.ts';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { startCli, type CliHarness } from '../cli/harness.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GH = 'gh-victim-secret-7f3a';
const GEN = 'generic-victim-secret-0c8d';
const bc = {
  metadata: { name: 'web' },
  spec: {
    source: { git: { uri: 'https://git.example.test/victim/web.git' } },
    strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'berth/python' } } },
    output: { to: { kind: 'ImageStreamTag', name: 'web:latest' } },
    triggers: [{ type: 'GitHub', github: { secret: GH } }, { type: 'Generic', generic: { secret: GEN } }, { type: 'ConfigChange' }],
  },
};

let h: CliHarness;
let sealed: TestApi;

async function setUp(api: TestApi): Promise<{ victim: string; stranger: string; editor: string }> {
  const victim = await api.user('victim');
  const stranger = await api.user('stranger');
  const editor = await api.user('editor');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'evil' } })).status).toBe(201);
  for (const [role, who] of [['view', 'stranger'], ['edit', 'editor']]) {
    expect((await api.call('POST', '/api/v1/projects/shop/rolebindings', victim, { metadata: { name: role }, spec: { role, subjects: [{ kind: 'User', name: who }] } })).status).toBe(201);
  }
  expect((await api.call('POST', '/api/v1/projects/shop/buildconfigs', victim, bc)).status).toBe(201);
  return { victim, stranger, editor };
}

const secretsIn = (body: unknown) => JSON.stringify(body).match(new RegExp(`${GH}|${GEN}`, 'g')) ?? [];

beforeAll(async () => {
  h = await startCli();
  sealed = await testApi({ codecs: { BuildConfig: triggerSecretsCodec(await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-keys-')), 'key'))) } });
});
afterAll(() => h?.close());

describe.each([
  ['stored as sent', () => h.api],
  ['sealed at rest', () => sealed],
])('webhook secrets (%s)', (_, apiOf) => {
  let api: TestApi;
  let who: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    api = apiOf();
    who = await setUp(api);
  });

  it('a viewer reads the BuildConfig and its list with every secret redacted', async () => {
    const one = await api.call('GET', '/api/v1/projects/shop/buildconfigs/web', who.stranger);
    expect(one.status).toBe(200);
    expect(secretsIn(one.body)).toEqual([]);
    expect(one.body.spec.triggers.map((t: any) => t.github?.secret ?? t.generic?.secret)).toEqual([REDACTED, REDACTED, undefined]);
    const list = await api.call('GET', '/api/v1/projects/shop/buildconfigs', who.stranger);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(secretsIn(list.body)).toEqual([]);
  });

  it('so it cannot start a build through the webhooks: the redacted value is no secret', async () => {
    const res = await api.app.request(`/webhooks/shop/web/generic/${encodeURIComponent(REDACTED)}`, { method: 'POST' });
    expect(res.status).toBe(403);
    expect((await api.store.list('Build', 'shop')).items).toEqual([]);
  });

  it('editors and the owner see the secrets, and the webhook works with them', async () => {
    for (const token of [who.editor, who.victim]) {
      const one = await api.call('GET', '/api/v1/projects/shop/buildconfigs/web', token);
      expect(secretsIn(one.body).sort()).toEqual([GEN, GH].sort());
    }
    const res = await api.app.request(`/webhooks/shop/web/generic/${GEN}`, { method: 'POST' });
    expect(res.status).toBe(200);
  });

  it('an editor cannot store the placeholder as a secret', async () => {
    const read = (await api.call('GET', '/api/v1/projects/shop/buildconfigs/web', who.editor)).body;
    const res = await api.call('PUT', '/api/v1/projects/shop/buildconfigs/web', who.editor, {
      ...read,
      spec: { ...read.spec, triggers: [{ type: 'Generic', generic: { secret: REDACTED } }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.details[0].field).toBe('spec.triggers.0.generic.secret');
  });
});

describe('through the CLI', () => {
  it('describe bc shows a viewer no webhook secret', async () => {
    expect((await h.login('stranger')).code).toBe(0);
    const out = await h.berth(['describe', 'bc', 'web', '-n', 'shop'], 'stranger');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Webhooks');
    expect(out.stdout).toContain('/webhooks/shop/web/generic/<secret: needs the edit role>');
    expect(secretsIn(out.stdout)).toEqual([]);
  });
});
