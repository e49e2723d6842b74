// An ECR registry's repositories and images behind aws-sdk-client-mock, answering in the shapes of
// the ECR API Reference: "DescribeRepositories" (repositories[] {repositoryArn, registryId,
// repositoryName, repositoryUri, createdAt, imageTagMutability}, nextToken), "DescribeImages"
// (imageDetails[] {registryId, repositoryName, imageDigest, imageTags, imageSizeInBytes,
// imagePushedAt, imageManifestMediaType}, nextToken; RepositoryNotFoundException),
// "ListTagsForResource" (tags[] {Key, Value}), "DeleteRepository" (repository). Pages are
// short (ECR may answer fewer items than maxResults and a nextToken), so that paging is exercised.
// Every request is recorded as sent (a paginator reuses its input object between pages).
import {
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  RepositoryNotFoundException,
  type ECRClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ecr';
import type { AwsStub } from 'aws-sdk-client-mock';

export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';
export const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const arnOf = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
export const digest = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;

export interface FakeImage {
  digest: string;
  tags: string[];
  mediaType?: string;
}

export interface FakeRepository {
  name: string;
  /** The repository's resource tags; Berth's own (berth:managed, berth:project) when absent. */
  tags?: Record<string, string>;
  images?: FakeImage[];
}

/** Berth's tags for a repository `berth/<project>/<stream>`. */
const berthTags = (name: string) => ({ 'berth:managed': 'true', 'berth:project': name.split('/')[1]!, 'berth:imagestream': name.split('/')[2]! });

export class FakeEcr {
  readonly sent: { command: string; input: Record<string, unknown> }[] = [];

  constructor(
    ecr: AwsStub<ServiceInputTypes, ServiceOutputTypes, ECRClientResolvedConfig>,
    readonly repositories: FakeRepository[],
    private readonly pageSize = 2,
  ) {
    const log = (command: string, input: object) => this.sent.push({ command, input: structuredClone(input) as Record<string, unknown> });
    ecr.on(DescribeRepositoriesCommand).callsFake((input: { nextToken?: string; maxResults?: number }) => {
      log('DescribeRepositories', input);
      const { items, nextToken } = this.page(this.repositories, input);
      return {
        repositories: items.map((r) => ({
          repositoryArn: arnOf(r.name), registryId: ACCOUNT, repositoryName: r.name, repositoryUri: `${HOST}/${r.name}`,
          createdAt: new Date('2026-11-01T10:00:00Z'), imageTagMutability: 'MUTABLE',
        })),
        nextToken,
      };
    });
    ecr.on(DescribeImagesCommand).callsFake((input: { repositoryName: string; nextToken?: string; maxResults?: number; filter?: { tagStatus?: string } }) => {
      log('DescribeImages', input);
      const repo = this.repositories.find((r) => r.name === input.repositoryName);
      if (!repo) throw new RepositoryNotFoundException({ message: `The repository with name '${input.repositoryName}' does not exist in the registry with id '${ACCOUNT}'`, $metadata: {} });
      const images = (repo.images ?? []).filter((i) => input.filter?.tagStatus !== 'TAGGED' || i.tags.length > 0);
      const { items, nextToken } = this.page(images, input);
      return {
        imageDetails: items.map((i) => ({
          registryId: ACCOUNT, repositoryName: repo.name, imageDigest: i.digest, imageTags: i.tags.length ? i.tags : undefined,
          imageSizeInBytes: 31_457_280, imagePushedAt: new Date('2026-12-01T09:00:00Z'), imageManifestMediaType: i.mediaType ?? MANIFEST,
        })),
        nextToken,
      };
    });
    ecr.on(ListTagsForResourceCommand).callsFake((input: { resourceArn: string }) => {
      log('ListTagsForResource', input);
      const repo = this.repositories.find((r) => arnOf(r.name) === input.resourceArn)!;
      return { tags: Object.entries(repo.tags ?? berthTags(repo.name)).map(([Key, Value]) => ({ Key, Value })) };
    });
    ecr.on(DeleteRepositoryCommand).callsFake((input: { repositoryName: string; force?: boolean }) => {
      log('DeleteRepository', input);
      const at = this.repositories.findIndex((r) => r.name === input.repositoryName);
      if (at < 0) throw new RepositoryNotFoundException({ message: `The repository with name '${input.repositoryName}' does not exist`, $metadata: {} });
      const [gone] = this.repositories.splice(at, 1);
      return { repository: { repositoryArn: arnOf(gone!.name), registryId: ACCOUNT, repositoryName: gone!.name, repositoryUri: `${HOST}/${gone!.name}` } };
    });
  }

  names(): string[] {
    return this.repositories.map((r) => r.name);
  }

  private page<T>(all: T[], input: { nextToken?: string; maxResults?: number }): { items: T[]; nextToken?: string } {
    const start = Number(input.nextToken ?? 0);
    const end = start + Math.min(this.pageSize, input.maxResults ?? 100);
    return { items: all.slice(start, end), nextToken: end < all.length ? String(end) : undefined };
  }
}

export const ecrClient = () => new ECRClient({ region: REGION, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example' } });
