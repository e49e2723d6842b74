// Berth's ECR repositories. Every repository Berth uses is under one prefix, `berth/`: the
// platform's own (the builder agent image berth/builder and the S2I builder images berth/s2i/*),
// made here and kept when the stack goes, and the tenants' (one per project and image stream),
// which the control plane creates at run time. The grant gives exactly that split: the control
// plane may create and manage repositories under berth/ but may not delete or overwrite the
// platform's own. Builds push with their build scope (build-scope.ts), pods pull with their
// project's role (project-roles.ts): each only its own project's repositories.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Repository, TagMutability } from 'aws-cdk-lib/aws-ecr';
import { Effect, Grant, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PROXY_IMAGE_REPOSITORY, PROXY_IMAGE_TAG } from '../../shared/aws/service-proxy-task.ts';

export const REPOSITORY_PREFIX = 'berth';

const PUSH = ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'];
/**
 * What the control plane does to tenant repositories: create, look, clean up, delete; and keep the
 * images of ReplicationControllers by tagging them (BatchGetImage + PutImage of the same manifest).
 */
const MANAGE = [
  'ecr:CreateRepository', 'ecr:DeleteRepository', 'ecr:DescribeRepositories', 'ecr:PutLifecyclePolicy',
  'ecr:TagResource', 'ecr:ListTagsForResource', 'ecr:DescribeImages', 'ecr:ListImages', 'ecr:BatchGetImage',
  'ecr:BatchDeleteImage', 'ecr:PutImage',
];
/** What making a tenant repository (or finding it Berth's) takes. */
const CREATE = ['ecr:CreateRepository', 'ecr:TagResource', 'ecr:PutLifecyclePolicy', 'ecr:DescribeRepositories', 'ecr:ListTagsForResource'];
/** Never allowed on the platform's own repositories, whatever else is. */
export const PROTECTED = ['ecr:DeleteRepository', 'ecr:PutLifecyclePolicy', 'ecr:SetRepositoryPolicy', 'ecr:BatchDeleteImage', ...PUSH];

/**
 * The shared project `openshift`'s images (issue 13: the Python builder, PostgreSQL, Redis,
 * MariaDB), each in `berth/openshift/<name>`: pulled by every project's role (the boundary's
 * berth/openshift/*), pushed by the platform's operators only (docs/aws.md, Images).
 */
export const OPENSHIFT_IMAGES = ['python', 'postgresql', 'redis', 'mariadb'];

export interface RegistryProps {
  /** S2I builder image names; each gets berth/s2i/<name>. */
  s2iImages: string[];
}

export class Registry extends Construct {
  /** berth/builder: the builder agent image the build task runs. */
  readonly builder: Repository;
  readonly s2i: Repository[];
  /** berth/openshift/<name>: the shared project's image streams' images. */
  readonly openshift: Repository[];
  /** berth/service-proxy: the Services' proxies (HAProxy), pulled by every project's role. */
  readonly serviceProxy: Repository;
  private readonly s2iNames: string[];

  constructor(scope: Construct, id: string, props: RegistryProps) {
    super(scope, id);
    this.s2iNames = props.s2iImages;
    const repository = (cid: string, name: string) => new Repository(this, cid, {
      repositoryName: `${REPOSITORY_PREFIX}/${name}`,
      imageScanOnPush: true,
      imageTagMutability: TagMutability.MUTABLE,
      lifecycleRules: [{ description: 'keep the 30 newest images', maxImageCount: 30 }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.builder = repository('Builder', 'builder');
    this.s2i = props.s2iImages.map((name) => repository(`S2i-${name}`, `s2i/${name}`));
    this.openshift = OPENSHIFT_IMAGES.map((name) => repository(`Openshift-${name}`, `openshift/${name}`));
    this.serviceProxy = repository('ServiceProxy', PROXY_IMAGE_REPOSITORY);
  }

  /** The Services' proxy image the control plane runs (BERTH_SERVICE_PROXY_IMAGE). */
  get serviceProxyImage(): string {
    return `${this.host}/${REPOSITORY_PREFIX}/${PROXY_IMAGE_REPOSITORY}:${PROXY_IMAGE_TAG}`;
  }

  /** ARN of every repository under berth/, platform and tenant alike. */
  get allRepositoriesArn(): string {
    return Stack.of(this).formatArn({ service: 'ecr', resource: 'repository', resourceName: `${REPOSITORY_PREFIX}/*` });
  }

  /** The registry's host name: <account>.dkr.ecr.<region>.amazonaws.com. */
  get host(): string {
    const stack = Stack.of(this);
    return `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}`;
  }

  /** What new-app offers (functions/wire-builds.ts BERTH_BUILDER_IMAGES): `python=<host>/berth/s2i/python:latest,…`. */
  get builderImages(): string {
    return this.s2iNames.map((name) => `${name}=${this.host}/${REPOSITORY_PREFIX}/s2i/${name}:latest`).join(',');
  }

  private get platformArns(): string[] {
    return [this.builder, ...this.s2i, ...this.openshift].map((r) => r.repositoryArn);
  }

  /**
   * Create and manage tenant repositories (the control plane); list the registry's repositories
   * (DescribeRepositories without names, which ECR authorises against "*"), to find a project's
   * repositories by prefix when it is deleted and to compare them with the image streams (the resync).
   */
  grantManage(grantee: IGrantable): Grant {
    this.protectPlatform(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'ListRepositories', actions: ['ecr:DescribeRepositories'], resources: ['*'] }));
    return Grant.addToPrincipal({ grantee, actions: MANAGE, resourceArns: [this.allRepositoriesArn] });
  }

  /**
   * Make tenant repositories and find them again (EcrRegistry.ensureRepository: the API before a
   * push login): create with Berth's tags, lifecycle policy, describe, read tags. No deletion.
   */
  grantCreate(grantee: IGrantable): Grant {
    this.protectPlatform(grantee, [this.serviceProxy.repositoryArn]);
    return Grant.addToPrincipal({ grantee, actions: CREATE, resourceArns: [this.allRepositoriesArn] });
  }

  /**
   * Denies changing the platform's repositories. berth/service-proxy is denied to the
   * reconcilers (which manage) by the service-discovery policy (constructs/service-discovery.ts
   * protectServiceProxy), a managed policy: their inline policies are at IAM's size limit.
   */
  private protectPlatform(grantee: IGrantable, extra: string[] = []): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({
      sid: 'ProtectPlatformRepositories',
      effect: Effect.DENY,
      actions: PROTECTED,
      resources: [...this.platformArns, ...extra],
    }));
  }
}
