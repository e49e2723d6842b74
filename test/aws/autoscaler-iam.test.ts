// Every Auto Scaling request the fleet autoscaler sends (captured from its adapter with
// aws-sdk-client-mock) is allowed by the resync function's synthesised identity policy, and only
// on the tenant hosts' group: the same requests on the build or router hosts' groups are denied,
// and the stream function, which does not run the autoscaler, may send none. Evaluated offline
// with @cloud-copilot/iam-simulate.
// AWS documentation: Service Authorization Reference, "Actions, resources, and condition keys for
// Amazon EC2 Auto Scaling": SetDesiredCapacity, SetInstanceProtection and
// TerminateInstanceInAutoScalingGroup name the autoScalingGroup resource type
// (arn:${Partition}:autoscaling:${Region}:${Account}:autoScalingGroup:${GroupId}:autoScalingGroupName/${GroupFriendlyName});
// DescribeAutoScalingGroups names none (authorised against "*").
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoScalingGroups } from '../../shared/aws/auto-scaling.ts';
import { concreteCondition, decide, identityPolicy, type PolicyDocument } from '../infra/iam.ts';
import { statements, synthBerth, text } from '../infra/synth.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const TENANT = 'Berth-Fleet-TenantHostsASG02E7A98D-1A2B3C4D5E6F';
const groupArn = (name: string) => `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:930d940e-891e-4781-a11a-7b0acd480f03:autoScalingGroupName/${name}`;

/** A synthesised value as the concrete ARN it would be in a deployed account. */
const concrete = (value: unknown): string =>
  text(value)
    .replace(/<import:[^>]*RefTenantHostsASG[^>]*>/g, TENANT)
    .replace(/<AWS::Partition>/g, 'aws')
    .replace(/<AWS::Region>/g, REGION)
    .replace(/<AWS::AccountId>/g, ACCOUNT);

/** What IAM authorises for one Auto Scaling request: the group's ARN, or "*" for a Describe. */
function iamRequestOf(name: string, input: Record<string, unknown>): { action: string; resource: string } {
  const action = `autoscaling:${name.replace(/Command$/, '')}`;
  if (name === 'DescribeAutoScalingGroupsCommand') return { action, resource: '*' };
  // TerminateInstanceInAutoScalingGroup names an instance; IAM authorises it against its group.
  return { action, resource: groupArn((input.AutoScalingGroupName as string | undefined) ?? TENANT) };
}

const asg = mockClient(AutoScalingClient);
const policies: Record<'resync' | 'stream', PolicyDocument> = {} as never;
const decideFor = (role: keyof typeof policies, req: { action: string; resource: string }) =>
  decide(policies[role], { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/berth-${role}`, ...req, accountId: ACCOUNT });

/** Drives the adapter through everything a pass may send, and returns the requests. */
async function captured(): Promise<{ name: string; input: Record<string, unknown> }[]> {
  asg.reset();
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: TENANT, MinSize: 1, MaxSize: 10, DesiredCapacity: 2, DefaultCooldown: 300, AvailabilityZones: ['eu-west-1a'], HealthCheckType: 'EC2', CreatedTime: new Date('2026-11-30T12:00:00Z'), Instances: [] }] });
  asg.on(SetDesiredCapacityCommand).resolves({});
  asg.on(SetInstanceProtectionCommand).resolves({});
  asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({ Activity: { ActivityId: 'a1', AutoScalingGroupName: TENANT, Cause: 'user request', StartTime: new Date(), StatusCode: 'InProgress' } });
  const groups = new AutoScalingGroups(new AutoScalingClient({ region: REGION }));
  await groups.describe(TENANT);
  await groups.setDesired(TENANT, 3);
  await groups.protect(TENANT, ['i-0a1b2c3d4e5f60001'], true);
  await groups.protect(TENANT, ['i-0a1b2c3d4e5f60002'], false);
  await groups.terminate('i-0a1b2c3d4e5f60002');
  return asg.calls().map((c) => {
    const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
    return { name: command.constructor.name, input: command.input };
  });
}

beforeAll(() => {
  const all = statements(synthBerth().templates).filter((s) => s.stack === 'controlPlane');
  policies.resync = identityPolicy(all.filter((s) => /^ResyncFunctionRoleDefaultPolicy/.test(s.holder)), concrete, concreteCondition(concrete));
  policies.stream = identityPolicy(all.filter((s) => /^StreamFunctionRoleDefaultPolicy/.test(s.holder)), concrete, concreteCondition(concrete));
}, 120_000);

describe("the autoscaler's Auto Scaling requests under the synthesised policies", () => {
  it('are every one allowed for the resync function, on the tenant hosts\' group', async () => {
    const calls = await captured();
    expect(calls.map((c) => c.name)).toEqual([
      'DescribeAutoScalingGroupsCommand', 'SetDesiredCapacityCommand', 'SetInstanceProtectionCommand', 'SetInstanceProtectionCommand', 'TerminateInstanceInAutoScalingGroupCommand',
    ]);
    const verdicts: string[] = [];
    for (const c of calls) {
      const req = iamRequestOf(c.name, c.input);
      verdicts.push(`${req.action} on ${req.resource}: ${await decideFor('resync', req)}`);
    }
    expect(verdicts.filter((v) => !v.endsWith(': Allowed'))).toEqual([]);
  });

  it.each(['Berth-Fleet-BuildHostsASG1F2E3D4C-0A9B8C7D6E5F', 'Berth-Router-RouterHostsASG9A8B7C6D-5E4F3A2B1C0D'])(
    'are denied on any other group (%s): scaling, unprotecting, terminating',
    async (other) => {
      for (const action of ['autoscaling:SetDesiredCapacity', 'autoscaling:SetInstanceProtection', 'autoscaling:TerminateInstanceInAutoScalingGroup']) {
        expect(await decideFor('resync', { action, resource: groupArn(other) })).not.toBe('Allowed');
      }
    },
  );

  it('are denied to the stream function, which does not run the autoscaler', async () => {
    expect(await decideFor('stream', { action: 'autoscaling:SetDesiredCapacity', resource: groupArn(TENANT) })).not.toBe('Allowed');
    expect(await decideFor('stream', { action: 'autoscaling:DescribeAutoScalingGroups', resource: '*' })).not.toBe('Allowed');
  });
});
