// The ECR ImageRegistry's requests, exactly: repositories named berth/<project>/<stream>,
// tagged as Berth's, with the lifecycle policy; logins from GetAuthorizationToken; nothing
// changed or deleted that lacks Berth's tags.
// AWS documentation: Amazon ECR API Reference (CreateRepository, PutLifecyclePolicy,
// DescribeRepositories, ListTagsForResource, GetAuthorizationToken, DeleteRepository) and the ECR
// User Guide, "Automate the cleanup of images by using lifecycle policies in Amazon ECR".
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ImageAlreadyExistsException,
  ListTagsForResourceCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EcrRegistry, lifecyclePolicy } from '../../shared/aws/ecr-registry.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const ARN = 'arn:aws:ecr:eu-west-1:123456789012:repository/berth/demo/hello';
const ecr = mockClient(ECRClient);
let registry: EcrRegistry;

const exists = () => new RepositoryAlreadyExistsException({ message: 'The repository with name already exists', $metadata: {} });
const missing = () => new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} });
const ourTags = [
  { Key: 'berth:managed', Value: 'true' },
  { Key: 'berth:project', Value: 'demo' },
  { Key: 'berth:imagestream', Value: 'hello' },
];
const inputs = (command: Parameters<typeof ecr.commandCalls>[0]) => ecr.commandCalls(command).map((c) => c.args[0].input);

beforeEach(() => {
  ecr.reset();
  registry = new EcrRegistry({ client: new ECRClient({ region: 'eu-west-1' }), host: HOST });
});

describe('EcrRegistry', () => {
  it('names the repository of an image stream berth/<project>/<imagestream> on the registry host', () => {
    expect(registry.repository('demo', 'hello')).toBe(`${HOST}/berth/demo/hello`);
  });

  it('creates a repository tagged as Berth\'s and gives it the lifecycle policy', async () => {
    ecr.on(CreateRepositoryCommand).resolves({ repository: { repositoryArn: ARN, repositoryName: 'berth/demo/hello' } });
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    await registry.ensureRepository('demo', 'hello');
    expect(inputs(CreateRepositoryCommand)).toEqual([
      {
        repositoryName: 'berth/demo/hello',
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        tags: ourTags,
      },
    ]);
    expect(inputs(PutLifecyclePolicyCommand)).toEqual([{ repositoryName: 'berth/demo/hello', lifecyclePolicyText: lifecyclePolicy() }]);
    expect(ecr.calls()).toHaveLength(2);
  });

  // Lifecycle policy rules: https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
  // ("tagStatus": "untagged" with "countType": "sinceImagePushed" expires only images with no tag).
  it('the lifecycle policy expires only untagged images, a day after they were pushed: a tagged image (a build\'s tag, an RC\'s rc- tag) never expires by count or age', () => {
    expect(JSON.parse(lifecyclePolicy())).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'expire untagged images a day after they were pushed',
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    });
  });

  it('an existing repository of Berth\'s for this project is kept, and its policy reapplied', async () => {
    ecr.on(CreateRepositoryCommand).rejects(exists());
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryArn: ARN, repositoryName: 'berth/demo/hello' }] });
    ecr.on(ListTagsForResourceCommand).resolves({ tags: ourTags });
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    await registry.ensureRepository('demo', 'hello');
    expect(inputs(DescribeRepositoriesCommand)).toEqual([{ repositoryNames: ['berth/demo/hello'] }]);
    expect(inputs(ListTagsForResourceCommand)).toEqual([{ resourceArn: ARN }]);
    expect(inputs(PutLifecyclePolicyCommand)).toHaveLength(1);
  });

  it.each([
    ['no tags at all (the platform\'s own berth/s2i/python)', []],
    ['another project\'s tag', [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'other' }]],
    ['berth:managed not "true"', [{ Key: 'berth:managed', Value: 'false' }, { Key: 'berth:project', Value: 'demo' }]],
  ])('an existing repository with %s is refused and left untouched', async (_what, tags) => {
    ecr.on(CreateRepositoryCommand).rejects(exists());
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryArn: ARN }] });
    ecr.on(ListTagsForResourceCommand).resolves({ tags });
    await expect(registry.ensureRepository('demo', 'hello')).rejects.toMatchObject({ status: 409, code: 'NotOwned' });
    expect(ecr.commandCalls(PutLifecyclePolicyCommand)).toHaveLength(0);
  });

  it('deletes a repository of Berth\'s for this project, with its images', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryArn: ARN }] });
    ecr.on(ListTagsForResourceCommand).resolves({ tags: ourTags });
    ecr.on(DeleteRepositoryCommand).resolves({});
    await registry.deleteRepository('demo', 'hello');
    expect(inputs(DeleteRepositoryCommand)).toEqual([{ repositoryName: 'berth/demo/hello', force: true }]);
  });

  it('never deletes a repository without Berth\'s tags for this project', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryArn: ARN }] });
    ecr.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'team', Value: 'payments' }] });
    await expect(registry.deleteRepository('demo', 'hello')).rejects.toMatchObject({ code: 'NotOwned' });
    expect(ecr.commandCalls(DeleteRepositoryCommand)).toHaveLength(0);
  });

  it('deleting a repository that is gone (before or during) is done', async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(missing());
    await registry.deleteRepository('demo', 'hello');
    expect(ecr.calls()).toHaveLength(1);
    ecr.reset();
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryArn: ARN }] });
    ecr.on(ListTagsForResourceCommand).resolves({ tags: ourTags });
    ecr.on(DeleteRepositoryCommand).rejects(missing());
    await registry.deleteRepository('demo', 'hello');
  });

  it('other ECR errors are not swallowed', async () => {
    ecr.on(CreateRepositoryCommand).rejects(new Error('AccessDeniedException'));
    await expect(registry.ensureRepository('demo', 'hello')).rejects.toThrow('AccessDeniedException');
  });

  it('logs in with GetAuthorizationToken and reuses the login until shortly before it expires', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-04T10:00:00Z') });
    try {
      const token = (password: string) => ({
        authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt: new Date('2026-03-04T22:00:00Z'), proxyEndpoint: `https://${HOST}` }],
      });
      ecr.on(GetAuthorizationTokenCommand).resolvesOnce(token('first:pass')).resolves(token('second'));
      expect(await registry.auth()).toEqual({ username: 'AWS', password: 'first:pass', serveraddress: `https://${HOST}` });
      expect(inputs(GetAuthorizationTokenCommand)).toEqual([{}]);
      vi.setSystemTime(new Date('2026-03-04T21:50:00Z'));
      expect((await registry.auth()).password).toBe('first:pass');
      vi.setSystemTime(new Date('2026-03-04T21:56:00Z'));
      expect((await registry.auth()).password).toBe('second');
      expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  describe('keeping and removing single images', () => {
    const DIGEST = `sha256:${'ab'.repeat(32)}`;
    const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: {}, layers: [] });
    const owned = () => {
      ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryArn: ARN }] });
      ecr.on(ListTagsForResourceCommand).resolves({ tags: ourTags });
    };

    // Retagging: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-retag.html (BatchGetImage for
    // the manifest, then PutImage with it and the new tag); API shapes:
    // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html and
    // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
    it('retains an image by giving its manifest a second tag (BatchGetImage, then PutImage)', async () => {
      ecr.on(BatchGetImageCommand).resolves({
        images: [{ registryId: '123456789012', repositoryName: 'berth/demo/hello', imageId: { imageDigest: DIGEST, imageTag: 'latest' }, imageManifest: MANIFEST, imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json' }],
        failures: [],
      });
      ecr.on(PutImageCommand).resolves({ image: { registryId: '123456789012', repositoryName: 'berth/demo/hello', imageId: { imageDigest: DIGEST, imageTag: 'rc-web-3' }, imageManifest: MANIFEST } });
      expect(await registry.retainImage('demo', 'hello', DIGEST, 'rc-web-3')).toBe(true);
      expect(inputs(BatchGetImageCommand)).toEqual([
        { repositoryName: 'berth/demo/hello', imageIds: [{ imageDigest: DIGEST }], acceptedMediaTypes: ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'] },
      ]);
      expect(inputs(PutImageCommand)).toEqual([
        { repositoryName: 'berth/demo/hello', imageManifest: MANIFEST, imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json', imageTag: 'rc-web-3', imageDigest: DIGEST },
      ]);
    });

    it('an image that already has the tag is retained (PutImage\'s ImageAlreadyExistsException)', async () => {
      ecr.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: DIGEST }, imageManifest: MANIFEST, imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json' }], failures: [] });
      ecr.on(PutImageCommand).rejects(new ImageAlreadyExistsException({ message: 'Image with digest and tag already exists', $metadata: {} }));
      expect(await registry.retainImage('demo', 'hello', DIGEST, 'rc-web-3')).toBe(true);
    });

    it('an image that is gone (a failure entry ImageNotFound) is not retained and nothing is put', async () => {
      ecr.on(BatchGetImageCommand).resolves({ images: [], failures: [{ imageId: { imageDigest: DIGEST }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }] });
      expect(await registry.retainImage('demo', 'hello', DIGEST, 'rc-web-3')).toBe(false);
      expect(ecr.commandCalls(PutImageCommand)).toHaveLength(0);
    });

    // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html: "You can remove a tag
    // from an image by specifying the image's tag in your request. When you remove the last tag from an image,
    // the image is deleted from your repository."
    it('releases a tag with BatchDeleteImage by tag, after checking the repository is this project\'s; a tag already gone is fine', async () => {
      owned();
      ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [], failures: [{ imageId: { imageTag: 'rc-web-3' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }] });
      await registry.releaseImage('demo', 'hello', 'rc-web-3');
      expect(inputs(BatchDeleteImageCommand)).toEqual([{ repositoryName: 'berth/demo/hello', imageIds: [{ imageTag: 'rc-web-3' }] }]);
    });

    it('deletes an image by digest (prune) only in a repository of Berth\'s for this project', async () => {
      owned();
      ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [{ imageDigest: DIGEST, imageTag: 'latest' }], failures: [] });
      await registry.deleteImage('demo', 'hello', DIGEST);
      expect(inputs(BatchDeleteImageCommand)).toEqual([{ repositoryName: 'berth/demo/hello', imageIds: [{ imageDigest: DIGEST }] }]);
      ecr.reset();
      ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryArn: ARN }] });
      ecr.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'team', Value: 'payments' }] });
      await expect(registry.deleteImage('demo', 'hello', DIGEST)).rejects.toMatchObject({ code: 'NotOwned' });
      expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(0);
    });

    it('a failure other than ImageNotFound is an error', async () => {
      owned();
      ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [], failures: [{ imageId: { imageDigest: DIGEST }, failureCode: 'KmsError', failureReason: 'KMS key unavailable' }] });
      await expect(registry.deleteImage('demo', 'hello', DIGEST)).rejects.toThrow(/KmsError/);
    });
  });
});
