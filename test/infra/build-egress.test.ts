// The builds' egress on AWS, as synthesised: CodeArtifact's proxy of PyPI, read by builds only
// and only that repository; build hosts that let out HTTPS alone; build containers kept from
// the instance metadata (IMDSv2, one hop). AWS docs: CodeArtifact User Guide, "Add an external
// connection" (public:pypi) and "Using CodeArtifact with VPC endpoints"; EC2 User Guide,
// "Configure the instance metadata options" (a hop limit of 1 keeps containers from tokens).
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, synthBerth } from './synth.ts';

let template: Template;
beforeAll(() => {
  template = synthBerth({}).templates.fleet;
});

const groupOf = (prefix: string) => resourcesOf(template, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith(prefix))![1];
const statementsOf = (prefix: RegExp) =>
  resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([id]) => prefix.test(id))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);

describe('CodeArtifact as the package index', () => {
  it('one domain and one repository with the public:pypi external connection', () => {
    template.resourceCountIs('AWS::CodeArtifact::Domain', 1);
    template.hasResourceProperties('AWS::CodeArtifact::Domain', { DomainName: 'berth' });
    template.hasResourceProperties('AWS::CodeArtifact::Repository', { DomainName: 'berth', RepositoryName: 'pypi-store', ExternalConnections: ['public:pypi'] });
  });

  it('the builder task is told the domain, its owner and the repository', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'berth-builder',
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'BERTH_CODEARTIFACT_DOMAIN', Value: 'berth' }, { Name: 'BERTH_CODEARTIFACT_DOMAIN_OWNER', Value: { Ref: 'AWS::AccountId' } }, { Name: 'BERTH_CODEARTIFACT_REPOSITORY', Value: 'pypi-store' }]) })],
    });
  });

  it('only the build scope may read it, with least privilege: the token of the one domain, the one repository, the bearer token for CodeArtifact alone', () => {
    const build = statementsOf(/^BuildScopeRole/).filter((s) => JSON.stringify(s.Action).match(/codeartifact|GetServiceBearerToken/));
    expect(build.map((s) => s.Sid).sort()).toEqual(['PackageIndexBearerToken', 'PackageIndexRead', 'PackageIndexToken']);
    const bySid = Object.fromEntries(build.map((s) => [s.Sid, s]));
    expect(bySid.PackageIndexToken!.Action).toBe('codeartifact:GetAuthorizationToken');
    expect(JSON.stringify(bySid.PackageIndexToken!.Resource)).toContain(':domain/berth');
    expect(bySid.PackageIndexRead!.Action).toEqual(['codeartifact:GetRepositoryEndpoint', 'codeartifact:ReadFromRepository']);
    expect(JSON.stringify(bySid.PackageIndexRead!.Resource)).toContain(':repository/berth/pypi-store');
    expect(bySid.PackageIndexBearerToken).toMatchObject({ Action: 'sts:GetServiceBearerToken', Resource: '*', Condition: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } } });
    // No other role of the fleet can read packages.
    const others = resourcesOf(template, 'AWS::IAM::Policy').filter(([id]) => !/^BuildScopeRole/.test(id)).map(([, p]) => JSON.stringify(p));
    expect(others.filter((p) => p.includes('codeartifact:'))).toEqual([]);
  });
});

describe("the build hosts' network", () => {
  it('lets out HTTPS alone: no other port, no protocol -1', () => {
    expect(groupOf('BuildHostsSecurityGroup').SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: 'HTTPS only: CodeArtifact, the AWS APIs, git hosts', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }]);
    // Control: the tenant hosts' group is unchanged (all out).
    expect(groupOf('TenantHostsSecurityGroup').SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: '-1' })]);
  });

  it('keeps build containers from the instance metadata: IMDSv2 only, one hop', () => {
    const lt = resourcesOf(template, 'AWS::EC2::LaunchTemplate').find(([id]) => id.startsWith('BuildHosts'))![1].LaunchTemplateData as Record<string, unknown>;
    expect(lt.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
  });
});
