// Every ECR request the image retention and pruning send (captured from EcrRegistry with
// aws-sdk-client-mock) is allowed by the synthesised policy of the reconcilers that send them, on
// a tenant repository; and the same requests on the platform's own repositories (the builder
// images) are denied. Evaluated offline with @cloud-copilot/iam-simulate.
// AWS documentation: Service Authorization Reference, "Actions, resources, and condition keys for
// Amazon Elastic Container Registry": BatchGetImage, PutImage, BatchDeleteImage,
// DescribeRepositories and ListTagsForResource name the repository resource type
// (arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}).
// The synthesised lifecycle policy of the platform's own repositories is asserted here too.
import { BatchDeleteImageCommand, BatchGetImageCommand, DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { decide, identityPolicy, type PolicyDocument } from '../infra/iam.ts';
import { resourcesOf, statements, synthBerth, text, type Synthesised } from '../infra/synth.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
const DIGEST = `sha256:${'ef'.repeat(32)}`;

const concrete = (value: unknown): string =>
  text(value)
    .replace(/<import:[^>]*RegistryBuilder[^>]*>/g, repoArn('berth/builder'))
    .replace(/<import:[^>]*RegistryS2ipython[^>]*>/g, repoArn('berth/s2i/python'))
    .replace(/<AWS::Partition>/g, 'aws')
    .replace(/<AWS::Region>/g, REGION)
    .replace(/<AWS::AccountId>/g, ACCOUNT);

let synth: Synthesised;
let stream: PolicyDocument;

/** The ECR requests EcrRegistry sends to retain, release and delete images of `project`/`imageStream`. */
async function capturedRequests(project: string, imageStream: string): Promise<{ action: string; resource: string }[]> {
  const ecr = mockClient(ECRClient);
  const name = `berth/${project}/${imageStream}`;
  ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: name, repositoryArn: repoArn(name) }] });
  ecr.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: project }] });
  ecr.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: DIGEST }, imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }], failures: [] });
  ecr.on(PutImageCommand).resolves({});
  ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [], failures: [] });
  const registry = new EcrRegistry({ client: new ECRClient({ region: REGION }), host: HOST, prefix: project === 's2i' ? '' : 'berth' });
  await registry.retainImage(project, imageStream, DIGEST, 'rc-web-1');
  await registry.releaseImage(project, imageStream, 'rc-web-1');
  await registry.deleteImage(project, imageStream, DIGEST);
  const out = ecr.calls().map((c) => {
    const input = c.args[0].input as { repositoryName?: string; repositoryNames?: string[]; resourceArn?: string };
    const action = `ecr:${c.args[0].constructor.name.replace(/Command$/, '')}`;
    return { action, resource: input.resourceArn ?? repoArn(input.repositoryName ?? input.repositoryNames![0]!) };
  });
  ecr.restore();
  return out;
}

const verdict = (call: { action: string; resource: string }) =>
  decide(stream, { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/StreamFunctionRole/berth-stream`, action: call.action, resource: call.resource, accountId: ACCOUNT });

beforeAll(() => {
  synth = synthBerth();
  const found = statements(synth.templates).filter((s) => s.stack === 'controlPlane' && /^StreamFunctionRoleDefaultPolicy/.test(s.holder) && s.actions.some((a) => a.startsWith('ecr:')));
  stream = identityPolicy(found, concrete, (c) => c);
}, 120_000);

describe('image retention and pruning under the reconcilers\' synthesised policy', () => {
  it('every request on a tenant repository is allowed', async () => {
    const calls = await capturedRequests('shop', 'web');
    expect(calls.map((c) => c.action)).toEqual([
      'ecr:BatchGetImage', 'ecr:PutImage',
      'ecr:DescribeRepositories', 'ecr:ListTagsForResource', 'ecr:BatchDeleteImage',
      'ecr:DescribeRepositories', 'ecr:ListTagsForResource', 'ecr:BatchDeleteImage',
    ]);
    for (const call of calls) expect(`${call.action} ${call.resource}: ${await verdict(call)}`).toBe(`${call.action} ${call.resource}: Allowed`);
  });

  it.each(['ecr:PutImage', 'ecr:BatchDeleteImage'])('%s on the platform\'s own repositories is explicitly denied', async (action) => {
    for (const name of ['berth/builder', 'berth/s2i/python']) expect(await verdict({ action, resource: repoArn(name) })).toBe('ExplicitlyDenied');
  });
});

describe('synthesised lifecycle policy of the platform\'s repositories', () => {
  it('keeps the 30 newest images of each (builder images are referenced by tag, never by an RC) and expires nothing by age', () => {
    const repos = resourcesOf(synth.templates.fleet, 'AWS::ECR::Repository');
    expect(repos.length).toBeGreaterThan(1);
    for (const [, props] of repos) {
      const policy = JSON.parse((props.LifecyclePolicy as { LifecyclePolicyText: string }).LifecyclePolicyText) as { rules: { selection: Record<string, unknown>; action: unknown }[] };
      expect(policy.rules.map((r) => [r.selection, r.action])).toEqual([[{ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }, { type: 'expire' }]]);
    }
  });
});
