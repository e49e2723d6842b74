// The network: a new VPC by default (two AZs, one NAT gateway, rejected-traffic flow logs),
// or an existing VPC looked up by id, and then only then.
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBerth } from '../../infra/berth.ts';
import { FEATURE_FLAGS } from '../../infra/feature-flags.ts';
import { synthBerth, type Synthesised } from './synth.ts';

describe('new VPC (default)', () => {
  let templates: Synthesised['templates'];
  beforeAll(() => {
    templates = synthBerth().templates;
  });

  it('spans two AZs with public subnets for the NLB and private ones for the hosts, one NAT gateway', () => {
    templates.base.resourceCountIs('AWS::EC2::VPC', 1);
    templates.base.resourceCountIs('AWS::EC2::Subnet', 4);
    templates.base.resourceCountIs('AWS::EC2::NatGateway', 1);
    templates.base.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false, CidrBlock: Match.stringLikeRegexp('/20$') });
  });

  it('has free gateway endpoints for S3 (ECR image layers) and DynamoDB, so that traffic skips the NAT gateway', () => {
    for (const service of ['s3', 'dynamodb']) {
      templates.base.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
      });
    }
  });

  it('sends package downloads through the NAT gateway unless CodeArtifact endpoints are asked for', () => {
    templates.base.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
  });

  it('logs rejected traffic to a log group with the configured retention', () => {
    templates.base.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
    templates.base.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('CodeArtifact endpoints (berth:codeArtifactEndpoints=true)', () => {
  // AWS docs: CodeArtifact User Guide, "Working with Amazon VPC endpoints" → "Create VPC endpoints
  // for CodeArtifact": com.amazonaws.<region>.codeartifact.api and .codeartifact.repositories, and
  // private DNS for the repositories endpoint needs the API endpoint's private DNS too.
  it('adds both interface endpoints with private DNS in the hosts\' subnets, reachable on 443 from the VPC', () => {
    const base = synthBerth({ 'berth:codeArtifactEndpoints': 'true' }).templates.base;
    for (const service of ['codeartifact.api', 'codeartifact.repositories']) {
      base.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
        SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('hostsSubnet') }]),
      });
    }
    base.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: { 'Fn::GetAtt': [Match.anyValue(), 'CidrBlock'] } })],
    });
  });

  it('refuses a value that is not true or false, naming the key', () => {
    expect(() => synthBerth({ 'berth:codeArtifactEndpoints': 'yes' })).toThrow(/berth:codeArtifactEndpoints must be one of true, false/);
  });
});

describe('existing VPC (berth:vpcId)', () => {
  const env = { account: '123456789012', region: 'eu-west-1' };
  const synth = (context: Record<string, unknown>, withEnv = true) => {
    const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [], ...context } });
    createBerth(app, { env: withEnv ? env : undefined });
    return app.synth();
  };

  it('is looked up by id (the CLI fills the lookup in with credentials), and no VPC is made', () => {
    const assembly = synth({ 'berth:vpcId': 'vpc-0123456789abcdef0' });
    const lookups = assembly.manifest.missing ?? [];
    expect(lookups.map((m) => m.provider)).toEqual(['vpc-provider']);
    expect(lookups[0]!.props).toMatchObject({ account: env.account, region: env.region, filter: { 'vpc-id': 'vpc-0123456789abcdef0' } });
    expect(assembly.getStackByName('Berth-Base').template.Resources).not.toHaveProperty('Vpc8378EB38');
    expect(JSON.stringify(assembly.getStackByName('Berth-Base').template)).not.toContain('AWS::EC2::VPC');
  });

  it('is never looked up without berth:vpcId: offline (no account, as without credentials) nothing is looked up at all', () => {
    expect(synth({}, false).manifest.missing ?? []).toEqual([]);
  });
});
