// Publishing the shared openshift images (images/publish.ts, `npm run publish-images`): the plan
// of pushes for the real openshift image streams and their exact tags; the pushes themselves
// against a real token-protected Distribution registry standing in for ECR (logged in as the
// admin would be, with a password of the registry's), whose push notifications move the
// `openshift` streams' tags to the pushed digests, as ECR's push events do on AWS. The stand-in
// images are tiny ones (building the database images takes minutes and is tested in images/);
// an image built for another architecture than the fleet's is refused before any push.
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedStreams, type SharedStream } from '../../agents/up/builder-images.ts';
import { publishImages, publishPlan } from '../../images/publish.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { ensureSharedProject } from '../../shared/project/openshift.ts';
import { RegistryHttp } from '../../shared/registry/http.ts';
import { PLATFORM_REGISTRY_USER } from '../../shared/registry/types.ts';
import { busyboxBases } from '../builds/fake-builders.ts';
import { authRegistry, tinyImage, type AuthRegistry } from '../support/registry.ts';

const suffix = randomBytes(3).toString('hex');
const ECR = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
const docker = new Docker();
const ARCH = process.arch === 'x64' ? 'amd64' : process.arch;
let r: AuthRegistry;
const made: string[] = [];

beforeAll(async () => {
  await busyboxBases();
  r = await authRegistry();
  await ensureSharedProject(r.api.store);
}, 180_000);

afterAll(async () => {
  for (const image of made) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  await r?.stop();
});

/** The real streams' names and tags, each holding a tiny stand-in image. */
async function standIns(streams: Pick<SharedStream, 'stream' | 'tags'>[]): Promise<SharedStream[]> {
  const out: SharedStream[] = [];
  for (const s of streams) {
    const local = `berth-test/publish-${suffix}-${s.stream}:1`;
    await tinyImage(r, local, `${suffix}-${s.stream}`);
    made.push(local);
    out.push({ ...s, image: async () => local });
  }
  return out;
}

describe('publishing the openshift images', () => {
  it('plans one push per image stream tag, to <registry>/berth/openshift/<stream>:<tag>', () => {
    expect(publishPlan(sharedStreams(docker, 'plain'), { registry: ECR, prefix: 'berth' }).map((p) => p.target)).toEqual([
      `${ECR}/berth/openshift/python:3.11`, `${ECR}/berth/openshift/python:latest`,
      `${ECR}/berth/openshift/postgresql:15`, `${ECR}/berth/openshift/postgresql:latest`,
      `${ECR}/berth/openshift/redis:7`, `${ECR}/berth/openshift/redis:latest`,
      `${ECR}/berth/openshift/mariadb:10.11`, `${ECR}/berth/openshift/mariadb:latest`,
    ]);
  });

  it('pushes every tag with the admin\'s login, and the registry\'s push events point the openshift streams at the digests', async () => {
    const streams = await standIns(sharedStreams(docker, 'plain').map(({ stream, tags }) => ({ stream, tags })));
    const lines: string[] = [];
    const auth = { username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword, serveraddress: r.host };
    const published = await publishImages(docker, streams, { registry: r.host, arch: ARCH, auth }, (l) => lines.push(l));
    expect(published.map((p) => p.target)).toEqual(publishPlan(streams, { registry: r.host }).map((p) => p.target));
    for (const p of published) made.push(p.target);
    const http = new RegistryHttp({ username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword });
    for (const s of streams) {
      const tags = (await (await http.fetch(`http://${r.host}/v2/openshift/${s.stream}/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags.sort()).toEqual([...s.tags].sort());
    }
    // Both tags of a stream hold its one image; the streams' images differ.
    const digests = new Map(streams.map((s) => [s.stream, new Set(published.filter((p) => p.stream === s.stream).map((p) => p.digest))]));
    for (const set of digests.values()) expect(set.size).toBe(1);
    expect(new Set([...digests.values()].map((s) => [...s][0])).size).toBe(streams.length);
    // Notifications arrive after the push returns: wait for them (bounded), then check each tag.
    const head = async (stream: string, tag: string) =>
      (await r.api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: 'openshift', name: stream }))?.status.tags?.find((t) => t.tag === tag)?.items[0];
    for (const p of published) {
      for (let i = 0; i < 100 && (await head(p.stream, p.tag))?.image !== p.digest; i++) await new Promise((ok) => setTimeout(ok, 100));
      expect(await head(p.stream, p.tag)).toMatchObject({ image: p.digest, dockerImageReference: `${r.host}/openshift/${p.stream}@${p.digest}` });
    }
    expect(lines).toContain(`${r.host}/openshift/postgresql:15 ${published.find((p) => p.target.endsWith('postgresql:15'))!.digest}`);
  }, 240_000);

  it('refuses an image built for another architecture than the fleet\'s, before any push', async () => {
    const streams = await standIns([{ stream: `arch-${suffix}`, tags: ['1'] }]);
    const other = ARCH === 'arm64' ? 'amd64' : 'arm64';
    const auth = { username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword, serveraddress: r.host };
    await expect(publishImages(docker, streams, { registry: r.host, arch: other, auth }, () => undefined)).rejects.toThrow(`is built for ${ARCH}, the fleet runs ${other}`);
    const res = await new RegistryHttp({ username: PLATFORM_REGISTRY_USER, password: r.auth.platformPassword }).fetch(`http://${r.host}/v2/openshift/arch-${suffix}/tags/list`);
    expect(res.status).toBe(404);
  }, 120_000);
});
