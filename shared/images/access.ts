// Which images a project may run and build from: its own images in the platform registry, the
// platform's shared images (the builder images), and public images by reference — never another
// project's images in the platform registry, and never a registry on the platform's own machine
// or network under another spelling (`localhost:7500/…` for the local registry at
// 127.0.0.1:7500). Checked at admission (DeploymentConfig, BuildConfig, Build) and again where an
// image is pulled (the host side of pods, the builder agent), since the engine would otherwise
// pull with the platform's credentials or use an image another project left in its cache. Pure.
import { isIP } from 'node:net';
import { addressProblem } from '../builds/git-source.ts';

/** The platform registry's layout: `<host>/[<prefix>/]<project>/<stream>`. */
export interface PlatformRegistry {
  /** `127.0.0.1:7500`, `<account>.dkr.ecr.<region>.amazonaws.com`. */
  host: string;
  /** The repository prefix before the project: '' locally, `berth` on AWS. */
  prefix: string;
  /** Namespaces under the prefix that hold the platform's shared images, readable by every project. */
  shared: string[];
}

export interface ImageReference {
  /** Undefined for Docker Hub's short names (`python:3.11`). */
  domain?: string;
  path: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?';
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::[\\w][\\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$`);

/**
 * Parses an image reference after Docker's grammar (distribution/reference): the first part is a
 * registry when it has a "." or ":" or is "localhost".
 * @example parseImageReference('127.0.0.1:7500/shop/web:latest') // { domain: '127.0.0.1:7500', path: 'shop/web' }
 */
export function parseImageReference(image: string): ImageReference | undefined {
  const m = REFERENCE.exec(image);
  if (!m) return undefined;
  const [, first, rest] = m;
  if (first && !/[.:]/.test(first) && first !== 'localhost') return { path: `${first.toLowerCase()}/${rest}` };
  if (first && first !== first.toLowerCase() && !/[.:]/.test(first)) return undefined;
  return { domain: first, path: rest! };
}

function hostOf(domain: string): string {
  const m = /^\[(.+)\](?::\d+)?$/.exec(domain);
  return (m ? m[1]! : domain.replace(/:\d+$/, '')).toLowerCase();
}

/** Whether a registry host is on the platform's own machine or network (loopback, private, link-local, .localhost). */
export function isLocalRegistry(domain: string): boolean {
  const host = hostOf(domain);
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal')) return true;
  let ip = host;
  if (!isIP(ip)) {
    try {
      ip = new URL(`http://${host}/`).hostname;
    } catch {
      return false;
    }
  }
  return isIP(ip) !== 0 && addressProblem(ip, { allowLocal: false }) !== undefined;
}

/**
 * Why `project` may not use `image`, or undefined when it may.
 * @example imageProblem('127.0.0.1:7500/victim/web:latest', 'attacker', { host: '127.0.0.1:7500', prefix: '', shared: ['berth'] })
 * // 'is another project\'s image: a project may use its own images, the platform\'s shared images and public images'
 */
export function imageProblem(image: string, project: string, registry: PlatformRegistry | undefined): string | undefined {
  const ref = parseImageReference(image);
  if (!ref) return 'is not a valid image reference (registry/name:tag or name@sha256:digest)';
  if (!ref.domain) return undefined;
  if (registry && ref.domain.toLowerCase() === registry.host.toLowerCase()) {
    const parts = ref.path.split('/');
    const under = registry.prefix ? (parts[0] === registry.prefix ? parts.slice(1) : undefined) : parts;
    if (!under || under.length < 2) return 'is not in a project of the platform registry';
    if (under[0] === project || registry.shared.includes(under[0]!)) return undefined;
    return "is another project's image: a project may use its own images, the platform's shared images and public images";
  }
  if (isLocalRegistry(ref.domain)) return "names a registry on the platform's own machine or network";
  return undefined;
}
