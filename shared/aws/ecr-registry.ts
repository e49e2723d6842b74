// The AWS ImageRegistry: one ECR repository per project and image stream,
// `berth/<project>/<imagestream>`, tagged as Berth's, with a lifecycle policy; registry logins
// from GetAuthorizationToken. Repositories without Berth's tags are never changed or deleted.
import { tenantNamespace } from '../builds/tenant-namespace.ts';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  ListTagsForResourceCommand,
  PutLifecyclePolicyCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import type { ImageRegistry, RegistryAuth } from '../builds/ports.ts';
import { MANAGED_TAG, NotOwnedError, PROJECT_TAG, ownedByBerth } from './ownership.ts';

export const IMAGESTREAM_TAG = 'berth:imagestream';
/** A login is used until this long before ECR says it expires (tokens last 12 hours). */
const AUTH_MARGIN_MS = 5 * 60 * 1000;

export interface EcrRegistryOptions {
  client: ECRClient;
  /** The registry host: `<account>.dkr.ecr.<region>.amazonaws.com`. */
  host: string;
  /** Repository name prefix; `berth`, as the infrastructure grants. */
  prefix?: string;
  /** Images kept per repository, newest first; older ones expire. Default 30. */
  keepImages?: number;
}

/**
 * The lifecycle policy of a tenant repository: untagged images (left behind when a tag moves)
 * expire after a day; beyond the newest `keep` images, the oldest expire. ECR requires the
 * `any` rule to come last.
 */
export function lifecyclePolicy(keep: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: 'expire untagged images a day after they were pushed',
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: `keep the ${keep} newest images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  });
}

export class EcrRegistry implements ImageRegistry {
  private readonly client: ECRClient;
  private readonly host: string;
  private readonly prefix: string;
  private readonly keep: number;
  private login?: { auth: RegistryAuth; until: number };

  constructor(opts: EcrRegistryOptions) {
    this.client = opts.client;
    this.host = opts.host;
    this.prefix = opts.prefix ?? 'berth';
    this.keep = opts.keepImages ?? 30;
  }

  /** The ECR repository name (without host) of an image stream. */
  repositoryName(project: string, imageStream: string): string {
    return `${this.prefix}/${tenantNamespace(project)}/${imageStream}`;
  }

  repository(project: string, imageStream: string): string {
    return `${this.host}/${this.repositoryName(project, imageStream)}`;
  }

  /**
   * Creates the repository with Berth's tags, or finds it and checks they are there; then
   * (re)applies the lifecycle policy, so a changed policy reaches old repositories too.
   */
  async ensureRepository(project: string, imageStream: string): Promise<void> {
    const repositoryName = this.repositoryName(project, imageStream);
    try {
      await this.client.send(
        new CreateRepositoryCommand({
          repositoryName,
          imageTagMutability: 'MUTABLE',
          imageScanningConfiguration: { scanOnPush: true },
          tags: [
            { Key: MANAGED_TAG, Value: 'true' },
            { Key: PROJECT_TAG, Value: project },
            { Key: IMAGESTREAM_TAG, Value: imageStream },
          ],
        }),
      );
    } catch (err) {
      if (!(err instanceof RepositoryAlreadyExistsException)) throw err;
      const arn = await this.arnOf(repositoryName);
      if (!arn || !(await this.owned(arn, project))) throw new NotOwnedError(`ECR repository ${repositoryName}`);
    }
    await this.client.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: lifecyclePolicy(this.keep) }));
  }

  /** A registry login from GetAuthorizationToken, reused until shortly before it expires. */
  async auth(): Promise<RegistryAuth> {
    if (this.login && Date.now() < this.login.until) return this.login.auth;
    const out = await this.client.send(new GetAuthorizationTokenCommand({}));
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken) throw new Error('ECR GetAuthorizationToken returned no token');
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const auth = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: data.proxyEndpoint ?? `https://${this.host}` };
    this.login = { auth, until: (data.expiresAt?.getTime() ?? Date.now() + 60 * 60 * 1000) - AUTH_MARGIN_MS };
    return auth;
  }

  /** Deletes the repository and its images, only if Berth's tags say it is this project's. Idempotent. */
  async deleteRepository(project: string, imageStream: string): Promise<void> {
    const repositoryName = this.repositoryName(project, imageStream);
    const arn = await this.arnOf(repositoryName);
    if (!arn) return;
    if (!(await this.owned(arn, project))) throw new NotOwnedError(`ECR repository ${repositoryName}`);
    try {
      await this.client.send(new DeleteRepositoryCommand({ repositoryName, force: true }));
    } catch (err) {
      if (!(err instanceof RepositoryNotFoundException)) throw err;
    }
  }

  private async arnOf(repositoryName: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
      return out.repositories?.[0]?.repositoryArn;
    } catch (err) {
      if (err instanceof RepositoryNotFoundException) return undefined;
      throw err;
    }
  }

  private async owned(resourceArn: string, project: string): Promise<boolean> {
    const out = await this.client.send(new ListTagsForResourceCommand({ resourceArn }));
    return ownedByBerth(Object.fromEntries((out.tags ?? []).map((t) => [t.Key, t.Value])), project);
  }
}
