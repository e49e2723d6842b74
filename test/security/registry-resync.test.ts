// Attack: a stranger who signed up a minute ago pushes with their own login while the platform
// misses notifications, into their own namespace and at the victim's, under the same stream and
// tag names as the victim's; the platform's own namespace holds images too. The registry resync
// moves each tag only in the project the repository belongs to: the victim's stream never gets
// the stranger's image (nor the stranger's the victim's), the refused push moves nothing, and
// the platform's namespace and repositories of no project make no stream anywhere.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../shared/builds/local-adapters.ts';
import { resyncRegistryTags } from '../../shared/registry/resync.ts';
import { PLATFORM_REGISTRY_USER } from '../../shared/registry/types.ts';
import { collect, eachOfKind } from '../../shared/store/each.ts';
import { busyboxBases } from '../builds/fake-builders.ts';
import { authRegistry, tinyImage, type AuthRegistry } from '../support/registry.ts';

const suffix = randomBytes(3).toString('hex');
const VICTIM = `victim-${suffix}`;
const STRANGER = `stranger-${suffix}`;
const LOCAL = [`berth-test/resync-sec-${suffix}-v:1`, `berth-test/resync-sec-${suffix}-s:1`];
let r: AuthRegistry;
let secret: string | undefined;
const made: string[] = [];
const digests: Record<string, string> = {};
const tagOf = async (project: string, stream: string, tag: string) => (await r.api.store.get<any>({ kind: 'ImageStream', project, name: stream }))?.status.tags?.find((t: { tag: string }) => t.tag === tag)?.items.map((i: { image: string }) => i.image);

async function pushAs(as: string, local: string, remote: string) {
  made.push(remote);
  await r.docker(['tag', local, remote]);
  return r.docker(['push', remote], undefined, as);
}

beforeAll(async () => {
  await busyboxBases();
  r = await authRegistry();
  secret = r.deps.eventsSecret;
  r.deps.eventsSecret = undefined; // every notification refused: only the resync moves tags
  const victim = await r.api.user('victor');
  const stranger = await r.api.user('mallory');
  for (const [token, name] of [[victim, VICTIM], [stranger, STRANGER]] as const) expect((await r.api.call('POST', '/api/v1/projects', token, { metadata: { name }, spec: {} })).status).toBe(201);
  for (const [i, l] of LOCAL.entries()) await tinyImage(r, l, `${suffix}-sec-${i}`);
  expect((await r.docker(['login', r.host, '-u', 'victor', '--password-stdin'], victim, 'victor')).status).toBe(0);
  expect((await r.docker(['login', r.host, '-u', 'mallory', '--password-stdin'], stranger, 'mallory')).status).toBe(0);
  expect((await r.docker(['login', r.host, '-u', PLATFORM_REGISTRY_USER, '--password-stdin'], r.auth.platformPassword, 'platform')).status).toBe(0);
  const v = await pushAs('victor', LOCAL[0]!, `${r.host}/${VICTIM}/web:v1`);
  expect(v.status, v.out).toBe(0);
  digests.victim = /digest: (sha256:[a-f0-9]{64})/.exec(v.out)![1]!;
  const s = await pushAs('mallory', LOCAL[1]!, `${r.host}/${STRANGER}/web:v1`);
  expect(s.status, s.out).toBe(0);
  digests.stranger = /digest: (sha256:[a-f0-9]{64})/.exec(s.out)![1]!;
  // The stranger's push at the victim's repository is refused by the registry.
  expect((await pushAs('mallory', LOCAL[1]!, `${r.host}/${VICTIM}/web:v2`)).status).not.toBe(0);
  // The platform's own namespace and a namespace of no project hold images too.
  for (const ns of ['berth', `ghost-${suffix}`]) expect((await pushAs('platform', LOCAL[1]!, `${r.host}/${ns}/web:v1`)).status).toBe(0);
}, 300_000);

afterAll(async () => {
  if (r) r.deps.eventsSecret = secret;
  for (const t of [...LOCAL, ...made]) await r?.docker(['rmi', t]);
  await r?.stop();
});

describe('the registry resync and a stranger', () => {
  it("moves each project's tag to its own push only: the same stream and tag names never cross", async () => {
    const moved = await resyncRegistryTags({ store: r.api.store, registry: new LocalRegistry(r.host, undefined, { username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword }) });
    expect(moved.filter((m) => m.project === VICTIM || m.project === STRANGER).sort((a, b) => a.project.localeCompare(b.project))).toEqual([
      { project: STRANGER, stream: 'web', tag: 'v1', digest: digests.stranger },
      { project: VICTIM, stream: 'web', tag: 'v1', digest: digests.victim },
    ]);
    expect(await tagOf(VICTIM, 'web', 'v1')).toEqual([digests.victim]);
    expect(await tagOf(STRANGER, 'web', 'v1')).toEqual([digests.stranger]);
    const victimStream = await r.api.store.get<any>({ kind: 'ImageStream', project: VICTIM, name: 'web' });
    expect(victimStream.status.tags.map((t: { tag: string }) => t.tag)).toEqual(['v1']);
    expect(victimStream.status.dockerImageRepository).toBe(`${r.host}/${VICTIM}/web`);
  });

  it("makes no stream for the platform's namespace or a namespace that is no project", async () => {
    const streams = await collect(eachOfKind<any>(r.api.store, 'ImageStream'));
    expect(streams.filter((s) => s.metadata.project === 'berth' || s.metadata.project === `ghost-${suffix}`)).toEqual([]);
    expect(await r.api.store.get({ kind: 'Project', project: '', name: `ghost-${suffix}` })).toBeUndefined();
  });
});
