// The registry resync against the real token-protected Distribution registry and DynamoDB Local:
// with the notification receiver refusing (as when the API is down), a push moves no tag; a
// resync pass (logged in as the platform) moves it, once; a tag moved on purpose to an image it
// held before is left alone; and a push recorded by a live notification while a pass is under
// way wins over what the pass read.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../shared/builds/local-adapters.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { recordPushes } from '../../shared/registry/events.ts';
import { RegistryHttp } from '../../shared/registry/http.ts';
import { resyncRegistryTags } from '../../shared/registry/resync.ts';
import { PLATFORM_REGISTRY_USER } from '../../shared/registry/types.ts';
import { busyboxBases } from '../builds/fake-builders.ts';
import { authRegistry, tinyImage, type AuthRegistry } from '../support/registry.ts';

const suffix = randomBytes(3).toString('hex');
const P = `resync-${suffix}`;
const LOCAL = [`berth-test/resync-${suffix}-a:1`, `berth-test/resync-${suffix}-b:1`];
let r: AuthRegistry;
let secret: string | undefined;
const pushed: string[] = [];
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const headOf = async (stream: string, tag: string) => (await r.api.store.get<any>({ kind: 'ImageStream', project: P, name: stream }))?.status.tags?.find((t: { tag: string }) => t.tag === tag)?.items.map((i: { image: string }) => i.image);
const resync = (extra = {}) => resyncRegistryTags({ store: r.api.store, registry: new LocalRegistry(r.host, undefined, { username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword }), ...extra });

/** Pushes the local image as `<project>/<stream>:<tag>` (P by default) with the platform's login; its digest. */
async function push(local: string, stream: string, tag: string, project = P): Promise<string> {
  const remote = `${r.host}/${project}/${stream}:${tag}`;
  pushed.push(remote);
  expect((await r.docker(['tag', local, remote])).status).toBe(0);
  const out = await r.docker(['push', remote]);
  expect(out.status, out.out).toBe(0);
  return /digest: (sha256:[a-f0-9]{64})/.exec(out.out)![1]!;
}

beforeAll(async () => {
  await busyboxBases();
  r = await authRegistry();
  await r.api.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  for (const [i, l] of LOCAL.entries()) await tinyImage(r, l, `${suffix}-${i}`);
  expect((await r.docker(['login', r.host, '-u', PLATFORM_REGISTRY_USER, '--password-stdin'], r.auth.platformPassword)).status).toBe(0);
  // The receiver refuses every notification from here on, as an API that is down loses them.
  secret = r.deps.eventsSecret;
  r.deps.eventsSecret = undefined;
}, 300_000);

afterAll(async () => {
  if (r) r.deps.eventsSecret = secret;
  for (const t of [...LOCAL, ...pushed]) await r?.docker(['rmi', t]);
  await r?.stop();
});

describe('the registry resync', () => {
  it('moves a tag whose push was never notified, once; a second pass changes nothing', async () => {
    const digest = await push(LOCAL[0]!, 'web', 'v1');
    expect(await headOf('web', 'v1')).toBeUndefined();
    expect(await resync()).toEqual([{ project: P, stream: 'web', tag: 'v1', digest }]);
    const is = await r.api.store.get<any>({ kind: 'ImageStream', project: P, name: 'web' });
    expect(is.status.tags.find((t: { tag: string }) => t.tag === 'v1').items[0]).toMatchObject({ image: digest, dockerImageReference: `${r.host}/${P}/web@${digest}` });
    expect(await resync()).toEqual([]);
    expect((await r.api.store.get<any>({ kind: 'ImageStream', project: P, name: 'web' })).metadata.resourceVersion).toBe(is.metadata.resourceVersion);
  });

  it('moves a tag that is behind (a newer push of it), and leaves one moved on purpose to an image it held before', async () => {
    const a = (await headOf('web', 'v1'))![0];
    const b = await push(LOCAL[1]!, 'web', 'v1');
    expect(await resync()).toEqual([{ project: P, stream: 'web', tag: 'v1', digest: b }]);
    expect(await headOf('web', 'v1')).toEqual([b, a]);
    // A rollback to the older image (as `berth tag` writes it): the registry still says b, which the tag held; left alone.
    expect(await recordPushes(r.api.store, r.host, { events: [{ action: 'push', target: { mediaType: MANIFEST, digest: a, repository: `${P}/web`, tag: 'v1' } }] })).toHaveLength(1);
    expect(await resync()).toEqual([]);
    expect((await headOf('web', 'v1'))![0]).toBe(a);
  });

  it('never overwrites a push notified while the pass was reading the registry', async () => {
    const [a, b] = [await push(LOCAL[0]!, 'api', 'v1'), await push(LOCAL[1]!, 'other', 'v1')];
    const moved = await resync({
      // The live notification of a newer push lands between the pass's read of the tag and its write.
      beforeRegistryRead: async (repository: string) => {
        if (repository === `${P}/api`) await recordPushes(r.api.store, r.host, { events: [{ action: 'push', target: { mediaType: MANIFEST, digest: b, repository: `${P}/api`, tag: 'v1' } }] });
      },
    });
    expect(moved.filter((m) => m.stream === 'api')).toEqual([]);
    expect(await headOf('api', 'v1')).toEqual([b]);
    // The next pass sees the registry's digest a, which the tag never held: moved (the registry is the truth).
    expect((await resync()).filter((m) => m.stream === 'api')).toEqual([{ project: P, stream: 'api', tag: 'v1', digest: a }]);
  });

  it('a deleted project takes every repository of its namespace with it, so its name made again starts empty', async () => {
    const Q = `gone-${suffix}`;
    const ref = { kind: 'Project', project: '', name: Q };
    await r.api.store.create({ kind: 'Project', metadata: { name: Q, project: '' }, spec: {} });
    // Pushed while no notification was recorded: no stream names this repository.
    await push(LOCAL[0]!, 'orphan', 'v1', Q);
    const tags = async () => (await (await new RegistryHttp({ username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword }).fetch(`http://${r.host}/v2/${Q}/orphan/tags/list`)).json() as { tags?: string[] | null }).tags ?? [];
    expect(await tags()).toEqual(['v1']);
    const images = new LocalRegistry(r.host, undefined, { username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword });
    await r.api.store.update({ ...(await r.api.store.get(ref))!, metadata: { ...(await r.api.store.get(ref))!.metadata, deletionTimestamp: new Date().toISOString() } });
    await projectFinalizer(r.api.store, { images }).reconcile(ref);
    expect(await r.api.store.get(ref)).toBeUndefined();
    expect(await tags()).toEqual([]);
    // The name made again: the resync finds nothing of the old project to give it.
    await r.api.store.create({ kind: 'Project', metadata: { name: Q, project: '' }, spec: {} });
    expect((await resync()).filter((m) => m.project === Q)).toEqual([]);
    expect(await r.api.store.get({ kind: 'ImageStream', project: Q, name: 'orphan' })).toBeUndefined();
  });
});
