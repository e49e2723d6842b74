// The control plane's Cloud Map rights in the synthesised templates (infra/constructs/service-discovery.ts):
// one customer managed policy, attached to the stream and resync roles only, making namespaces
// only with Berth's tags, touching only Berth-tagged ones, Route 53 only through Cloud Map; and
// the reconciler functions told the VPC their namespaces are made in.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, synthBerth, text, type Synthesised } from './synth.ts';

let synth: Synthesised;
beforeAll(() => {
  synth = synthBerth();
}, 120_000);

describe('service discovery in the control-plane stack', () => {
  it('one Cloud Map policy, for the stream and resync roles only, with its conditions', () => {
    const t = synth.templates.controlPlane;
    // (The control plane's other managed policy is the push connections' posting grant.)
    const policies = resourcesOf(t, 'AWS::IAM::ManagedPolicy').filter(([id]) => !id.startsWith('PushPostPolicy'));
    expect(policies).toHaveLength(1);
    const [, props] = policies[0]!;
    expect(text(props.Roles)).toMatch(/^<StreamFunctionRole[0-9A-F]{8}>,<ResyncFunctionRole[0-9A-F]{8}>$/);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'servicediscovery:CreatePrivateDnsNamespace', Resource: '*',
            Condition: { StringEquals: { 'aws:RequestTag/berth:managed': 'true' }, Null: { 'aws:RequestTag/berth:project': 'false' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['berth:managed', 'berth:project'] } },
          }),
          Match.objectLike({ Action: Match.arrayWith(['servicediscovery:DeleteNamespace', 'servicediscovery:RegisterInstance']), Condition: { StringEquals: { 'aws:ResourceTag/berth:managed': 'true' } } }),
          Match.objectLike({ Action: Match.arrayWith(['route53:ChangeResourceRecordSets']), Condition: Match.objectLike({ Bool: { 'aws:ViaAWSService': 'true' } }) }),
        ]),
      },
    });
  });

  it.each(['Stream', 'Resync'])('the %s function gets BERTH_VPC_ID', (fn) => {
    const fns = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').filter(([id]) => id.startsWith(`${fn}Function`));
    expect(fns).toHaveLength(1);
    expect(text((fns[0]![1].Environment as { Variables: Record<string, unknown> }).Variables.BERTH_VPC_ID)).toMatch(/Vpc/);
  });
});
