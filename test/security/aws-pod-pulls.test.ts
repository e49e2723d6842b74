// Attack, on AWS: a stranger signs up, makes a project and runs a pod whose task definition names
// the victim's image. ECS pulls a pod's image with the pod's task execution role, and each
// project has its own (under /berth/projects/, with the fleet's permissions boundary): the
// attacker's role is refused the victim's repository, while it pulls its own images and the
// shared ones. Even a control plane tricked into writing a wider policy cannot widen a project
// role (the boundary caps it) nor make a role without the boundary or outside the path; and the
// fleet can pass only those roles, only to ECS tasks. Evaluated offline with
// @cloud-copilot/iam-simulate (AWS's policy evaluation logic, permissions boundaries included)
// over the synthesised boundary and control-plane policies and the role policy the control plane
// writes.
// AWS documentation: IAM User Guide, "Permissions boundaries for IAM entities" (the effective
// permissions are the intersection of the identity policy and the boundary) and "IAM JSON policy
// elements: Variables and tags" (aws:PrincipalTag: for a role, the role's tags); Service
// Authorization Reference, IAM (iam:PermissionsBoundary on CreateRole, PutRolePolicy,
// DeleteRolePolicy, DeleteRole; iam:PassedToService on PassRole); Amazon ECS Developer Guide,
// "Amazon ECS task execution IAM role" (private ECR pulls and awslogs use it).
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoleArn, projectRolePolicy } from '../../shared/aws/project-roles.ts';
import { ACCOUNT, BOUNDARY, deployed, POD_LOG_GROUP, REGION, repo, role } from '../infra/deployed.ts';
import { decide, identityPolicy, type PolicyDocument } from '../infra/iam.ts';
import { statements, synthBerth } from '../infra/synth.ts';

const settings = { boundaryArn: BOUNDARY, region: REGION, repositoryPrefix: 'berth', logGroup: POD_LOG_GROUP };
const stream = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${POD_LOG_GROUP}:log-stream:${name}`;
/** A pod Secret's values in Secrets Manager, with the random suffix AWS adds to a secret's ARN. */
const podSecret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:berth/${name}-a1B2c3`;

let boundary: PolicyDocument;
let controlPlane: PolicyDocument;

beforeAll(() => {
  const all = statements(synthBerth().templates);
  const bounds = all.filter((s) => s.holderType === 'AWS::IAM::ManagedPolicy' && s.holder.startsWith('ProjectRolesBoundary'));
  // Registry login, pulls, log streams, Secret values, claim mounts (through an access point), and ECS Exec's channels.
  expect(bounds.length).toBe(6);
  boundary = identityPolicy(bounds, deployed.value, deployed.deep);
  const stream = all.filter((s) => s.stack === 'controlPlane' && /^StreamFunctionRoleDefaultPolicy/.test(s.holder));
  expect(stream.some((s) => s.actions.includes('iam:CreateRole'))).toBe(true);
  controlPlane = identityPolicy(stream, deployed.value, deployed.deep);
}, 120_000);

/** What a call made with `project`'s pod execution role gets: its inline policy under the boundary. */
const asPodOf = (project: string, action: string, resource: string, inline: PolicyDocument = projectRolePolicy(project, settings)) =>
  decide(inline, {
    principal: `arn:aws:sts::${ACCOUNT}:assumed-role/berth-${project}/0a1b2c3d4e5f60718293a4b5c6d7e8f9`,
    action, resource, accountId: ACCOUNT,
    // The role's tags are its principal tags; the control plane tags it with its project.
    context: { 'aws:PrincipalTag/berth:project': project, 'aws:PrincipalTag/berth:managed': 'true' },
  }, boundary);

const asControlPlane = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
  decide(controlPlane, { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/StreamFunctionRole/berth-stream`, action, resource, accountId: ACCOUNT, context });

describe('a project\'s pod execution role', () => {
  it.each([
    ['logs in to the registry', 'ecr:GetAuthorizationToken', '*'],
    ['pulls its own image', 'ecr:BatchGetImage', repo('attacker/web')],
    ['pulls its own layers', 'ecr:GetDownloadUrlForLayer', repo('attacker/web')],
    ['pulls a shared builder image', 'ecr:BatchGetImage', repo('s2i/python')],
    ['pulls an image of the shared openshift project', 'ecr:GetDownloadUrlForLayer', repo('openshift/postgresql')],
    ['writes its own pods\' log stream', 'logs:PutLogEvents', stream('attacker/web/0a1b2c3d')],
    ['reads its own pods\' Secret values', 'secretsmanager:GetSecretValue', podSecret('attacker/db')],
  ])('%s', async (_what, action, resource) => {
    expect(await asPodOf('attacker', action, resource)).toBe('Allowed');
  });

  it.each([
    ['pull the victim\'s image manifest', 'ecr:BatchGetImage', repo('victim/web')],
    ['pull the victim\'s layers', 'ecr:GetDownloadUrlForLayer', repo('victim/web')],
    ['pull from a repository named like its own (attacker-x is not attacker)', 'ecr:BatchGetImage', repo('attacker-x/web')],
    ['push to its own repository', 'ecr:PutImage', repo('attacker/web')],
    ['overwrite a shared builder image', 'ecr:PutImage', repo('s2i/python')],
    ['write into the victim\'s log streams', 'logs:PutLogEvents', stream('victim/web/0a1b2c3d')],
    ['read the victim\'s logs', 'logs:GetLogEvents', stream('victim/web/0a1b2c3d')],
    ['read the victim\'s Secret values', 'secretsmanager:GetSecretValue', podSecret('victim/db')],
    ['read a Secret of a project named like its own (attacker-x is not attacker)', 'secretsmanager:GetSecretValue', podSecret('attacker-x/db')],
    ['change its own Secret values', 'secretsmanager:PutSecretValue', podSecret('attacker/db')],
  ])('may not %s', async (_what, action, resource) => {
    expect(await asPodOf('attacker', action, resource)).not.toBe('Allowed');
  });
});

describe('the permissions boundary of project roles', () => {
  // Were the control plane made to write `Allow *` as a project role's policy, the boundary still decides.
  const everything: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

  it('still lets a role pull its own project\'s images under an inline policy that allows everything', async () => {
    expect(await asPodOf('attacker', 'ecr:BatchGetImage', repo('attacker/web'), everything)).toBe('Allowed');
  });

  it.each([
    ['pull the victim\'s image', 'ecr:BatchGetImage', repo('victim/web')],
    ['push an image', 'ecr:PutImage', repo('attacker/web')],
    ['delete a repository', 'ecr:DeleteRepository', repo('attacker/web')],
    ['write the victim\'s log streams', 'logs:PutLogEvents', stream('victim/web/1')],
    ['read the victim\'s Secret values', 'secretsmanager:GetSecretValue', podSecret('victim/db')],
    ['read the state table', 'dynamodb:GetItem', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/berth`],
    ['open secrets', 'kms:Decrypt', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
    ['read uploaded sources', 's3:GetObject', 'arn:aws:s3:::berth-sources/sources/victim/web-1.tar'],
    ['make itself a role', 'iam:CreateRole', role('berth/projects/berth-evil')],
    ['assume another role', 'sts:AssumeRole', role('berth/projects/berth-victim')],
    ['start tasks', 'ecs:RunTask', `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-builder:1`],
  ])('caps it: even then it may not %s', async (_what, action, resource) => {
    expect(await asPodOf('attacker', action, resource, everything)).not.toBe('Allowed');
  });
});

describe('the control plane\'s rights over roles', () => {
  const shopRole = projectRoleArn(BOUNDARY, 'shop');
  const withBoundary = { 'iam:PermissionsBoundary': BOUNDARY };
  const berthTags = { 'aws:RequestTag/berth:managed': 'true', 'aws:RequestTag/berth:project': 'shop', 'aws:TagKeys': ['berth:managed', 'berth:project'] };

  it.each([
    ['create a project role with the boundary and Berth\'s tags', 'iam:CreateRole', shopRole, { ...withBoundary, ...berthTags }],
    ['tag it with Berth\'s tags as it is created', 'iam:TagRole', shopRole, berthTags],
    ['write its policy', 'iam:PutRolePolicy', shopRole, withBoundary],
    ['delete its policy', 'iam:DeleteRolePolicy', shopRole, withBoundary],
    ['delete it', 'iam:DeleteRole', shopRole, withBoundary],
    ['look it up', 'iam:GetRole', shopRole, {}],
  ])('may %s', async (_what, action, resource, context) => {
    expect(await asControlPlane(action, resource, context)).toBe('Allowed');
  });

  it.each([
    ['create a role without the boundary', 'iam:CreateRole', shopRole, berthTags],
    ['create a role with another boundary', 'iam:CreateRole', shopRole, { ...berthTags, 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess` }],
    ['create a role outside /berth/projects/', 'iam:CreateRole', role('berth-admin'), { ...withBoundary, ...berthTags }],
    ['create a role on a path that only starts alike', 'iam:CreateRole', role('berth/projects-evil/x'), { ...withBoundary, ...berthTags }],
    ['create a role without Berth\'s tags', 'iam:CreateRole', shopRole, withBoundary],
    ['create a role with tags of its own choosing', 'iam:CreateRole', shopRole, { ...withBoundary, ...berthTags, 'aws:TagKeys': ['berth:managed', 'berth:project', 'admin'] }],
    ['write the policy of a role without the boundary', 'iam:PutRolePolicy', shopRole, {}],
    ['write the policy of a platform role', 'iam:PutRolePolicy', role('Berth-ControlPlane-StreamFunctionRole'), withBoundary],
    ['delete a platform role', 'iam:DeleteRole', role('Berth-Fleet-BuildScopeRole'), {}],
    ['take the boundary off a project role', 'iam:DeleteRolePermissionsBoundary', shopRole, withBoundary],
    ['attach a managed policy to a project role', 'iam:AttachRolePolicy', shopRole, { ...withBoundary, 'iam:PolicyARN': `arn:aws:iam::aws:policy/AdministratorAccess` }],
    ['change the boundary policy itself', 'iam:CreatePolicyVersion', BOUNDARY, {}],
  ])('may not %s', async (_what, action, resource, context) => {
    expect(await asControlPlane(action, resource, context)).not.toBe('Allowed');
  });

  it.each([
    ['to ECS tasks', 'ecs-tasks.amazonaws.com', shopRole, 'Allowed'],
    ['to Lambda', 'lambda.amazonaws.com', shopRole, 'ImplicitlyDenied'],
    ['to EC2', 'ec2.amazonaws.com', shopRole, 'ImplicitlyDenied'],
  ])('passes a project role only to ECS tasks: %s', async (_what, service, resource, verdict) => {
    expect(await asControlPlane('iam:PassRole', resource, { 'iam:PassedToService': service })).toBe(verdict);
  });

  it('passes no role outside /berth/projects/ besides the builder\'s', async () => {
    expect(await asControlPlane('iam:PassRole', role('Berth-ControlPlane-StreamFunctionRole'), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })).not.toBe('Allowed');
  });
});
