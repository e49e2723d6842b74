// import-image: copies an image from another registry into a project's repository of the platform
// registry (blobs first, then the manifest under the tag), so that it runs and rolls out like a
// built or pushed image. Manifest lists are narrowed to their linux/amd64 image. The source is
// read anonymously (or with its registry's anonymous token); registries on the platform's own
// machine or private networks are refused unless the platform allows them (tests, development),
// by name first (checkSource) and then at every connection the copy makes (pinned-fetch.ts).
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { BadRequestError, BerthError, ValidationError } from '../errors.ts';
import { isLocalRegistry, parseImageReference } from '../images/access.ts';
import { RegistryHttp } from './http.ts';
import { importFailure, isImportFailure } from './import-outcome.ts';
import { pinnedFetch } from './pinned-fetch.ts';
import { checkedAddresses, sourceRefused, type SourcePolicy } from './source-policy.ts';

const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const LISTS = ['application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json'];
const ACCEPT = [MANIFEST, OCI_MANIFEST, ...LISTS].join(', ');

export interface ImportSource {
  /** `registry-1.docker.io` for Docker Hub names. */
  host: string;
  repository: string;
  /** A tag or a digest. */
  reference: string;
}

/** `quay.io/org/app:1` → its registry, repository and tag (latest) or digest; a 422 naming `from` otherwise. */
export function importSource(from: string): ImportSource {
  const ref = parseImageReference(from);
  if (!ref) throw ValidationError.field('from', 'is not an image reference (registry/name:tag or name@sha256:digest)');
  const at = from.indexOf('@');
  const nameTag = at >= 0 ? from.slice(0, at) : from;
  const colon = nameTag.lastIndexOf(':');
  const tag = colon > nameTag.lastIndexOf('/') ? nameTag.slice(colon + 1) : 'latest';
  const reference = at >= 0 ? from.slice(at + 1) : tag;
  if (!ref.domain || ref.domain === 'docker.io') return { host: 'registry-1.docker.io', repository: ref.path.includes('/') ? ref.path : `library/${ref.path}`, reference };
  return { host: ref.domain, repository: ref.path, reference };
}

export interface ImportTarget {
  /** The platform registry (its host) and the platform's way into it. */
  host: string;
  http: RegistryHttp;
  project: string;
  stream: string;
  tag: string;
  /** `https` for ECR (the import task on AWS); `http` (the platform's loopback registry) by default. */
  scheme?: 'http' | 'https';
  /** The repository's name in the registry: `<project>/<stream>` by default, `berth/<project>/<stream>` on ECR. */
  repository?: string;
  /** Refuses (TooLarge) an image whose config and layers add up to more, before copying any of it. */
  maxBytes?: number;
}

export interface ImportedImage {
  digest: string;
  /** `<registry>/<project>/<stream>@<digest>`. */
  reference: string;
  /** The ports the image EXPOSEs (TCP), lowest first. */
  exposedPorts: number[];
}

/**
 * Refuses sources on the platform's own machine or networks, by name or by what the name
 * resolves to (source-policy.ts): a 422 naming `from`. The copy checks each connection again.
 */
export async function checkSource(source: ImportSource, platformHost: string, policy: SourcePolicy): Promise<void> {
  if (source.host.toLowerCase() === platformHost.toLowerCase()) {
    throw ValidationError.field('from', 'is in the platform registry already: use its image stream, or docker pull/push between projects you can reach');
  }
  const host = source.host.replace(/:\d+$/, '');
  if (!policy.allowPrivate && !isIP(host.replace(/^\[|\]$/g, '')) && isLocalRegistry(source.host)) throw sourceRefused(`${host} names the machine itself or an internal service`);
  await checkedAddresses(host, policy).catch((err: Error) => {
    if (isImportFailure(err)) throw err;
    throw ValidationError.field('from', `the registry ${source.host} could not be found`);
  });
}

/**
 * Copies `source` into `target`'s repository under its tag; returns the image's digest there.
 * Every read from the source connects only to addresses `policy` allows, checked as it connects.
 */
export async function copyImage(source: ImportSource, target: ImportTarget, policy: SourcePolicy): Promise<ImportedImage> {
  const pinned = pinnedFetch(policy);
  try {
    return await copyThrough(new RegistryHttp(undefined, pinned), source, target);
  } finally {
    pinned.close();
  }
}

async function copyThrough(from: RegistryHttp, source: ImportSource, target: ImportTarget): Promise<ImportedImage> {
  const src = `http${isLocalRegistry(source.host) ? '' : 's'}://${source.host}/v2/${source.repository}`;
  const repository = target.repository ?? `${target.project}/${target.stream}`;
  const dst = `${target.scheme ?? 'http'}://${target.host}/v2/${repository}`;
  let got = await getManifest(from, `${src}/manifests/${source.reference}`);
  if (LISTS.includes(got.mediaType)) {
    const list = JSON.parse(got.bytes.toString('utf8')) as { manifests: { digest: string; platform?: { os?: string; architecture?: string } }[] };
    const pick = list.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? list.manifests[0];
    if (!pick) throw importFailure(new BadRequestError('ImportFailed', `${source.host}/${source.repository}:${source.reference} lists no images`), 'NotAnImage');
    got = await getManifest(from, `${src}/manifests/${pick.digest}`);
  }
  const manifest = JSON.parse(got.bytes.toString('utf8')) as { config?: { digest: string; size?: number }; layers?: { digest: string; size?: number }[] };
  if (!manifest.config || !manifest.layers) throw importFailure(new BadRequestError('ImportFailed', `${source.repository}:${source.reference} is not an image manifest (schema 2 or OCI)`), 'NotAnImage');
  const size = [manifest.config, ...manifest.layers].reduce((sum, b) => sum + (b.size ?? 0), 0);
  if (target.maxBytes !== undefined && size > target.maxBytes) {
    throw importFailure(new BerthError(413, 'TooLarge', `${source.repository}:${source.reference} is ${Math.ceil(size / 2 ** 20)} MiB, more than the ${Math.round(target.maxBytes / 2 ** 20)} MiB an import may copy`), 'TooLarge');
  }
  for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) await copyBlob(from, `${src}/blobs/${digest}`, target.http, dst, digest);
  const config = (await (await from.fetch(`${src}/blobs/${manifest.config.digest}`).catch(sourceUnreachable)).json()) as { config?: { ExposedPorts?: Record<string, unknown> } };
  const put = await target.http.fetch(`${dst}/manifests/${target.tag}`, { method: 'PUT', headers: { 'Content-Type': got.mediaType }, body: got.bytes });
  if (!put.ok) throw importFailure(new BerthError(502, 'ImportFailed', `the platform registry refused the manifest: HTTP ${put.status}`), 'TargetRefused');
  const digest = `sha256:${createHash('sha256').update(got.bytes).digest('hex')}`;
  return { digest, reference: `${target.host}/${repository}@${digest}`, exposedPorts: exposedPortsOf(config) };
}

/** The TCP ports an image's config EXPOSEs, lowest first. */
export function exposedPortsOf(config: { config?: { ExposedPorts?: Record<string, unknown> } }): number[] {
  return Object.keys(config.config?.ExposedPorts ?? {})
    .filter((p) => !p.endsWith('/udp'))
    .map((p) => Number(p.split('/')[0]))
    .filter((n) => Number.isInteger(n) && n > 0 && n < 65536)
    .sort((a, b) => a - b);
}

/** A read from the source that failed: the policy's refusal as it is, anything else SourceUnreachable (a 400, not a 500). */
function sourceUnreachable(err: Error): never {
  if (isImportFailure(err)) throw err;
  throw importFailure(new BadRequestError('ImportFailed', `the source registry did not answer: ${err.message}`, 'check the image reference and that its registry is reachable from the platform'), 'SourceUnreachable');
}

async function getManifest(http: RegistryHttp, url: string): Promise<{ mediaType: string; bytes: Buffer }> {
  const res = await http.fetch(url, { headers: { Accept: ACCEPT } }).catch(sourceUnreachable);
  if (res.status === 404 || res.status === 401 || res.status === 403) {
    throw importFailure(new BerthError(404, 'NotFound', `image ${url.replace(/^https?:\/\//, '').replace('/v2/', '/').replace('/manifests/', ':')} was not found (or needs credentials)`, { suggestion: 'check the name and tag; only public images can be imported' }), 'NotFound');
  }
  if (!res.ok) throw importFailure(new BerthError(502, 'ImportFailed', `the source registry answered HTTP ${res.status}`), 'SourceUnreachable');
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  return { mediaType, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function copyBlob(from: RegistryHttp, src: string, to: RegistryHttp, dst: string, digest: string): Promise<void> {
  if ((await to.fetch(`${dst}/blobs/${digest}`, { method: 'HEAD' })).ok) return;
  const blob = await from.fetch(src).catch(sourceUnreachable);
  if (!blob.ok || !blob.body) throw importFailure(new BerthError(502, 'ImportFailed', `fetching blob ${digest} failed: HTTP ${blob.status}`), 'SourceUnreachable');
  const start = await to.fetch(`${dst}/blobs/uploads/`, { method: 'POST' });
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw importFailure(new BerthError(502, 'ImportFailed', `the platform registry refused an upload: HTTP ${start.status}`), 'TargetRefused');
  const url = new URL(location, dst);
  url.searchParams.set('digest', digest);
  const length = blob.headers.get('content-length');
  const put = await to.fetch(url.toString(), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', ...(length ? { 'Content-Length': length } : {}) },
    body: blob.body,
    duplex: 'half',
  } as RequestInit);
  await put.body?.cancel();
  if (put.status !== 201) throw importFailure(new BerthError(502, 'ImportFailed', `uploading blob ${digest} failed: HTTP ${put.status}`), 'TargetRefused');
}
