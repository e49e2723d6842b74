// Makes the platform's images and publishes them in the local registry, where builds (and every
// container host) pull them from: the Python builder as `<registry>/berth/python:3.11` (what
// new-app offers) and, with the database and cache images, in the shared project `openshift` as
// image streams (`<registry>/openshift/python:3.11`, `openshift/postgresql:15`, …).
import type Docker from 'dockerode';
import type { BuilderImage } from '../../shared/api/env.ts';
import { ensureBuilderImages, ensureServiceImage, SERVICE_IMAGES, type ServiceImage, type Variant } from '../../images/build.ts';
import { pushImage, recordImage } from '../../shared/builds/agent.ts';
import { SHARED_PROJECT } from '../../shared/project/openshift.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import type { RegistryAuth } from '../../shared/builds/ports.ts';

/** Tags `local` as `target` and pushes it; returns the digest the registry reports. */
export async function push(docker: Docker, local: string, target: string, auth: RegistryAuth | undefined): Promise<string> {
  const at = target.lastIndexOf(':');
  await docker.getImage(local).tag({ repo: target.slice(0, at), tag: target.slice(at + 1) });
  const stream = await pushImage(docker, target, auth);
  return new Promise<string>((resolve, reject) => {
    let digest: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: { error?: string }[]) => {
        const failed = err?.message ?? events.find((e) => e.error)?.error ?? (digest ? undefined : 'the registry reported no digest');
        if (failed) reject(new Error(`publishing ${target} failed: ${failed}`));
        else resolve(digest!);
      },
      (event: { aux?: { Digest?: string } }) => {
        if (event.aux?.Digest) digest = event.aux.Digest;
      },
    );
  });
}

export async function publishBuilderImages(docker: Docker, registryHost: string, variant: Variant, say: (line: string) => void, auth?: RegistryAuth): Promise<BuilderImage[]> {
  say(`making the Python builder image (${variant} variant; the first start takes a few minutes)`);
  const local = await ensureBuilderImages(docker, { variant, log: (line) => say(`  ${line}`) });
  const target = `${registryHost}/berth/python:3.11`;
  await push(docker, local, target, auth);
  say(`builder image ${target}`);
  return [
    {
      name: 'python',
      image: target,
      imageStreamTag: { namespace: SHARED_PROJECT, name: 'python:3.11' },
      description: 'Python 3.11 (S2I): requirements.txt, setup.py, Django, WSGI servers, app.py, app.sh',
    },
  ];
}

/** An image stream of the shared project: its name, its tags and the local image they hold. */
export interface SharedStream {
  stream: string;
  tags: string[];
  image: (say: (line: string) => void) => Promise<string>;
}

/** The shared project's streams: the Python builder of `variant`, PostgreSQL, Redis and MariaDB. */
export function sharedStreams(docker: Docker, variant: Variant): SharedStream[] {
  const python: SharedStream = { stream: 'python', tags: ['3.11', 'latest'], image: (say) => ensureBuilderImages(docker, { variant, log: say }) };
  const services = (Object.keys(SERVICE_IMAGES) as ServiceImage[]).map(
    (name): SharedStream => ({ stream: name, tags: [SERVICE_IMAGES[name].version, 'latest'], image: (say) => ensureServiceImage(docker, name, say) }),
  );
  return [python, ...services];
}

/**
 * Makes each stream's image (cached by recipe hash), pushes it under `openshift/<stream>` and
 * moves the stream's tags to it. A tag already on that digest is left alone, so a restart with
 * unchanged images triggers nothing; a new image (a changed recipe) moves the tags, which
 * ImageChange triggers follow.
 */
export async function publishSharedStreams(docker: Docker, store: ObjectStore, registryHost: string, streams: SharedStream[], say: (line: string) => void, auth?: RegistryAuth): Promise<void> {
  for (const s of streams) {
    const local = await s.image((line) => say(`  ${line}`));
    const repo = `${registryHost}/${SHARED_PROJECT}/${s.stream}`;
    const current = await store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: SHARED_PROJECT, name: s.stream });
    for (const tag of s.tags) {
      const digest = await push(docker, local, `${repo}:${tag}`, auth);
      if (current?.status.tags?.find((t) => t.tag === tag)?.items[0]?.image === digest) continue;
      await recordImage(store, SHARED_PROJECT, s.stream, tag, { created: new Date().toISOString(), dockerImageReference: `${repo}@${digest}`, image: digest });
    }
    say(`image stream ${SHARED_PROJECT}/${s.stream} (${s.tags.join(', ')})`);
  }
}
