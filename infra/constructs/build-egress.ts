// The builds' way to the package index on AWS: a CodeArtifact domain with one repository that
// proxies PyPI (an external connection to public:pypi), readable by builds only (the build scope
// role), and the build hosts' security group, which lets out HTTPS alone — to CodeArtifact, the
// AWS APIs the agent uses and git hosts — never any other port of the VPC's addresses. The
// instance metadata service is out of reach of build containers by the hosts' launch template
// (IMDSv2, one hop: a container on Docker's bridge is a hop further and gets no token).
import { Stack } from 'aws-cdk-lib';
import { CfnDomain, CfnRepository } from 'aws-cdk-lib/aws-codeartifact';
import { Peer, Port, type SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Effect, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export const CODEARTIFACT_DOMAIN = 'berth';
export const CODEARTIFACT_REPOSITORY = 'pypi-store';

export class BuildEgress extends Construct {
  readonly domain: CfnDomain;
  readonly repository: CfnRepository;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.domain = new CfnDomain(this, 'Domain', { domainName: CODEARTIFACT_DOMAIN });
    this.repository = new CfnRepository(this, 'PyPI', {
      domainName: CODEARTIFACT_DOMAIN,
      repositoryName: CODEARTIFACT_REPOSITORY,
      description: 'Berth builds: a proxy of PyPI (pip installs through it; packages are cached in the domain)',
      externalConnections: ['public:pypi'],
    });
    this.repository.addResourceDependency(this.domain);
  }

  /** The variables the builder agent reads to point pip at the repository. */
  get environment(): Record<string, string> {
    return { BERTH_CODEARTIFACT_DOMAIN: CODEARTIFACT_DOMAIN, BERTH_CODEARTIFACT_DOMAIN_OWNER: Stack.of(this).account, BERTH_CODEARTIFACT_REPOSITORY: CODEARTIFACT_REPOSITORY };
  }

  /**
   * Lets a build read the one repository: a token for the domain (which also takes
   * sts:GetServiceBearerToken for CodeArtifact), the repository's endpoint and its packages.
   */
  grantRead(role: Role): void {
    const stack = Stack.of(this);
    const domainArn = stack.formatArn({ service: 'codeartifact', resource: 'domain', resourceName: CODEARTIFACT_DOMAIN });
    const repositoryArn = stack.formatArn({ service: 'codeartifact', resource: 'repository', resourceName: `${CODEARTIFACT_DOMAIN}/${CODEARTIFACT_REPOSITORY}` });
    role.addToPolicy(new PolicyStatement({ sid: 'PackageIndexToken', effect: Effect.ALLOW, actions: ['codeartifact:GetAuthorizationToken'], resources: [domainArn] }));
    role.addToPolicy(new PolicyStatement({ sid: 'PackageIndexRead', effect: Effect.ALLOW, actions: ['codeartifact:GetRepositoryEndpoint', 'codeartifact:ReadFromRepository'], resources: [repositoryArn] }));
    role.addToPolicy(new PolicyStatement({
      sid: 'PackageIndexBearerToken', effect: Effect.ALLOW, actions: ['sts:GetServiceBearerToken'], resources: ['*'],
      conditions: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
    }));
  }

  /** The build hosts' only way out: HTTPS. */
  static restrictEgress(group: SecurityGroup): void {
    group.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS only: CodeArtifact, the AWS APIs, git hosts');
  }
}
