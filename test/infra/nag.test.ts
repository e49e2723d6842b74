// cdk-nag's AwsSolutions pack over every stack: no unsuppressed error or warning, both with no
// context at all and with every optional part switched on (domain, zone, alarm e-mail, x86).
// And the tags that let an operator find (and bill) everything Berth made.
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FULL_CONTEXT, resourcesOf, STACK_NAMES, synthBerth, type Synthesised } from './synth.ts';

const variants: [string, Record<string, unknown>][] = [['no context', {}], ['every option on', FULL_CONTEXT]];

describe.each(variants)('cdk-nag AwsSolutions with %s', (_name, context) => {
  let synth: Synthesised;
  beforeAll(() => {
    synth = synthBerth(context);
  });

  it.each(STACK_NAMES)('%s stack has no unsuppressed AwsSolutions error or warning', (name) => {
    const findings = synth.messages[name].filter((m) => m.level !== 'info' && m.text.includes('AwsSolutions-'));
    expect(findings.map((m) => `${m.id}: ${m.text}`)).toEqual([]);
  });

  it('leaves no other error or warning in any stack', () => {
    for (const name of STACK_NAMES) expect(synth.messages[name].filter((m) => m.level !== 'info'), name).toEqual([]);
  });
});

describe('cdk-nag itself', () => {
  it('does run: an unencrypted, unsuppressed queue added to a stack is reported', () => {
    const synth = synthBerth({}, { before: (berth) => void new Queue(berth.controlPlane, 'Careless', { encryption: QueueEncryption.UNENCRYPTED }) });
    const findings = synth.messages.controlPlane.filter((m) => m.id.includes('/Careless/')).map((m) => m.text);
    expect(findings).toEqual(expect.arrayContaining([expect.stringContaining('AwsSolutions-SQS2'), expect.stringContaining('AwsSolutions-SQS3')]));
  });
});

describe('tags', () => {
  let synth: Synthesised;
  beforeAll(() => {
    synth = synthBerth();
  });

  /** Resource types that take tags, with where they keep them. */
  const TAGGABLE = [
    'AWS::DynamoDB::GlobalTable', 'AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue',
    'AWS::SNS::Topic', 'AWS::EC2::VPC', 'AWS::EC2::SecurityGroup', 'AWS::ECS::Cluster', 'AWS::ECS::TaskDefinition',
    'AWS::ECR::Repository', 'AWS::AutoScaling::AutoScalingGroup', 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    'AWS::ApiGatewayV2::Api', 'AWS::SecretsManager::Secret', 'AWS::Events::Rule',
  ];

  const tagsOf = (props: Record<string, unknown>): Record<string, string> => {
    const raw = (props.Tags ?? (props.Replicas as { Tags?: unknown }[] | undefined)?.[0]?.Tags) as unknown;
    if (Array.isArray(raw)) return Object.fromEntries(raw.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    return (raw ?? {}) as Record<string, string>;
  };

  it('marks every taggable resource app=berth and with its component', () => {
    let checked = 0;
    for (const name of STACK_NAMES) {
      const component = name;
      for (const type of TAGGABLE) {
        for (const [id, props] of resourcesOf(synth.templates[name], type)) {
          expect(tagsOf(props), `${name}/${id} (${type})`).toMatchObject({ app: 'berth', 'berth:component': component });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('propagates the tags to the hosts the Auto Scaling groups launch', () => {
    for (const name of ['fleet', 'router'] as const) {
      for (const [id, props] of resourcesOf(synth.templates[name], 'AWS::AutoScaling::AutoScalingGroup')) {
        expect(props.Tags, id).toEqual(expect.arrayContaining([{ Key: 'app', Value: 'berth', PropagateAtLaunch: true }]));
      }
    }
  });
});

describe('teardown', () => {
  // The sources bucket holds no lasting data, but CloudFormation cannot delete a bucket with
  // objects in it, and emptying it would take a custom-resource function: docs/aws.md removes it.
  it('keeps exactly the data on `cdk destroy` (table, secrets key, ECR repositories, the claims file system) and the sources bucket, and removes the rest', () => {
    const { templates } = synthBerth();
    const kept = [...new Set(STACK_NAMES.flatMap((name) => Object.values(templates[name].toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
      .filter((r) => r.DeletionPolicy === 'Retain').map((r) => r.Type)))].sort();
    expect(kept).toEqual(['AWS::DynamoDB::GlobalTable', 'AWS::ECR::Repository', 'AWS::EFS::FileSystem', 'AWS::KMS::Key', 'AWS::S3::Bucket']);
  });
});
