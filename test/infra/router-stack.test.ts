// The routers: HAProxy hosts running the router agent, behind an NLB passing TCP 80/443,
// allowed to reach the tenant hosts' published ports, and the optional wildcard record.
// AWS documentation: Elastic Load Balancing, "Listeners for your Network Load Balancers" (TCP
// listeners pass TLS through to the targets); AWS Secrets Manager User Guide (GetSecretValue on the
// routers' one shared default certificate, instead of a self-signed one per router).
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { routerBootCommands, ROUTER_MAIN } from '../../infra/router-user-data.ts';
import { FULL_CONTEXT, resourcesOf, synthBerth, text, type Synthesised } from './synth.ts';

let synth: Synthesised;
let template: Template;
beforeAll(() => {
  // A stand-in entry for the agent, so the artefact path is exercised whatever exists in agents/.
  synth = synthBerth({}, { routerAgentEntry: 'functions/reconcilers/resync.ts' });
  template = synth.templates.router;
});

const userData = (t: Template) => text((resourcesOf(t, 'AWS::EC2::LaunchTemplate')[0]![1].LaunchTemplateData as { UserData: unknown }).UserData);

describe('router load balancer', () => {
  it('is an internet-facing NLB in public subnets with TCP 80 and 443 passed straight to the routers', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internet-facing' });
    for (const port of [80, 443]) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: port, Protocol: 'TCP' });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: port, Protocol: 'TCP', TargetType: 'instance', HealthCheckProtocol: 'TCP' });
    }
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
  });

  it('lets the world reach the load balancer on 80 and 443 only, and the routers only from the load balancer', () => {
    const [, lbSg] = resourcesOf(template, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('LoadBalancerSecurityGroup'))!;
    expect((lbSg.SecurityGroupIngress as { CidrIp: string; FromPort: number }[]).map((r) => `${r.CidrIp}:${r.FromPort}`).sort()).toEqual(['0.0.0.0/0:443', '0.0.0.0/0:80']);
    const hostIngress = resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').filter(([, p]) => text(p.GroupId).includes('HostSecurityGroup'));
    expect(hostIngress.map(([, p]) => [text(p.SourceSecurityGroupId), p.FromPort])).toEqual([
      [expect.stringContaining('LoadBalancerSecurityGroup'), 80],
      [expect.stringContaining('LoadBalancerSecurityGroup'), 443],
    ]);
  });

  it('opens nothing on the tenant hosts to the routers: pods are reached through their project groups', () => {
    const onTenantHosts = resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').filter(([, p]) => text(p.GroupId).includes('TenantHostsSecurityGroup'));
    expect(onTenantHosts).toEqual([]);
  });
});

describe('router hosts', () => {
  it('run AL2023 (arm64 by default) with IMDSv2 (one hop) and encrypted disks, two by default, in private subnets', () => {
    const data = resourcesOf(template, 'AWS::EC2::LaunchTemplate')[0]![1].LaunchTemplateData as Record<string, unknown>;
    expect(data).toMatchObject({ InstanceType: 't4g.small', MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 }, BlockDeviceMappings: [{ Ebs: { Encrypted: true } }] });
    const params = Object.values(template.toJSON().Parameters as Record<string, { Default: string }>).map((p) => p.Default);
    expect(params).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64');
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '2', MaxSize: '2', HealthCheckType: 'ELB' });
  });

  it('replace one router at a time when their boot changes (a new agent artefact)', () => {
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', { UpdatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 1, MinInstancesInService: 1 } } });
  });

  it('fetch the agent artefact from the asset bucket and run it under systemd with the table and apps domain', () => {
    const boot = userData(template);
    expect(boot).toMatch(/aws s3 cp 's3:\/\/cdk-[^/]+-assets-<AWS::AccountId>-<AWS::Region>\/[0-9a-f]{64}\.zip' \/tmp\/berth-router\.zip/);
    expect(boot).toContain('systemctl enable --now berth-router.service');
    expect(boot).toMatch(/Environment=TABLE_NAME=<import:Berth-State:ExportsOutputRefTable/);
    expect(boot).toContain('Environment=BERTH_APPS_DOMAIN=apps.berth.invalid');
    expect(boot).toContain('Environment=PAAS_ROUTER_HTTP_PORT=80');
    // One default certificate for every router, from the secret the operator fills.
    expect(boot).toMatch(/Environment=BERTH_ROUTER_CERT_SECRET=<DefaultCertificate[0-9A-F]{8}>/);
  });

  it('may read the shared default certificate secret, and no other secret', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const secrets = resourcesOf(template, 'AWS::IAM::Policy')
      .flatMap(([, p]) => (p.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement)
      .filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.map((st) => [[st.Action].flat().sort(), text(st.Resource)])).toEqual([[['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], expect.stringMatching(/^<DefaultCertificate[0-9A-F]{8}>$/)]]);
  });

  it('may read the table (routes and endpoints) and the artefact, and write only the idler\'s two partitions', () => {
    const statements = resourcesOf(template, 'AWS::IAM::Policy').flatMap(([, p]) => (p.PolicyDocument as { Statement: { Action: string | string[]; Condition?: unknown }[] }).Statement);
    const actions = statements.flatMap((s) => [s.Action].flat());
    const writes = statements.filter((s) => [s.Action].flat().some((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)));
    // Requests seen and requests held for idled Services (F#active, F#wake), nothing else.
    expect(writes.map((s) => [s.Action].flat())).toEqual([['dynamodb:UpdateItem']]);
    expect(writes[0]!.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['F#active', 'F#wake'] }, Null: { 'dynamodb:LeadingKeys': 'false' } });
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 's3:GetObject']));
    expect(actions.filter((a) => /secretsmanager:(Put|Update|Delete|Create)/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual(['s3:GetObject']);
  });

  it('without an agent: no artefact, EC2 health only (nothing listens, so ELB health would churn hosts), and a notice on the host', () => {
    const t = synthBerth({}, { routerAgentEntry: null }).templates.router;
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { HealthCheckType: 'EC2' });
    expect(userData(t)).not.toContain('aws s3 cp');
    expect(userData(t)).toContain('no router agent artefact in this deployment');
  });
});

describe('DNS', () => {
  it('makes no record without a hosted zone, and *.apps.<domain> → the NLB with one', () => {
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    synthBerth(FULL_CONTEXT).templates.router.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: '*.apps.berth.example.com.', Type: 'A', HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: { DNSName: Match.anyValue(), HostedZoneId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LoadBalancer'), 'CanonicalHostedZoneID'] } },
    });
  });
});

describe('routerBootCommands', () => {
  it.each([['with', { bucket: 'b', key: 'k.zip' }], ['without', undefined]])('is a valid bash script %s an artefact (bash -n)', (_w, artefact) => {
    const script = ['#!/bin/bash', ...routerBootCommands({ artefact, environment: { TABLE_NAME: 'Berth-State-Table-1', BERTH_APPS_DOMAIN: 'apps.example.com' } })].join('\n');
    expect(() => execFileSync('bash', ['-n'], { input: script })).not.toThrow();
  });

  it('installs HAProxy and Node 22 and starts the agent only when its bundle is there', () => {
    const lines = routerBootCommands({ environment: { A: 'b' } });
    expect(lines).toContain('dnf install -y haproxy nodejs22 unzip');
    expect(lines).toContain(`ConditionPathExists=${ROUTER_MAIN}`);
    expect(lines).toContain('Environment=A=b');
    expect(lines).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE');
    expect(lines.some((l) => l.startsWith('aws s3 cp'))).toBe(false);
  });
});

describe('stack order', () => {
  it('deploys Base, State, Fleet, Router, ControlPlane in that order, with no stack depending on a later one', () => {
    const order = ['base', 'state', 'fleet', 'router', 'controlPlane'] as const;
    order.forEach((name, i) => {
      const later = order.slice(i + 1).map((n) => synth.berth[n].stackName);
      expect(synth.berth[name].dependencies.map((d) => d.stackName).filter((d) => later.includes(d)), name).toEqual([]);
    });
    expect(synth.berth.router.dependencies.map((d) => d.stackName)).toContain('Berth-Fleet');
  });
});
