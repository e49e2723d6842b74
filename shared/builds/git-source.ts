// What a tenant may name as a build's git source: an https, http, git or ssh URL (or git's
// scp-like user@host:path) to a host that
// is not the platform's own (no loopback, link-local, metadata, private or otherwise special
// address), a ref git would accept as a branch or tag name and never as an option, and a commit
// that is a hexadecimal object name. Checked at the API (a 422 naming the field) and again by the
// builder agent, which also checks every address the host name resolves to. Local paths,
// file:// and loopback URLs pass only when the platform allows local git (PAAS_ALLOW_LOCAL_GIT=1,
// for development and tests). Pure: no I/O here.
import { BlockList, isIP } from 'node:net';
import type { FieldProblem } from '../errors.ts';

export interface GitPolicy {
  /** PAAS_ALLOW_LOCAL_GIT=1: local paths, file:// and loopback hosts are allowed too. */
  allowLocal: boolean;
}

export const DENY_LOCAL: GitPolicy = { allowLocal: false };

/** Where a git URI points, once parsed. */
export type GitLocation =
  | { kind: 'remote'; scheme: 'https' | 'http' | 'git' | 'ssh'; host: string; port?: number }
  | { kind: 'local'; path: string };

const REMOTE_SCHEMES = new Set(['https', 'http', 'git', 'ssh']);
const DEFAULT_PORTS: Record<string, number> = { https: 443, http: 80, git: 9418, ssh: 22 };

/** Addresses no build may fetch from, whatever the policy (the loopback ones unless local git is allowed). */
const SPECIAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) SPECIAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['fe80::', 10], ['fc00::', 7], ['ff00::', 8], ['fd00:ec2::', 32], ['64:ff9b::', 96]] as const) SPECIAL.addSubnet(net, bits, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Names that lead to the machine itself or to a cloud's metadata service. */
const LOCAL_NAMES = /^(localhost|.*\.localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)\.?$/i;
const METADATA_NAMES = /^(metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal|.*\.internal)\.?$/i;

/** IPv4 inside IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries. */
function unmapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/**
 * Why a build may not fetch from this IP address, or undefined when it may.
 * @example addressProblem('169.254.169.254', DENY_LOCAL) // 'a link-local, private or reserved address'
 */
export function addressProblem(address: string, policy: GitPolicy): string | undefined {
  const ip = unmapped(address.replace(/^\[|\]$/g, ''));
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(ip, family)) return policy.allowLocal ? undefined : 'a loopback address (the platform itself)';
  if (SPECIAL.check(ip, family)) return 'a link-local, private, metadata or reserved address (the platform\'s own network)';
  return undefined;
}

/** The host as git and getaddrinfo would read it: numeric IPv4 forms (2130706433, 0x7f.1) normalised. */
function normalHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (isIP(bare)) return bare.toLowerCase();
  try {
    // The WHATWG parser turns every IPv4 spelling git's resolver accepts into dotted quads.
    const h = new URL(`http://${bare}/`).hostname;
    return isIP(h) ? h : bare.toLowerCase();
  } catch {
    return bare.toLowerCase();
  }
}

/** Why a host name or address is not a tenant's to fetch from (before any DNS lookup). */
export function hostProblem(host: string, policy: GitPolicy): string | undefined {
  const h = normalHost(host);
  if (!h) return 'has no host';
  if (isIP(h)) return addressProblem(h, policy);
  if (LOCAL_NAMES.test(h)) return policy.allowLocal ? undefined : 'names the machine itself';
  if (METADATA_NAMES.test(h)) return 'names a metadata or internal service';
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h)) return 'is not a valid host name';
  return undefined;
}

/** Parses a git URI into where it points, or the reason it is refused. */
export function parseGitUri(uri: string, policy: GitPolicy): GitLocation | { problem: string } {
  if (/[\s\x00-\x1f\x7f]/.test(uri)) return { problem: 'must not contain spaces or control characters' };
  if (uri.startsWith('-')) return { problem: 'must be a URL, not an option' };
  if (uri.startsWith('/')) {
    return policy.allowLocal ? { kind: 'local', path: uri } : { problem: 'local paths are not allowed: use an https://, http://, git:// or ssh:// URL' };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (!scheme) {
    // git's scp-like ssh form, user@host:path (no "::", which is git's transport::address form).
    const scp = /^(?:[A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?!:)([^\s]+)$/.exec(uri);
    if (!scp || scp[2]!.startsWith('-')) return { problem: 'must be an https://, http://, git:// or ssh:// URL, or user@host:path' };
    const problem = hostProblem(scp[1]!, policy);
    if (problem) return { problem: `the host ${problem}` };
    return { kind: 'remote', scheme: 'ssh', host: normalHost(scp[1]!) };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { problem: 'is not a valid URL' };
  }
  if (scheme === 'file') {
    if (!policy.allowLocal) return { problem: 'file:// URLs are not allowed: use an https://, http://, git:// or ssh:// URL' };
    if (url.host) return { problem: 'a file:// URL must name a local path' };
    return { kind: 'local', path: decodeURIComponent(url.pathname) };
  }
  if (!REMOTE_SCHEMES.has(scheme)) return { problem: `the ${scheme}:// scheme is not allowed: use https://, http://, git:// or ssh://` };
  const problem = hostProblem(url.hostname, policy);
  if (problem) return { problem: `the host ${problem}` };
  const port = url.port ? Number(url.port) : undefined;
  return { kind: 'remote', scheme: scheme as 'https', host: normalHost(url.hostname), port };
}

/** The port a remote location is reached on. */
export function portOf(loc: Extract<GitLocation, { kind: 'remote' }>): number {
  return loc.port ?? DEFAULT_PORTS[loc.scheme]!;
}

/**
 * Why `ref` is not a branch or tag name git would take (after `git check-ref-format`, and never
 * starting with "-", so that it cannot be read as an option), or undefined.
 * @example refProblem('--upload-pack=touch /tmp/x') // 'must not start with "-"'
 */
export function refProblem(ref: string): string | undefined {
  if (!ref) return 'must not be empty';
  if (ref.startsWith('-')) return 'must not start with "-"';
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return 'must not contain spaces, control characters or any of ~ ^ : ? * [ \\';
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//') || ref === '@') return 'must not contain "..", "@{" or "//", nor be "@"';
  if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.')) return 'must not start or end with "/" nor end with "."';
  if (ref.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return 'no part may start with "." or end with ".lock"';
  return undefined;
}

/** Why `commit` is not a commit id (7 to 64 hexadecimal digits), or undefined. */
export function commitProblem(commit: string): string | undefined {
  return /^[0-9a-f]{7,64}$/i.test(commit) ? undefined : 'must be a commit id: 7 to 64 hexadecimal digits';
}

/** Every problem of a build's git source and revision, each naming its field under `at`. */
export function gitSourceProblems(
  source: { git?: { uri: string; ref?: string } },
  revision: { commit?: string } | undefined,
  policy: GitPolicy,
  at = 'spec',
): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (source.git) {
    const loc = parseGitUri(source.git.uri, policy);
    if ('problem' in loc) out.push({ field: `${at}.source.git.uri`, message: loc.problem });
    const ref = source.git.ref;
    const rp = ref === undefined ? undefined : refProblem(ref);
    if (rp) out.push({ field: `${at}.source.git.ref`, message: rp });
  }
  const cp = revision?.commit === undefined ? undefined : commitProblem(revision.commit);
  if (cp) out.push({ field: `${at}.revision.commit`, message: cp });
  return out;
}
