// The rights of one build, on AWS. The builder task's own role holds nothing: the build reconciler
// assumes this role for each build with two session tags, berth-project and berth-build, and hands
// the builder task those credentials (an hour at most, the limit of a role chained from a Lambda
// function's, and the default build time limit). Every permission here is written with the tags,
// so a build can read and write only its project's partition of the table and its own log
// partition (dynamodb:LeadingKeys), its project's uploaded sources, and pull and push only its
// project's repositories (berth/<project>/*), pulling also the shared images (the builder
// images berth/s2i/* and the openshift project's berth/openshift/*): never the whole table, another project's secrets, sources or images.
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, Effect, Grant, PolicyStatement, Role, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ECR_PULL_ACTIONS as ECR_PULL, SHARED_IMAGE_NAMESPACES } from '../../shared/aws/project-roles.ts';
import { SOURCES_PREFIX } from '../../shared/aws/s3-sources.ts';
import { REPOSITORY_PREFIX } from './registry.ts';
import type { SourcesBucket } from './sources-bucket.ts';

export const PROJECT_TAG = 'berth-project';
export const BUILD_TAG = 'berth-build';
const project = `\${aws:PrincipalTag/${PROJECT_TAG}}`;
const build = `\${aws:PrincipalTag/${BUILD_TAG}}`;

const ECR_PUSH = ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'];
/** What the agent does to make sure its target repository is there, with Berth's tags (EcrRegistry.ensureRepository). */
const ECR_ENSURE = ['ecr:CreateRepository', 'ecr:TagResource', 'ecr:DescribeRepositories', 'ecr:ListTagsForResource', 'ecr:PutLifecyclePolicy'];
/** What the agent does in the table: read and conditionally write items, query its log. */
const TABLE_RW = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];

export interface BuildScopeProps {
  table: ITable;
  sources: SourcesBucket;
}

export class BuildScope extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: BuildScopeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      // Whoever is allowed sts:AssumeRole on it in this account (the build reconciler, grantAssume)
      // and only with both session tags set.
      assumedBy: new AccountRootPrincipal().withConditions({
        StringLike: { [`aws:RequestTag/${PROJECT_TAG}`]: '?*', [`aws:RequestTag/${BUILD_TAG}`]: '?*' },
      }).withSessionTags(),
      maxSessionDuration: Duration.hours(1),
      description: 'Berth: the rights of one build, scoped by its session tags (project, build)',
    });
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
      this.role.addToPolicy(new PolicyStatement({ sid, effect: Effect.ALLOW, actions, resources, ...(conditions ? { conditions } : {}) }));

    // The table: the project's partition (its Build, ImageStreams) and the build's log partition.
    allow('OwnPartitions', TABLE_RW, [props.table.tableArn], {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`P#${project}`, `L#${project}/${build}`] },
    });
    // The project's usage counter (shared/quota): an image stream the agent creates, or a build
    // that finishes, moves it in the same transaction as the object.
    allow('ProjectUsage', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [props.table.tableArn], {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`Q#${project}`] },
    });
    // Creating an object checks its project in the same transaction; the agent reads whether the
    // project may run Dockerfile builds. Reads of project items only, nothing written there.
    allow('ProjectItems', ['dynamodb:GetItem', 'dynamodb:ConditionCheckItem'], [props.table.tableArn], {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['C#Project'] },
    });
    // The uploaded source of this build only.
    allow('OwnSource', ['s3:GetObject'], [props.sources.bucket.arnForObjects(`${SOURCES_PREFIX}${project}/${build}.tar`)]);
    allow('ListSources', ['s3:ListBucket'], [props.sources.bucket.bucketArn], { StringLike: { 's3:prefix': [`${SOURCES_PREFIX}${project}/*`] } });
    // Images: log in, pull and push the project's repositories, pull the shared images.
    allow('RegistryLogin', ['ecr:GetAuthorizationToken'], ['*']);
    const repositories = (name: string) => stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${REPOSITORY_PREFIX}/${name}` });
    allow('OwnRepositories', [...ECR_PULL, ...ECR_PUSH, ...ECR_ENSURE], [repositories(`${project}/*`)]);
    allow('SharedBuilderImages', ECR_PULL, SHARED_IMAGE_NAMESPACES.map((ns) => repositories(`${ns}/*`)));
  }

  /** Lets the build reconciler assume the role for a build, with its session tags. */
  grantAssume(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['sts:AssumeRole', 'sts:TagSession'], resourceArns: [this.role.roleArn] });
  }
}
