// Persistent volume claims on AWS, as synthesised: the encrypted claims file system with a mount
// target per private subnet, NFS open to the tenant hosts and the claims function only, a file
// system policy that refuses requests without TLS and grants anonymous clients nothing, the
// backup and Infrequent Access choices from context, and the claims function in the VPC with the
// file system's /berth mounted. (Who may do what with it: test/aws/iam-evaluation.test.ts.)
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, synthBerth, type Synthesised } from './synth.ts';

let synth: Synthesised;
let fleet: Template;
beforeAll(() => {
  synth = synthBerth();
  fleet = synth.templates.fleet;
}, 120_000);

const only = (template: Template, type: string) => {
  const found = resourcesOf(template, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

describe('the claims file system', () => {
  it('is one encrypted, Elastic-throughput file system, kept when the stack goes, tagged as Berth\'s', () => {
    const [, fs] = only(fleet, 'AWS::EFS::FileSystem');
    expect(fs).toMatchObject({ Encrypted: true, PerformanceMode: 'generalPurpose', ThroughputMode: 'elastic', BackupPolicy: { Status: 'ENABLED' } });
    expect(fs.LifecyclePolicies).toEqual([{ TransitionToIA: 'AFTER_30_DAYS' }, { TransitionToPrimaryStorageClass: 'AFTER_1_ACCESS' }]);
    expect(fs.FileSystemTags).toEqual(expect.arrayContaining([{ Key: 'berth:managed', Value: 'true' }]));
    fleet.hasResource('AWS::EFS::FileSystem', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('grants anonymous NFS clients nothing and refuses every request without TLS', () => {
    const [, fs] = only(fleet, 'AWS::EFS::FileSystem');
    expect(fs.FileSystemPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'TlsOnly', Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    });
  });

  it('has a mount target in each private subnet, behind its own group: NFS in from the tenant hosts and the claims function, nothing else', () => {
    const targets = resourcesOf(fleet, 'AWS::EFS::MountTarget');
    expect(targets).toHaveLength(2); // maxAzs 2: one private subnet per zone
    const groups = new Set(targets.map(([, t]) => JSON.stringify(t.SecurityGroups)));
    expect(groups.size).toBe(1);
    const groupRef = (targets[0]![1].SecurityGroups as { 'Fn::GetAtt': [string, string] }[])[0]!['Fn::GetAtt'][0];
    const [, group] = resourcesOf(fleet, 'AWS::EC2::SecurityGroup').find(([id]) => id === groupRef)!;
    expect(group.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })]);
    // Rules written inside the group and as separate ingress resources, in either stack.
    const separate = (['fleet', 'controlPlane'] as const).flatMap((n) => resourcesOf(synth.templates[n], 'AWS::EC2::SecurityGroupIngress'))
      .filter(([, r]) => JSON.stringify(r.GroupId).includes(groupRef)).map(([, r]) => r);
    const rules = [...(group.SecurityGroupIngress as Record<string, unknown>[]), ...separate];
    expect(rules.filter((r) => r.CidrIp !== undefined || r.CidrIpv6 !== undefined)).toEqual([]);
    expect(rules.map((r) => [r.FromPort, r.ToPort, r.IpProtocol, JSON.stringify(r.SourceSecurityGroupId)]).sort()).toEqual([
      [2049, 2049, 'tcp', expect.stringMatching(/ClaimsDataSecurityGroup/)],
      [2049, 2049, 'tcp', expect.stringMatching(/TenantHostsSecurityGroup/)],
    ]);
  });

  it('gives the claims function one access point: /berth, as root, made owned by root', () => {
    const [, ap] = only(fleet, 'AWS::EFS::AccessPoint');
    expect(ap).toMatchObject({ RootDirectory: { Path: '/berth', CreationInfo: { OwnerUid: '0', OwnerGid: '0', Permissions: '0711' } }, PosixUser: { Uid: '0', Gid: '0' } });
  });

  it('takes the backup and Infrequent Access choices from context', () => {
    const off = synthBerth({ 'berth:claimBackups': 'off', 'berth:claimsToInfrequentAccessDays': '0' }).templates.fleet;
    const [, fs] = only(off, 'AWS::EFS::FileSystem');
    expect(fs.BackupPolicy).toBeUndefined(); // CloudFormation's default: no automatic backups
    expect(fs.LifecyclePolicies).toBeUndefined();
    expect(() => synthBerth({ 'berth:claimsToInfrequentAccessDays': '45' })).toThrow(/berth:claimsToInfrequentAccessDays must be one of 0, 7, 14, 30, 60, 90, got "45"/);
  });
});

describe('the claims function', () => {
  it('runs in the private subnets with the file system\'s /berth mounted at /mnt/claims, on a schedule, with the claims variables', () => {
    const cp = synth.templates.controlPlane;
    const fn = resourcesOf(cp, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ClaimsFunction'))![1];
    expect(fn.FileSystemConfigs).toEqual([{ Arn: expect.anything(), LocalMountPath: '/mnt/claims' }]);
    expect(JSON.stringify(fn.FileSystemConfigs)).toMatch(/ClaimsFileSystemDataAccessPoint/);
    expect(JSON.stringify((fn.VpcConfig as { SecurityGroupIds: unknown }).SecurityGroupIds)).toMatch(/ClaimsDataSecurityGroup/);
    const vars = Object.keys((fn.Environment as { Variables: Record<string, unknown> }).Variables);
    expect(vars).toEqual(expect.arrayContaining(['TABLE_NAME', 'BERTH_CLAIMS_FILE_SYSTEM_ID', 'BERTH_CLAIMS_FILE_SYSTEM_ARN', 'BERTH_CLAIMS_MOUNT', 'BERTH_POD_ROLE_BOUNDARY_ARN']));
    cp.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClaimsFunction'), 'Arn'] } })] });
  });

  it('is the only function in the VPC: the others reach no file system', () => {
    const inVpc = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').filter(([, f]) => f.VpcConfig || f.FileSystemConfigs).map(([id]) => id);
    expect(inVpc).toEqual([expect.stringMatching(/^ClaimsFunction/)]);
  });
});
