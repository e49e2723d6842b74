// How a build step reaches the package index (and, on AWS, git hosts) and nothing else: the
// port the builder agent opens once per build. Locally a per-build internal Docker network on
// which only the platform's package index answers (docker-egress.ts); on AWS the build host's
// bridge, whose security group lets out only HTTPS to the VPC endpoints and git hosts, with pip
// pointed at CodeArtifact (shared/aws/codeartifact-egress.ts).
import type { EnvVar } from './s2i/types.ts';

/** A network one build's steps run on, and the environment that points pip at its index. */
export interface BuildNetwork {
  /** Docker's NetworkMode for the assemble step (a network's name, or `bridge`). */
  mode: string;
  /** PIP_INDEX_URL and PIP_TRUSTED_HOST, under the BuildConfig's own env (which wins). */
  env: EnvVar[];
  /** Removes what open() made; never throws. */
  close(): Promise<void>;
}

export interface BuildEgress {
  open(build: { project: string; name: string }): Promise<BuildNetwork>;
}

/** The platform's pip settings: PAAS_PIP_INDEX_URL and PAAS_PIP_TRUSTED_HOST. */
export interface PipSettings {
  indexUrl?: string;
  trustedHost?: string;
}

/**
 * pip's environment for an index URL: PIP_INDEX_URL, and PIP_TRUSTED_HOST when the index is
 * plain HTTP (an offline index on a private network) or when one is given.
 * @example pipEnv({ indexUrl: 'http://package-index:8080/simple/' }) // PIP_INDEX_URL=…, PIP_TRUSTED_HOST=package-index
 */
export function pipEnv(p: PipSettings): EnvVar[] {
  if (!p.indexUrl) return [];
  const url = new URL(p.indexUrl);
  const trusted = p.trustedHost ?? (url.protocol === 'http:' ? url.hostname : undefined);
  return [{ name: 'PIP_INDEX_URL', value: p.indexUrl }, ...(trusted ? [{ name: 'PIP_TRUSTED_HOST', value: trusted }] : [])];
}
