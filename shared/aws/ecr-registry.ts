// The AWS ImageRegistry: one ECR repository per project and image stream,
// `berth/<project>/<imagestream>`, tagged as Berth's, with a lifecycle policy; registry logins
// from GetAuthorizationToken. Repositories without Berth's tags are never changed or deleted.
// Images a ReplicationController runs carry the tag `rc-<name>` while the RC exists, so that the
// lifecycle policy (which expires only untagged images) never takes an image a rollback needs.
// The resync lists the repositories and their tagged images (DescribeRepositories, DescribeImages)
// to catch image streams up with pushes whose events were lost; a deleted project takes every
// repository of its namespace with it.
import { tenantNamespace } from '../builds/tenant-namespace.ts';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  ImageAlreadyExistsException,
  ListTagsForResourceCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  paginateDescribeImages,
  paginateDescribeRepositories,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import type { ImageRegistry, RegistryAuth, RegistryRepository, RegistryTag } from '../builds/ports.ts';
import { rcTag } from '../images/retention.ts';
import { MANIFEST_MEDIA_TYPES } from '../registry/events.ts';
import { repositoryParts } from '../registry/scopes.ts';
import { MANAGED_TAG, NotOwnedError, PROJECT_TAG, ownedByBerth } from './ownership.ts';

export const IMAGESTREAM_TAG = 'berth:imagestream';
/** The manifest types builds push (Docker's v2 schema 2 and OCI). */
const MANIFEST_TYPES = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'];
/** A login is used until this long before ECR says it expires (tokens last 12 hours). */
const AUTH_MARGIN_MS = 5 * 60 * 1000;

export interface EcrRegistryOptions {
  client: ECRClient;
  /** The registry host: `<account>.dkr.ecr.<region>.amazonaws.com`. */
  host: string;
  /** Repository name prefix; `berth`, as the infrastructure grants. */
  prefix?: string;
}

/**
 * The lifecycle policy of a tenant repository: untagged images (left behind when a tag moved and
 * held by no ReplicationController's `rc-` tag) expire a day after they were pushed. Tagged
 * images never expire by age or count: the tags a build moves and the `rc-` tags of revisions in
 * history are what is kept, and `berth adm prune images` removes the rest.
 */
export function lifecyclePolicy(): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: 'expire untagged images a day after they were pushed',
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
        action: { type: 'expire' },
      },
    ],
  });
}

/** ECR's documented failure code of a BatchDeleteImage / BatchGetImage entry that names no image. */
const IMAGE_NOT_FOUND = 'ImageNotFound';

export class EcrRegistry implements ImageRegistry {
  private readonly client: ECRClient;
  private readonly host: string;
  private readonly prefix: string;
  private login?: { auth: RegistryAuth; until: number };

  constructor(opts: EcrRegistryOptions) {
    this.client = opts.client;
    this.host = opts.host;
    this.prefix = opts.prefix ?? 'berth';
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
    await this.client.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: lifecyclePolicy() }));
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

  /**
   * Every repository of the project's namespace (`<prefix>/<project>/`, the `/` included: `shop`
   * never reaches `shop-2`'s), also those made for a push login that no stream names, whose tags
   * say it is Berth's and this project's; a repository without them is left alone. Idempotent.
   */
  async deleteProjectRepositories(project: string): Promise<void> {
    // The whole listing first: deleting while paging could shift the pages.
    const found = [];
    for await (const r of this.repositoriesUnder(`${this.prefix}/${tenantNamespace(project)}/`)) found.push(r);
    for (const r of found) {
      if (!r.repositoryArn || !(await this.owned(r.repositoryArn, project))) continue;
      try {
        await this.client.send(new DeleteRepositoryCommand({ repositoryName: r.repositoryName, force: true }));
      } catch (err) {
        if (!(err instanceof RepositoryNotFoundException)) throw err;
      }
    }
  }

  /** The `<prefix>/<project>/<stream>` repositories (only `project`'s when given), for the resync. */
  async *listRepositories(project?: string): AsyncGenerator<RegistryRepository> {
    const under = project === undefined ? `${this.prefix}/` : `${this.prefix}/${tenantNamespace(project)}/`;
    for await (const r of this.repositoriesUnder(under)) {
      const name = r.repositoryName!;
      const parts = repositoryParts(name.slice(this.prefix.length + 1));
      if (parts && (project === undefined || parts.project === project)) yield { ...parts, name, reference: `${this.host}/${name}` };
    }
  }

  /**
   * The repository's tags and their images' digests (DescribeImages, tagged images only, page by
   * page). The `rc-` tags that keep ReplicationControllers' images are the platform's, not tags of
   * the image stream, and are left out.
   */
  async listTags(repository: RegistryRepository): Promise<RegistryTag[]> {
    const out: RegistryTag[] = [];
    try {
      for await (const page of paginateDescribeImages({ client: this.client, pageSize: 1000 }, { repositoryName: repository.name, filter: { tagStatus: 'TAGGED' } })) {
        for (const d of page.imageDetails ?? []) {
          if (!d.imageDigest || (d.imageManifestMediaType && !MANIFEST_MEDIA_TYPES.has(d.imageManifestMediaType))) continue;
          for (const tag of d.imageTags ?? []) if (!tag.startsWith(rcTag(''))) out.push({ tag, digest: d.imageDigest });
        }
      }
    } catch (err) {
      // Deleted since it was listed.
      if (err instanceof RepositoryNotFoundException) return [];
      throw err;
    }
    return out;
  }

  /** Every repository whose name starts with `prefix` (DescribeRepositories lists the whole registry, page by page). */
  private async *repositoriesUnder(prefix: string) {
    for await (const page of paginateDescribeRepositories({ client: this.client, pageSize: 1000 }, {})) {
      for (const r of page.repositories ?? []) if (r.repositoryName?.startsWith(prefix)) yield r;
    }
  }

  /** Deletes one image (all its tags) by digest, in a repository of Berth's for this project; a missing one is fine. */
  async deleteImage(project: string, imageStream: string, digest: string): Promise<void> {
    await this.batchDelete(project, imageStream, { imageDigest: digest });
  }

  /**
   * Tags the image `digest` with `tag` (ECR's retagging: BatchGetImage for the manifest, then
   * PutImage with it and the tag). Whether the image is there to keep.
   */
  async retainImage(project: string, imageStream: string, digest: string, tag: string): Promise<boolean> {
    const repositoryName = this.repositoryName(project, imageStream);
    let out;
    try {
      out = await this.client.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: digest }], acceptedMediaTypes: MANIFEST_TYPES }));
    } catch (err) {
      if (err instanceof RepositoryNotFoundException) return false;
      throw err;
    }
    const image = out.images?.[0];
    if (!image?.imageManifest) {
      const failure = out.failures?.[0];
      if (failure && failure.failureCode !== IMAGE_NOT_FOUND) throw new Error(`ECR BatchGetImage ${repositoryName}@${digest}: ${failure.failureCode}: ${failure.failureReason}`);
      return false;
    }
    try {
      await this.client.send(
        new PutImageCommand({ repositoryName, imageManifest: image.imageManifest, imageManifestMediaType: image.imageManifestMediaType, imageTag: tag, imageDigest: digest }),
      );
    } catch (err) {
      // The tag names this image already.
      if (!(err instanceof ImageAlreadyExistsException)) throw err;
    }
    return true;
  }

  /** Removes the tag `tag` (the image goes when it was its last tag); a missing tag or repository is fine. */
  async releaseImage(project: string, imageStream: string, tag: string): Promise<void> {
    await this.batchDelete(project, imageStream, { imageTag: tag });
  }

  private async batchDelete(project: string, imageStream: string, imageId: { imageDigest?: string; imageTag?: string }): Promise<void> {
    const repositoryName = this.repositoryName(project, imageStream);
    const arn = await this.arnOf(repositoryName);
    if (!arn) return;
    if (!(await this.owned(arn, project))) throw new NotOwnedError(`ECR repository ${repositoryName}`);
    const out = await this.client.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [imageId] }));
    const failure = out.failures?.find((f) => f.failureCode !== IMAGE_NOT_FOUND);
    if (failure) throw new Error(`ECR BatchDeleteImage ${repositoryName} ${imageId.imageDigest ?? imageId.imageTag}: ${failure.failureCode}: ${failure.failureReason}`);
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
