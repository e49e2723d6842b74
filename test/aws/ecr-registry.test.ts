// The ECR ImageRegistry's requests, exactly: repositories named berth/<project>/<stream>,
// tagged as Berth's, with the lifecycle policy; logins from GetAuthorizationToken; nothing
// changed or deleted that lacks Berth's tags.
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListTagsForResourceCommand,
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
  registry = new EcrRegistry({ client: new ECRClient({ region: 'eu-west-1' }), host: HOST, keepImages: 10 });
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
    expect(inputs(PutLifecyclePolicyCommand)).toEqual([{ repositoryName: 'berth/demo/hello', lifecyclePolicyText: lifecyclePolicy(10) }]);
    expect(ecr.calls()).toHaveLength(2);
  });

  it('the lifecycle policy expires untagged images after a day and keeps the newest N, the "any" rule last', () => {
    expect(JSON.parse(lifecyclePolicy(10))).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'expire untagged images a day after they were pushed',
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: 'keep the 10 newest images',
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
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
});
