// Publishing the shared `openshift` images to another registry (ECR on AWS): the cluster admin
// makes (or takes, cached by recipe hash) the local Python builder, PostgreSQL, Redis and MariaDB
// images and pushes each under `<registry>/<prefix>/openshift/<stream>:<tag>`, for every tag of
// its `openshift` image stream. The registry's push events then point the streams at the pushed
// digests (on AWS the registry-events function; docs/aws.md, "The shared openshift images").
// Images are checked to be built for the fleet's architecture first: an amd64 image on arm64
// hosts would not start.
import type Docker from 'dockerode';
import { push, type SharedStream } from '../agents/up/builder-images.ts';
import type { RegistryAuth } from '../shared/builds/ports.ts';
import { SHARED_PROJECT } from '../shared/project/openshift.ts';

export interface PublishTarget {
  /** The registry host: `<account>.dkr.ecr.<region>.amazonaws.com`. */
  registry: string;
  /** The repositories' prefix (`berth` on AWS); none for a registry named `<project>/<stream>`. */
  prefix?: string;
}

/** Where each stream's tag goes: `<registry>/<prefix>/openshift/<stream>:<tag>`, in the streams' order. */
export function publishPlan(streams: Pick<SharedStream, 'stream' | 'tags'>[], to: PublishTarget): { stream: string; tag: string; target: string }[] {
  const base = [to.registry, to.prefix, SHARED_PROJECT].filter(Boolean).join('/');
  return streams.flatMap((s) => s.tags.map((tag) => ({ stream: s.stream, tag, target: `${base}/${s.stream}:${tag}` })));
}

export interface Published {
  stream: string;
  tag: string;
  target: string;
  digest: string;
}

/**
 * Makes each stream's image and pushes it to every target of the plan with `auth`; returns each
 * push's digest. Refuses (before any push) an image built for another architecture than `arch`.
 */
export async function publishImages(
  docker: Docker,
  streams: SharedStream[],
  to: PublishTarget & { auth: RegistryAuth; arch?: string },
  say: (line: string) => void,
): Promise<Published[]> {
  const images = new Map<string, string>();
  for (const s of streams) {
    const local = await s.image((line) => say(`  ${line}`));
    const { Architecture } = await docker.getImage(local).inspect();
    if (to.arch && Architecture !== to.arch) {
      throw new Error(`${local} is built for ${Architecture}, the fleet runs ${to.arch}: build the images on a ${to.arch} machine (or pass --arch ${Architecture} for a ${Architecture} fleet)`);
    }
    images.set(s.stream, local);
  }
  const out: Published[] = [];
  for (const p of publishPlan(streams, to)) {
    const digest = await push(docker, images.get(p.stream)!, p.target, to.auth);
    say(`${p.target} ${digest}`);
    out.push({ ...p, digest });
  }
  return out;
}
