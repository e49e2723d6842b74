// What the AWS build path needs from the infrastructure: the sources bucket (private, encrypted,
// TLS only, a week's life), each principal's part of it (the API uploads, the builder reads, the
// reconcilers delete, all under sources/), the builder's table and ECR grants for its logs,
// status and target repository, the variables that wire it all, and the stream filter that
// keeps build log writes from invoking the reconcilers.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STREAM_FILTER } from '../../infra/stacks/control-plane-stack.ts';
import { wakeRefOfKey } from '../../shared/idling/signals.ts';
import { OBJECT_PARTITION_PREFIXES, refOfKey } from '../../shared/store/keys.ts';
import { topicsOfKeys } from '../../shared/push/topics.ts';
import { resourcesOf, statements, synthBerth, text, type Statement, type Synthesised } from './synth.ts';

let synth: Synthesised;
let state: Template;
let allows: Statement[];
beforeAll(() => {
  synth = synthBerth();
  state = synth.templates.state;
  allows = statements(synth.templates).filter((s) => s.effect === 'Allow');
});

const SOURCES_OBJECTS = /^<(import:[^>]*)?SourcesBucket[0-9A-F]{8}[^>]*>\/sources\/\*$/;
const SOURCES_BUCKET = /^<(import:[^>]*)?SourcesBucket[0-9A-F]{8}[^>]*>$/;
const touchesSources = (s: Statement) => s.resources.some((r) => /SourcesBucket/.test(r)) && s.holderType !== 'AWS::S3::BucketPolicy';
/** Every action each role may take on the sources bucket, sorted. */
function sourcesActionsByRole(): Record<string, string[]> {
  const byRole: Record<string, string[]> = {};
  for (const s of allows.filter(touchesSources)) {
    const role = s.holder.replace(/DefaultPolicy\w+$/, '');
    byRole[role] = [...(byRole[role] ?? []), ...s.actions].sort();
  }
  return byRole;
}
const envOf = (description: string) => {
  const [, props] = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').find(([, p]) => p.Description === description)!;
  return Object.fromEntries(Object.entries((props.Environment as { Variables: Record<string, unknown> }).Variables).map(([k, v]) => [k, text(v)]));
};

describe('sources bucket', () => {
  it('is private, owner-enforced, encrypted with S3-managed keys, and refuses requests without TLS', () => {
    state.resourceCountIs('AWS::S3::Bucket', 1);
    state.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    state.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('expires uploaded sources after 7 days (and unfinished uploads after one)', () => {
    state.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Id: 'expire-uploaded-sources', Prefix: 'sources/', ExpirationInDays: 7, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }] },
    });
  });

  it('outlives `cdk destroy` (CloudFormation cannot delete a bucket with objects) and names itself in an output', () => {
    state.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    expect(text(state.findOutputs('SourcesBucketName').SourcesBucketName!.Value)).toMatch(/^<SourcesBucket/);
  });
});

describe('who may do what with uploaded sources', () => {
  it('the API uploads, a build reads its own (and lists its project\'s, for 404 on a missing upload), the reconcilers delete; nobody else', () => {
    expect(sourcesActionsByRole()).toEqual({
      ApiFunctionRole: ['s3:PutObject'],
      BuildScopeRole: ['s3:GetObject', 's3:ListBucket'],
      StreamFunctionRole: ['s3:DeleteObject'],
      ResyncFunctionRole: ['s3:DeleteObject'],
    });
  });

  it('objects only under sources/, and the bucket itself only for ListBucket', () => {
    for (const s of allows.filter(touchesSources)) {
      // A build's own upload: sources/<its project>/<its build>.tar, by its session tags.
      if (s.holder.startsWith('BuildScopeRole') && s.actions.includes('s3:GetObject')) {
        expect(s.resources).toEqual([expect.stringMatching(/\/sources\/\$\{aws:PrincipalTag\/berth-project\}\/\$\{aws:PrincipalTag\/berth-build\}\.tar$/)]);
        continue;
      }
      const pattern = s.actions.includes('s3:ListBucket') ? SOURCES_BUCKET : SOURCES_OBJECTS;
      expect(s.actions.length === 1 || !s.actions.includes('s3:ListBucket'), s.holder).toBe(true);
      for (const r of s.resources) expect(r, `${s.holder}: ${s.actions.join()}`).toMatch(pattern);
    }
  });
});

describe('a build on AWS (its scope: test/security/builder-iam.test.ts evaluates it)', () => {
  const builderAllows = () => allows.filter((s) => s.holder.startsWith('BuildScopeRole'));

  it('writes build status and logs in the table (DynamoBuildLogs appends with UpdateItem and PutItem)', () => {
    const table = builderAllows().filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
    const actions = table.flatMap((s) => s.actions);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']));
    for (const s of table) for (const r of s.resources) expect(r).toMatch(/Table/);
  });

  it('creates its target repository with Berth\'s tags and lifecycle policy, under berth/ only, and may delete none', () => {
    const ecr = builderAllows().flatMap((s) => s.actions.filter((a) => a.startsWith('ecr:')).map((a) => [a, s.resources] as const));
    const ensure = ['ecr:CreateRepository', 'ecr:TagResource', 'ecr:DescribeRepositories', 'ecr:ListTagsForResource', 'ecr:PutLifecyclePolicy'];
    for (const action of ensure) {
      const [, resources] = ecr.find(([a]) => a === action)!;
      expect(resources).toEqual([expect.stringMatching(/:repository\/berth\/\$\{aws:PrincipalTag\/berth-project\}\/\*$/)]);
    }
    expect(ecr.map(([a]) => a)).not.toContain('ecr:DeleteRepository');
  });
});

describe('variables', () => {
  it('give the API the sources bucket and the builder images new-app offers, from the S2I repositories', () => {
    const env = envOf('Berth REST API');
    expect(env.BERTH_SOURCES_BUCKET).toMatch(/SourcesBucket/);
    expect(env.BERTH_BUILDER_IMAGES).toBe('python=<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/berth/s2i/python:latest');
  });

  it('give both reconciler functions the sources bucket and what the ECS launcher reads', () => {
    for (const description of ['Reconcilers driven by the table stream', 'Periodic resync and ECS task state changes']) {
      const env = envOf(description);
      expect(env.BERTH_SOURCES_BUCKET, description).toMatch(/SourcesBucket/);
      expect(Object.keys(env), description).toEqual(expect.arrayContaining(['TABLE_NAME', 'BERTH_CLUSTER', 'BERTH_BUILD_CAPACITY_PROVIDER', 'BERTH_BUILDER_TASK_DEFINITION']));
    }
  });

  it('give the webhooks function nothing of the sources', () => {
    expect(Object.keys(envOf('Berth webhooks (GitHub, GitLab, generic)')).filter((k) => /SOURCES|BUILDER_IMAGES/.test(k))).toEqual([]);
  });
});

describe('stream filter', () => {
  it('invokes the stream function only for objects\' records, the routers\' wake requests and build log writes', () => {
    synth.templates.controlPlane.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ prefix: 'P#' }, { prefix: 'C#' }, { prefix: 'F#wake' }, { prefix: 'L#' }] } } } }) }] },
    });
    expect(STREAM_FILTER.dynamodb.Keys.pk.S.map((p) => p.prefix)).toEqual([...OBJECT_PARTITION_PREFIXES, 'F#wake', 'L#']);
  });

  // [what, pk, sk, reconciled, told to push connections]
  it.each([
    ['an object in a project', 'P#demo', 'Build#web-1', true, true],
    ['a cluster-scoped object', 'C#Project', 'demo', true, false],
    ['a build log chunk', 'L#demo/web-1', '000000000000', false, true],
    ['a build log length', 'L#demo/web-1', 'len', false, true],
    ["a router's activity report", 'F#active', 'demo/web', false, false],
    ["a router's wake request", 'F#wake', 'demo/web', true, false],
    ["a push connection's own item", 'W#c/AbCdEf=', 'conn', false, false],
    ["a project's push subscription", 'W#p/demo', 'pods AbCdEf=', false, false],
  ])('lets through exactly what the stream handler reconciles or tells push connections of: %s', (_name, pk, sk, reconciled, told) => {
    expect(STREAM_FILTER.dynamodb.Keys.pk.S.some((p) => pk.startsWith(p.prefix))).toBe(reconciled || told);
    expect((refOfKey({ pk, sk }) ?? wakeRefOfKey({ pk, sk })) !== undefined).toBe(reconciled);
    expect(topicsOfKeys([{ pk, sk }]).length > 0).toBe(told);
  });
});
