// Which addresses an image import may read from. The API checks the source's name before it
// copies or starts a task, and every connection of the copy itself (the source registry, its
// token service, the blob storage it redirects to) is checked again as it is opened
// (pinned-fetch.ts), so a name that answers differently the second time, or a redirect, cannot
// lead the copy onto the platform's own machine or network.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../errors.ts';
import { addressProblem } from '../builds/git-source.ts';
import { importFailure } from './import-outcome.ts';

export interface SourcePolicy {
  /**
   * Loopback and private addresses are allowed (test registries, development): the platform's
   * `allowPrivateSources`. Link-local addresses (the instance metadata service) never are.
   */
  allowPrivate: boolean;
  /** Looks a host name up, every address (dns.lookup by default); tests pass their own. */
  resolve?: (host: string) => Promise<string[]>;
}

/** The policy of a shared platform: only public addresses. */
export const PUBLIC_SOURCES: SourcePolicy = { allowPrivate: false };

/** Refused even where private sources are allowed: nothing a registry lives on, and where the metadata service answers. */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addSubnet('fd00:ec2::', 32, 'ipv6');

/** Why an import may not connect to this address, or undefined when it may. */
export function sourceAddressProblem(address: string, policy: SourcePolicy): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  if (!policy.allowPrivate) return addressProblem(ip, { allowLocal: false });
  return LINK_LOCAL.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4') ? 'a link-local address (the instance metadata service)' : undefined;
}

/** The policy's refusal: a 422 naming `from`, and the import task's SourceRefused. */
export function sourceRefused(detail: string): ValidationError {
  return importFailure(ValidationError.field('from', `names a registry on the platform's own machine or network: ${detail}`), 'SourceRefused');
}

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

/**
 * Every address `host` has now, each checked against the policy; throws the policy's refusal
 * if any is refused (an address literal is checked as it is).
 * @example await checkedAddresses('quay.io', PUBLIC_SOURCES) // ['3.…', …]
 */
export async function checkedAddresses(host: string, policy: SourcePolicy): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const addresses = isIP(bare) ? [bare] : await (policy.resolve ?? defaultResolve)(bare);
  if (!addresses.length) throw new Error(`${host} has no address`);
  for (const a of addresses) {
    const problem = sourceAddressProblem(a, policy);
    if (problem) throw sourceRefused(`${bare} ${bare === a ? 'is' : `resolves to ${a},`} ${problem}`);
  }
  return addresses;
}

/** The policy of a platform's settings (RegistryDeps, ImageImportTasks): private sources only where allowed. */
export function sourcePolicyOf(settings: { readonly allowPrivateSources?: boolean; readonly resolveSource?: SourcePolicy['resolve'] }): SourcePolicy {
  return { allowPrivate: settings.allowPrivateSources ?? false, ...(settings.resolveSource ? { resolve: settings.resolveSource } : {}) };
}
