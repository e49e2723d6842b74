// Attack: a stranger (signed up a minute ago, with a project of their own) goes after the victim's
// images in the platform registry through the real Docker CLI, the registry and the token
// endpoint: pulling and pushing with their own login, with none, with a forged token, with a
// token for another scope, through path tricks, into the shared `openshift` project and the
// platform's own namespace, listing the catalog, and faking the registry's push notifications.
// Every attempt fails, and the victim's image stream keeps its image.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryTokenIssuer } from '../../shared/registry/token.ts';
import { busyboxBases } from '../builds/fake-builders.ts';
import { authRegistry, tinyImage, type AuthRegistry } from '../support/registry.ts';

const suffix = randomBytes(3).toString('hex');
const VICTIM = `victim-${suffix}`;
const MALLORY = `mallory-${suffix}`;
const LOCAL = `berth-test/registry-attack-${suffix}:1`;
let r: AuthRegistry;
let victim: string;
let mallory: string;
let victimDigest: string;
const made: string[] = [LOCAL];

const tokenFor = async (bearer: string | undefined, ...scopes: string[]) => {
  const q = new URLSearchParams({ service: r.deps.tokens.service });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${r.apiUrl}/api/v1/registry/token?${q}`, bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : {});
  return { status: res.status, body: (await res.json()) as { token?: string } };
};
const grantedBy = (token: string) => (decodeJwt(token) as { access: { name: string; actions: string[] }[] }).access;
const manifest = (name: string, ref: string, token?: string) =>
  fetch(`http://${r.host}/v2/${name}/manifests/${ref}`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
const victimTag = async () => (await r.api.store.get<any>({ kind: 'ImageStream', project: VICTIM, name: 'web' }))?.status.tags?.find((t: { tag: string }) => t.tag === 'v1')?.items[0]?.image;

async function pushAs(as: string, remote: string) {
  made.push(remote);
  await r.docker(['tag', LOCAL, remote], undefined, as);
  return r.docker(['push', remote], undefined, as);
}

beforeAll(async () => {
  await busyboxBases();
  r = await authRegistry();
  victim = await r.api.user('victor');
  mallory = await r.api.user('mallory');
  for (const [token, name] of [[victim, VICTIM], [mallory, MALLORY]] as const) {
    expect((await r.api.call('POST', '/api/v1/projects', token, { metadata: { name }, spec: {} })).status).toBe(201);
  }
  await tinyImage(r, LOCAL, suffix);
  expect((await r.docker(['login', r.host, '-u', 'victor', '--password-stdin'], victim, 'victor')).status).toBe(0);
  const pushed = await pushAs('victor', `${r.host}/${VICTIM}/web:v1`);
  victimDigest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.out)![1]!;
  const until = Date.now() + 20_000;
  while ((await victimTag()) !== victimDigest && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
  expect(await victimTag()).toBe(victimDigest);
  expect((await r.docker(['login', r.host, '-u', 'mallory', '--password-stdin'], mallory, 'mallory')).status).toBe(0);
}, 300_000);

afterAll(async () => {
  for (const t of made) await r?.docker(['rmi', t]);
  await r?.stop();
});

describe("a stranger cannot pull or push the victim's repositories", () => {
  it("with their own login, docker pull and docker push of the victim's repository fail", async () => {
    await r.docker(['rmi', `${r.host}/${VICTIM}/web:v1`], undefined, 'mallory');
    const pull = await r.docker(['pull', `${r.host}/${VICTIM}/web:v1`], undefined, 'mallory');
    expect(pull.status).not.toBe(0);
    expect(pull.out).toMatch(/denied|unauthorized|insufficient_scope/i);
    const push = await pushAs('mallory', `${r.host}/${VICTIM}/web:v1`);
    expect(push.status).not.toBe(0);
    expect(await victimTag()).toBe(victimDigest);
  });

  it('without a login, pulls and pushes fail', async () => {
    expect((await r.docker(['pull', `${r.host}/${VICTIM}/web:v1`], undefined, 'nobody')).status).not.toBe(0);
    expect((await pushAs('nobody', `${r.host}/${VICTIM}/web:v2`)).status).not.toBe(0);
    expect((await manifest(`${VICTIM}/web`, 'v1')).status).toBe(401);
    expect((await tokenFor(undefined, `repository:${VICTIM}/web:pull`)).status).toBe(401);
  });

  it('the token endpoint grants the stranger nothing of the victim, and their own project in full', async () => {
    const out = await tokenFor(mallory, `repository:${VICTIM}/web:pull,push`, `repository:${MALLORY}/web:pull,push`);
    expect(out.status).toBe(200);
    expect(grantedBy(out.body.token!)).toEqual([{ type: 'repository', name: `${MALLORY}/web`, actions: ['pull', 'push'] }]);
  });

  it('a token for their own repository does not open the victim\'s', async () => {
    const own = (await tokenFor(mallory, `repository:${MALLORY}/web:pull,push`)).body.token!;
    expect((await manifest(`${VICTIM}/web`, 'v1', own)).status).toBe(401);
  });

  it('a token signed with another key, granting everything, is refused by the registry', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forger = new RegistryTokenIssuer({ privateKey, issuer: r.deps.tokens.issuer, service: r.deps.tokens.service });
    const forged = (await forger.sign('mallory', [{ type: 'repository', name: `${VICTIM}/web`, actions: ['pull', 'push', '*'] }])).token;
    expect((await manifest(`${VICTIM}/web`, 'v1', forged)).status).toBe(401);
    // The real key's token for the victim's scope works, so the refusal above is the signature's.
    const real = (await r.deps.tokens.sign('victor', [{ type: 'repository', name: `${VICTIM}/web`, actions: ['pull'] }])).token;
    expect((await manifest(`${VICTIM}/web`, 'v1', real)).status).toBe(200);
  });

  it.each([
    ['a parent-directory trick', `repository:${MALLORY}/../${VICTIM}/web:pull,push`],
    ['a victim path under their own name', `repository:${MALLORY}/${VICTIM}/web:pull,push`],
    ['the victim with a dot segment', `repository:${VICTIM}/./web:pull`],
    ['upper case', `repository:${VICTIM.toUpperCase()}/web:pull`],
    ['a push to the shared openshift project', 'repository:openshift/python:push'],
    ["the platform's builder images", 'repository:berth/python:pull,push'],
    ['deleting from their own repository behind the platform\'s back', `repository:${MALLORY}/web:delete,*`],
    ['the catalog of every repository', 'registry:catalog:*'],
  ])('%s is granted nothing', async (_what, scope) => {
    const out = await tokenFor(mallory, scope);
    expect(out.status).toBe(200);
    expect(grantedBy(out.body.token!)).toEqual([]);
  });

  it('the shared openshift project is pull-only: a docker push there fails', async () => {
    const push = await pushAs('mallory', `${r.host}/openshift/evil:1`);
    expect(push.status).not.toBe(0);
    expect(await r.api.store.get({ kind: 'ImageStream', project: 'openshift', name: 'evil' })).toBeUndefined();
  });

  it('the catalog stays closed to the stranger', async () => {
    const token = (await tokenFor(mallory, 'registry:catalog:*')).body.token!;
    const res = await fetch(`http://${r.host}/v2/_catalog`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(VICTIM);
  });

  it("a faked push notification, with the stranger's token or none, moves no tag", async () => {
    const envelope = { events: [{ action: 'push', target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:${'e'.repeat(64)}`, repository: `${VICTIM}/web`, tag: 'v1' } }] };
    for (const auth of [`Bearer ${mallory}`, undefined, `Bearer ${r.auth.eventsSecret}x`]) {
      const res = await fetch(`${r.apiUrl}/api/v1/registry/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) }, body: JSON.stringify(envelope) });
      expect(res.status).toBe(401);
    }
    expect(await victimTag()).toBe(victimDigest);
  });
});
