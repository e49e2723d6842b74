// The build egress on AWS: pip installs from an AWS CodeArtifact repository that proxies PyPI
// (an external connection to public:pypi). For each build the agent, holding the build scope's
// credentials, fetches an authorization token (GetAuthorizationToken, which needs
// sts:GetServiceBearerToken too) and the repository's PyPI endpoint (GetRepositoryEndpoint), and
// hands pip `https://aws:<token>@<endpoint>simple/` — the URL `aws codeartifact login --tool pip`
// writes (CodeArtifact User Guide, "Configure and use pip with CodeArtifact"). The token is a
// build-only variable: never committed into the image. The steps run on the build host's bridge,
// whose security group lets out only HTTPS (infra/constructs/build-egress.ts).
import { GetAuthorizationTokenCommand, GetRepositoryEndpointCommand, type CodeartifactClient } from '@aws-sdk/client-codeartifact';
import type { BuildEgress, BuildNetwork } from '../builds/egress.ts';
import { pipEnv } from '../builds/egress.ts';

export interface CodeArtifactEgressOptions {
  client: CodeartifactClient;
  domain: string;
  /** The account that owns the domain (BERTH_CODEARTIFACT_DOMAIN_OWNER). */
  domainOwner: string;
  repository: string;
  /**
   * Lifetime of the token in seconds; 0 (the default) ties it to the build's own credentials,
   * which last an hour at most (GetAuthorizationToken's durationSeconds).
   */
  durationSeconds?: number;
}

/**
 * pip's index URL for a CodeArtifact PyPI endpoint and token: the user `aws`, the token as the
 * password, `simple/` under the endpoint.
 * @example codeArtifactIndexUrl('https://d-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/', 't') // 'https://aws:t@d-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/'
 */
export function codeArtifactIndexUrl(endpoint: string, token: string): string {
  const url = new URL(endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  url.username = 'aws';
  url.password = token;
  url.pathname = `${url.pathname}simple/`;
  return url.toString();
}

export class CodeArtifactEgress implements BuildEgress {
  constructor(private readonly opts: CodeArtifactEgressOptions) {}

  async open(): Promise<BuildNetwork> {
    const { client, domain, domainOwner, repository } = this.opts;
    const [token, endpoint] = await Promise.all([
      client.send(new GetAuthorizationTokenCommand({ domain, domainOwner, durationSeconds: this.opts.durationSeconds ?? 0 })),
      client.send(new GetRepositoryEndpointCommand({ domain, domainOwner, repository, format: 'pypi' })),
    ]);
    if (!token.authorizationToken || !endpoint.repositoryEndpoint) throw new Error(`CodeArtifact gave no token or endpoint for ${domain}/${repository}`);
    return {
      mode: 'bridge',
      env: pipEnv({ indexUrl: codeArtifactIndexUrl(endpoint.repositoryEndpoint, token.authorizationToken) }),
      close: async () => {},
    };
  }
}

/** A fixed index (PAAS_PIP_INDEX_URL) on the build host's bridge, where the host's security group decides what is reachable. */
export class StaticIndexEgress implements BuildEgress {
  constructor(private readonly env: ReturnType<typeof pipEnv>) {}

  async open(): Promise<BuildNetwork> {
    return { mode: 'bridge', env: this.env, close: async () => {} };
  }
}
